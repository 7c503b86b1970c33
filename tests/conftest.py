"""Shared fixtures: where the project's shared specification and corpora live."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from qiam._impl import ENGINE_NAMES, EngineError, engine, using

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("QIAM_SHARED", ROOT.parent / "shared"))

settings.register_profile("dev", max_examples=100)
settings.register_profile("ci", max_examples=1000, deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def shared_path(*parts: str) -> Path:
    """A file of the shared specification and corpora; fails loudly if it is missing."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.fail(f"{path} is missing: the tests need the project's shared files (set QIAM_SHARED)")
    return path


def available_engines() -> list[str]:
    """The engines this build has: the pure-Python twins always, the compiled cores when built."""
    found = []
    for name in ENGINE_NAMES:
        try:
            engine(name)
        except EngineError:
            continue
        found.append(name)
    return found


ENGINES = available_engines()


@pytest.fixture(scope="module", params=ENGINES)
def every_engine(request: pytest.FixtureRequest) -> Iterator[str]:
    """Run a module's tests once per engine: everything they compile and decide is built by it.

    The example suites use it through ``pytestmark = pytest.mark.usefixtures("every_engine")``
    or their package's conftest, as RapidFuzz runs every example through each implementation.
    """
    with using(request.param):
        yield request.param
