"""Expectation files: 1,000 expectations over the generated organisation, against the naive loop.

The inventory is ``benchmarks.inventory_gen``'s (seed 7: 50 accounts, about 6,000 principals; the smoke
run, ``--benchmark-disable``, uses its ``--small`` size). ``expectation_file`` writes one seeded file of
1,000 expectations about it, of two mixes:

- ``requests``: 1,000 requests (a principal, an action, one of the inventory's resources the action
  applies to, and the decision qiam gives today), no two the same question;
- ``mixed``: 850 such requests, 100 ``never`` (an action the principal is allowed nowhere: every
  resource of the organisation it applies to is asked) and 50 exact resource sets (likewise).

- ``test_expectations_run[MIX]``: every expectation of the file, read beforehand (what pytest's
  collection does), run as pytest runs its items (``Expectation.run``).
- ``test_expectations_naive``: the baseline, the requests of the ``requests`` file decided one by one
  with ``PolicySet.evaluate`` on policy sets and requests built beforehand (no explanation, no checks).
"""

from __future__ import annotations

import json
import pathlib
import random
from typing import Any

import pytest

from qiam import expectations, testing
from qiam.catalog import load_catalog
from qiam.inventory import Inventory, load
from qiam.queries import Asker
from qiam.resource_types import applies_to

from .conftest import BULK_ROUNDS, tag

ACTIONS = ("s3:GetObject", "s3:PutObject", "s3:DeleteObject", "kms:Decrypt", "kms:Encrypt", "sqs:SendMessage",
           "sns:Publish", "secretsmanager:GetSecretValue", "lambda:InvokeFunction", "sts:AssumeRole",
           "iam:PassRole", "ec2:DescribeInstances", "iam:CreateUser", "s3:ListBucket")
NEVER = ("iam:CreateAccessKey", "iam:DeleteRole", "organizations:LeaveOrganization", "kms:ScheduleKeyDeletion",
         "s3:PutBucketPolicy", "iam:UpdateAssumeRolePolicy", "ec2:TerminateInstances")


def expectation_file(inventory_dir: pathlib.Path, out: pathlib.Path, *, mix: str = "requests", seed: int = 11
                     ) -> pathlib.Path:
    """One file of 1,000 expectations about the inventory (see the module's docstring)."""
    inv = load([inventory_dir])
    asker = Asker(inv)
    rng = random.Random(seed)
    catalog = load_catalog()
    principals = sorted(inv.principals)
    resources = sorted(inv.resources) + sorted(inv.principals)
    fits = {}
    for action in ACTIONS:
        info = catalog.action(action)
        assert info is not None
        fits[action] = [r for r in resources if applies_to(info, r)] or ["*"]
    expect: list[dict[str, object]] = []
    asked: set[tuple[str, str, str]] = set()
    requests = 1000 if mix == "requests" else 850
    while len(expect) < requests:
        who, action = rng.choice(principals), rng.choice(ACTIONS)
        resource = rng.choice(fits[action])
        if (who, action, resource) in asked:
            continue
        asked.add((who, action, resource))
        answer = asker.ask([(inv.principals[who], action, resource)])[0]
        if answer.result is None:
            continue
        expect.append({"principal": who, "request": f"{action} on {resource}",
                       "decision": answer.result.decision.value})
    while len(expect) < 950:
        who = rng.choice(principals)
        action = rng.choice(NEVER)
        if not testing.never_allowed(testing.principal(inv, who), action):
            expect.append({"principal": who, "never": action})
    while len(expect) < 1000:
        who, action = rng.choice(principals), rng.choice(("kms:Decrypt", "s3:ListBucket", "sqs:SendMessage"))
        allowed = sorted(a.resource for a in asker.can_act(who, action) if a.allowed)
        expect.append({"principal": who, "action": action, "resources": allowed})
    path = out / f"{mix}.iam.json"
    path.write_text(json.dumps({"policies": {"inventory": [str(inventory_dir)]}, "expect": expect}, indent=1))
    return path


@pytest.fixture(scope="module")
def suite_files(inventory_dir: pathlib.Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, pathlib.Path]:
    out = tmp_path_factory.mktemp("expectations")
    return {mix: expectation_file(inventory_dir, out, mix=mix) for mix in ("requests", "mixed")}


@pytest.mark.benchmark(group="expectations")
@pytest.mark.parametrize("mix", ["requests", "mixed"])
def test_expectations_run(benchmark: Any, suite_files: dict[str, pathlib.Path], mix: str) -> None:
    suite_file = suite_files[mix]
    suite = expectations.read(suite_file)
    assert len(suite.expectations) == 1000
    tag(benchmark, role=f"expectations-{mix}", expectations=1000)

    def collect() -> tuple[tuple[expectations.Suite], dict[str, object]]:
        # Collection, as pytest does it, outside the time: a fresh file keeps nothing of the last round's
        # answers (the inventory is loaded once, as in a session).
        return (expectations.read(suite_file),), {}

    def run(fresh: expectations.Suite) -> int:
        return sum(e.run().passed for e in fresh.expectations)

    passed = benchmark.pedantic(run, setup=collect, rounds=BULK_ROUNDS, iterations=1)
    assert passed == 1000


@pytest.mark.benchmark(group="expectations")
def test_expectations_naive(benchmark: Any, suite_files: dict[str, pathlib.Path], inventory_dir: pathlib.Path
                            ) -> None:
    inv: Inventory = load([inventory_dir])
    asker = Asker(inv)
    document = json.loads(suite_files["requests"].read_text())
    pairs = []
    for spec in document["expect"]:
        if "request" in spec:
            action, _, resource = spec["request"].partition(" on ")
            who = inv.principals[spec["principal"]]
            pairs.append((asker.policy_set(who, action, resource), asker.request(who, action, resource),
                          spec["decision"]))
    tag(benchmark, role="expectations-naive", requests=len(pairs))

    def run() -> int:
        return sum(pset.evaluate(request).decision.value == want for pset, request, want in pairs)

    assert benchmark.pedantic(run, rounds=BULK_ROUNDS, iterations=1) == len(pairs)
