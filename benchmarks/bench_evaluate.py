"""Evaluate: one request through ``PolicySet.evaluate`` (and ``explain``), on each twin.

Two policy sets, compiled once per twin:

- small: the "Q Developer console" seed policy (9 statements) under two SCP levels
  (FullAWSAccess; FullAWSAccess plus the us-east-1 region lock);
- large: the eight seed policies, the OPS policy (every condition family) and six
  AWS managed policies with thousands of action patterns (ReadOnlyAccess,
  SecurityAudit, ViewOnlyAccess, ...), the QAdmin permissions boundary and the same
  two SCP levels.

The paths users hit (house style §3.11), each asserted on its decision:

- allow: ``kms:GenerateDataKeyPairWithoutPlaintext`` granted by ``kms:GenerateDataKey*``;
- explicit deny: the same call from ``eu-west-1``, denied by the region-lock SCP;
- no match: ``dynamodb:PutItem``, which no identity statement grants: the common case in bulk;
- explain against evaluate on the same requests (the report prints the ratio);
- a large context (200 tags, a 200-value ``aws:TagKeys``) with the key a condition
  asks for missing (Cedar's ``attr_errors.rs``); building that Request is timed too.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import orjson
import pytest

from qiam import Decision, PolicySet, Request, compile_policies

from .conftest import built_on, shared_path, tag, twin_name, using_core

evaluate = pytest.mark.benchmark(group="evaluate", max_time=0.25)

PRINCIPAL = "arn:aws:iam::111122223333:role/QAdmin"
SEED = ("seed:P1a_subscription_console", "seed:P1b_subscription_console",
        "seed:P2_q_console_new_admin", "seed:P3_q_console_legacy_codewhisperer",
        "seed:P4_customizations", "seed:P5_transform_connector", "seed:P6_plugins",
        "extra:P7c_mgn_concrete", "extra:OPS")
MANAGED = ("ReadOnlyAccess", "SecurityAudit", "ViewOnlyAccess", "AmazonEC2ReadOnlyAccess",
           "AmazonS3ReadOnlyAccess", "AWSCloudFormationReadOnlyAccess")


def _request(action: str, resource: str, region: str, **context: Any) -> Request:
    return Request(action, resource, principal=PRINCIPAL,
                   context={"aws:RequestedRegion": region, **context}, derive_context=False)


PATHS = {
    # id: (request, expected decision)
    "allow": (_request("kms:GenerateDataKeyPairWithoutPlaintext", "*", "us-east-1"),
              Decision.ALLOW),
    "explicit-deny": (_request("kms:GenerateDataKeyPairWithoutPlaintext", "*", "eu-west-1"),
                      Decision.EXPLICIT_DENY),
    "no-match": (_request("dynamodb:PutItem",
                          "arn:aws:dynamodb:us-east-1:111122223333:table/orders", "us-east-1"),
                 Decision.IMPLICIT_DENY),
}

LARGE_CONTEXT: dict[str, Any] = {
    "aws:RequestedRegion": "us-east-1",
    "aws:TagKeys": [f"team-{i:03d}" for i in range(200)],
    **{f"aws:RequestTag/team-{i:03d}": f"value-{i}" for i in range(200)},
    **{f"aws:PrincipalTag/attr-{i:03d}": f"value-{i}" for i in range(50)},
    "aws:SourceIp": "203.0.113.7",
    "aws:SecureTransport": True,
}
MISSING_KEY = "codeconnections:ProviderAction"  # the customizations policy asks for it; absent


@pytest.fixture(scope="session")
def policy_sets_cache() -> dict[tuple[str, str], PolicySet]:
    return {}


@pytest.fixture
def policy_sets(twin: ModuleType, library_data: dict[str, Any],
                policy_sets_cache: dict[tuple[str, str], PolicySet]) -> dict[str, PolicySet]:
    """The small and the large set, compiled under the twin of this test (once per session)."""
    name = twin_name(twin)
    if (name, "small") not in policy_sets_cache:
        managed_dir = Path(shared_path("corpus", "aws-managed"))
        managed = [orjson.loads((managed_dir / f"{m}.json").read_bytes()) for m in MANAGED]
        full, region_lock = (library_data["extra:SCP_FullAWSAccess"],
                             library_data["extra:SCP_DenyOutsideUsEast1"])
        scps = [[full], [full, region_lock]]
        with using_core(twin):
            policy_sets_cache[(name, "small")] = compile_policies(
                [library_data["seed:P2_q_console_new_admin"]], scps=scps)
            policy_sets_cache[(name, "large")] = compile_policies(
                [library_data[s] for s in SEED] + managed,
                boundary=library_data["extra:BOUNDARY_QAdmin"], scps=scps)
    sets = {size: policy_sets_cache[(name, size)] for size in ("small", "large")}
    assert {built_on(pset) for pset in sets.values()} == {twin.__name__}
    return sets


@evaluate
@pytest.mark.parametrize("size", ["small", "large"])
@pytest.mark.parametrize("path", list(PATHS))
def test_evaluate(benchmark: Any, twin: ModuleType, policy_sets: dict[str, PolicySet], size: str,
                  path: str) -> None:
    request, expected = PATHS[path]
    tag(benchmark, role="evaluate", twin=twin_name(twin), case=f"{size}-{path}")
    result = benchmark(policy_sets[size].evaluate, request)
    assert result.decision is expected


@evaluate
@pytest.mark.parametrize("size", ["small", "large"])
@pytest.mark.parametrize("path", list(PATHS))
def test_explain(benchmark: Any, twin: ModuleType, policy_sets: dict[str, PolicySet], size: str,
                 path: str) -> None:
    request, expected = PATHS[path]
    tag(benchmark, role="explain", twin=twin_name(twin), case=f"{size}-{path}")
    explanation = benchmark(policy_sets[size].explain, request)
    assert explanation.decision is expected


@evaluate
def test_evaluate_large_context_missing_key(benchmark: Any, twin: ModuleType,
                                            policy_sets: dict[str, PolicySet]) -> None:
    request = Request("codeconnections:UseConnection",
                      "arn:aws:codeconnections:us-east-1:111122223333:connection/0a1b2c3d",
                      principal=PRINCIPAL, context=LARGE_CONTEXT, derive_context=False)
    tag(benchmark, role="evaluate", twin=twin_name(twin), case="large-context-missing-key")
    result = benchmark(policy_sets["large"].evaluate, request)
    assert result.decision is Decision.IMPLICIT_DENY
    assert MISSING_KEY in result.missing_context_keys


@evaluate
def test_request_large_context_build(benchmark: Any) -> None:
    """Folding and checking the 453-key context: paid once per request, before any policy."""
    tag(benchmark, role="request-build", case="large-context")
    request = benchmark(Request, "codeconnections:UseConnection",
                        "arn:aws:codeconnections:us-east-1:111122223333:connection/0a1b2c3d",
                        principal=PRINCIPAL, context=LARGE_CONTEXT, derive_context=False)
    assert len(request.context) == len(LARGE_CONTEXT)
