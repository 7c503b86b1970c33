"""The pytest plugin (entry point ``pytest11``: on when qiam is installed; ``-p no:qiam`` turns it off).

- Expectation files (``iam-tests/*.yaml``, ``*.iam.yaml``, ``*.iam.json``; docs/ci.md) are collected as
  test items, one per expectation, named so that ``-k`` selects them. A mistake in a file is a collection
  error with its line and column.
- Fixtures, made once per session: ``qiam_inventory`` (the ini option ``qiam_inventory``: inventory
  files, templates, plans; ``qiam_parameters``: ``NAME=VALUE`` lines for the templates),
  ``qiam_policies`` (the ini option ``qiam_policies``: identity policy files and globs) and
  ``qiam_principal`` (a function: name → ``qiam.testing.Subject`` of the inventory).

Nothing of qiam's engine is imported until a file is collected or a fixture is used.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from qiam.expectations import Expectation
    from qiam.inventory import Inventory
    from qiam.testing import Subject


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("qiam_inventory", type="linelist", default=[],
                  help="qiam: inventory files, CloudFormation templates and Terraform plans (globs too) for the "
                       "qiam_inventory fixture, relative to the rootdir")
    parser.addini("qiam_parameters", type="linelist", default=[],
                  help="qiam: NAME=VALUE template parameters and pseudo-parameters (AWS::AccountId, AWS::Region)")
    parser.addini("qiam_policies", type="linelist", default=[],
                  help="qiam: identity policy files (globs too) for the qiam_policies fixture")


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    from qiam.expectations import is_expectation_file

    if is_expectation_file(file_path):
        return ExpectationFile.from_parent(parent, path=file_path)
    return None


class ExpectationFailed(Exception):
    """An expectation that does not hold: its message is the explanation, shown as it is."""


class ExpectationFile(pytest.File):
    """An expectation file: one item per expectation."""

    def collect(self) -> Iterator[pytest.Item]:
        from qiam import expectations

        try:
            suite = expectations.read(self.path)
        except expectations.ExpectationError as exc:
            hint = f"\n  hint: {exc.hint}" if exc.hint else ""
            raise self.CollectError(f"{exc.message} [{exc.code}]{hint}") from None
        for expectation in suite.expectations:
            yield ExpectationItem.from_parent(self, name=expectation.name, expectation=expectation)


class ExpectationItem(pytest.Item):
    """One expectation of a file."""

    def __init__(self, *, expectation: Expectation, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.expectation = expectation

    def runtest(self) -> None:
        check = self.expectation.run()
        if not check.passed:
            raise ExpectationFailed(check.message)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: object = None) -> str:
        if isinstance(excinfo.value, ExpectationFailed):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.expectation.line - 1, self.name


def _parameters(config: pytest.Config) -> dict[str, str]:
    out = {}
    for line in config.getini("qiam_parameters"):
        name, sep, value = str(line).partition("=")
        if not sep:
            raise pytest.UsageError(f"qiam_parameters takes NAME=VALUE lines, not `{line}`")
        out[name.strip()] = value.strip()
    return out


@pytest.fixture(scope="session")
def qiam_inventory(pytestconfig: pytest.Config) -> Inventory:
    """The inventory of the ``qiam_inventory`` ini option, loaded and compiled once per session."""
    from qiam.testing import load_inventory

    paths = pytestconfig.getini("qiam_inventory")
    if not paths:
        pytest.fail("the qiam_inventory fixture needs the qiam_inventory ini option (files, templates, plans)",
                    pytrace=False)
    return load_inventory(*paths, parameters=_parameters(pytestconfig), base=pytestconfig.rootpath)


@pytest.fixture(scope="session")
def qiam_policies(pytestconfig: pytest.Config) -> Subject:
    """The identity policies of the ``qiam_policies`` ini option, compiled once per session."""
    from qiam.testing import expand_paths, policies

    paths = pytestconfig.getini("qiam_policies")
    if not paths:
        pytest.fail("the qiam_policies fixture needs the qiam_policies ini option (policy files)", pytrace=False)
    return policies(expand_paths(paths, pytestconfig.rootpath))


@pytest.fixture(scope="session")
def qiam_principal(qiam_inventory: Inventory) -> Callable[[str], Subject]:
    """A function: a principal's name, logical id or ARN → its Subject (made once each)."""
    from qiam.testing import principal

    made: dict[str, Subject] = {}

    def get(name: str) -> Subject:
        found = made.get(name)
        if found is None:
            found = made[name] = principal(qiam_inventory, name)
        return found

    return get
