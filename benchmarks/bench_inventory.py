"""Inventory: an organisation-scale inventory loaded and asked, against the naive loop in the same run.

The inventory is ``benchmarks.inventory_gen``'s (seed 7: 50 accounts, about 6,000 principals, 2,000
resource policies; the smoke run, ``--benchmark-disable``, uses its ``--small`` size). Each qiam figure
has a baseline measured beside it:

- ``test_inventory_load``: ``qiam.inventory.load`` (read, resolve, compile every document once) against
  ``orjson.loads`` of the same files.
- ``test_who_can``: who may ``kms:Decrypt`` one key, over every principal (``Asker.who_can``, asked
  again: policy sets and requests are kept between questions), against the naive loop: one
  ``PolicySet.evaluate`` per principal, the policy sets built beforehand.
- ``test_can``: what the OrgAdmin role may do, over the whole action catalog (about 22,000 actions),
  against the naive loop over the same actions.
- ``test_task_matrix``: the administrator-task matrix (decisions, missing actions, what blocks them,
  the fixing statements) for the first 600 principals, against the naive loop deciding each
  requirement's request once per principal (no explanation).

``test_inventory_memory`` reports the memory a loaded inventory keeps per principal (tracemalloc).
"""

from __future__ import annotations

import pathlib
import tracemalloc
from typing import Any

import orjson
import pytest

import qiam
from qiam.catalog import load_catalog
from qiam.inventory import Inventory, load
from qiam.queries import Asker, task_matrix

from .conftest import BULK_ROUNDS, tag

MATRIX_PRINCIPALS = 600


@pytest.fixture(scope="module")
def inventory(inventory_dir: pathlib.Path) -> Inventory:
    return load([inventory_dir])


@pytest.mark.benchmark(group="inventory")
def test_inventory_load(benchmark: Any, inventory_dir: pathlib.Path) -> None:
    tag(benchmark, role="inventory-load", files=len(list(inventory_dir.iterdir())))
    loaded = benchmark.pedantic(lambda: load([inventory_dir]), rounds=BULK_ROUNDS, iterations=1)
    assert loaded.diagnostics == () and len(loaded.principals) > 200


@pytest.mark.benchmark(group="inventory")
def test_inventory_orjson(benchmark: Any, inventory_dir: pathlib.Path) -> None:
    paths = sorted(inventory_dir.glob("*.json"))
    tag(benchmark, role="inventory-orjson")
    benchmark.pedantic(lambda: [orjson.loads(p.read_bytes()) for p in paths], rounds=BULK_ROUNDS, iterations=1)


def _key(inventory: Inventory) -> str:
    return next(arn for arn in sorted(inventory.resources) if ":kms:" in arn)


@pytest.mark.benchmark(group="inventory")
def test_who_can(benchmark: Any, inventory: Inventory) -> None:
    asker = Asker(inventory)
    key = _key(inventory)
    asker.who_can("kms:Decrypt", key)
    tag(benchmark, role="who-can", principals=len(inventory.principals))
    answers = benchmark.pedantic(lambda: asker.who_can("kms:Decrypt", key), rounds=BULK_ROUNDS, iterations=1)
    assert len(answers) == len(inventory.principals)


@pytest.mark.benchmark(group="inventory")
def test_who_can_naive(benchmark: Any, inventory: Inventory) -> None:
    asker = Asker(inventory)
    key = _key(inventory)
    principals = list(inventory.principals.values())
    pairs = [(asker.policy_set(p, "kms:Decrypt", key), p) for p in principals]

    def run() -> int:
        return sum(pset.evaluate(asker.request(p, "kms:Decrypt", key)).allowed for pset, p in pairs)

    tag(benchmark, role="who-can-naive")
    allowed = benchmark.pedantic(run, rounds=BULK_ROUNDS, iterations=1)
    assert allowed == sum(a.allowed for a in asker.who_can("kms:Decrypt", key))


def _admin(inventory: Inventory) -> str:
    return next(arn for arn in sorted(inventory.principals) if arn.endswith(":role/OrgAdmin"))


@pytest.mark.benchmark(group="inventory")
def test_can(benchmark: Any, inventory: Inventory) -> None:
    asker = Asker(inventory)
    admin = _admin(inventory)
    asker.can(admin)
    tag(benchmark, role="can", actions=len(load_catalog().expand("*")))
    answers = benchmark.pedantic(lambda: asker.can(admin), rounds=BULK_ROUNDS, iterations=1)
    assert len(answers) > 20_000


@pytest.mark.benchmark(group="inventory")
def test_can_naive(benchmark: Any, inventory: Inventory) -> None:
    asker = Asker(inventory)
    principal = inventory.principals[_admin(inventory)]
    actions = [a.action for a in load_catalog().expand("*")]
    pset = asker.policy_set(principal, actions[0], "*")

    def run() -> int:
        return sum(pset.evaluate(asker.request(principal, action, "*")).allowed for action in actions)

    tag(benchmark, role="can-naive")
    allowed = benchmark.pedantic(run, rounds=BULK_ROUNDS, iterations=1)
    assert allowed == sum(a.allowed for a in asker.can(principal.arn))


def _subset(inventory: Inventory) -> Inventory:
    """The inventory with its first principals only (the matrix over all of them is the slow figure)."""
    import copy

    part = copy.copy(inventory)
    part.principals = dict(list(inventory.principals.items())[:MATRIX_PRINCIPALS])
    return part


@pytest.mark.benchmark(group="inventory")
def test_task_matrix(benchmark: Any, inventory: Inventory) -> None:
    part = _subset(inventory)
    tag(benchmark, role="task-matrix", principals=len(part.principals))
    matrix = benchmark.pedantic(lambda: task_matrix(part), rounds=1, iterations=1)
    assert len(matrix["principals"]) == len(part.principals)  # type: ignore[arg-type]


@pytest.mark.benchmark(group="inventory")
def test_task_matrix_naive(benchmark: Any, inventory: Inventory) -> None:
    from qiam.tasks import Checker, TaskCatalog

    part = _subset(inventory)
    catalog = TaskCatalog.bundled()
    checkers: dict[str, Checker] = {}
    jobs = []
    for principal in part.principals.values():
        checker = checkers.setdefault(principal.account, Checker(catalog, account=principal.account))
        pset = qiam.PolicySet(identity=part.identity(principal), boundary=part.boundary(principal),
                              scps=part.scps(principal.account), rcps=part.rcps(principal.account))
        for name in catalog:
            jobs.append((pset, checker.requests(checker.task(name), principal.arn)))

    def run() -> int:
        allowed = 0
        for pset, requests in jobs:
            for request in requests:
                found = pset.evaluate_scope(request) if request.resource_match else pset.evaluate(request)
                allowed += found.allowed
        return allowed

    tag(benchmark, role="task-matrix-naive")
    assert benchmark.pedantic(run, rounds=1, iterations=1) > 0


def test_inventory_memory(inventory_dir: pathlib.Path, record_property: Any) -> None:
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    loaded = load([inventory_dir])
    kept = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    per_principal = kept / len(loaded.principals)
    record_property("bytes_per_principal", per_principal)
    print(f"\ninventory: {kept / 1e6:.1f} MB kept for {len(loaded.principals):,} principals "
          f"({per_principal / 1e3:.1f} KB each)")
    assert per_principal > 0
