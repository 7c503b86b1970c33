"""qiam.distributed on a LocalCluster of 2 worker processes: the output equals the local run's, byte for
byte (the bench workloads, their nonce copies, the generated inventory's questions); a killed worker
loses and duplicates nothing; Dask is never imported without --scheduler."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import redirect_stdout
from pathlib import Path

import pytest
from benchmarks.inventory_gen import generate
from benchmarks.nonce import write_nonce_copy

from qiam.batch import BatchRunner, Library
from tests.conftest import ROOT, shared_path

distributed = pytest.importorskip("distributed")
from qiam import distributed as qd  # noqa: E402 - (after the skip: Dask is an extra)

pytestmark = pytest.mark.slow
TIME = "2026-06-01T12:00:00Z"


@pytest.fixture(scope="module")
def client() -> Iterator[object]:
    import logging

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                  silence_logs=logging.ERROR) as cluster, distributed.Client(cluster) as c:
        yield c


@pytest.fixture(scope="module")
def workloads(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("workloads")
    found = {}
    for name in ("identity-10k", "layered-10k"):
        source = shared_path("bench", f"{name}.jsonl")
        found[name] = source
        found[f"{name}-nonce"] = out / f"{name}-nonce.jsonl"
        write_nonce_copy(source, found[f"{name}-nonce"], seed=1)
    return found


def _local(path: Path, library: Path | None) -> bytes:
    runner = BatchRunner(Library.from_path(library) if library else None)
    with path.open("rb") as handle:
        return b"".join(line for _, line in runner.run_bytes(handle))


@pytest.mark.parametrize("name", ["identity-10k", "layered-10k", "identity-10k-nonce", "layered-10k-nonce"])
def test_batch_output_equals_the_local_run(client: object, workloads: dict[str, Path], name: str) -> None:
    library = shared_path("bench", "library.json")
    path = workloads[name]
    want = _local(path, library)
    answers = list(qd.evaluate_batch([path], library=library, client=client, partition_lines=1500))  # type: ignore[arg-type]
    assert [a.index for a in answers] == list(range(len(answers))) and len(answers) == 7
    assert b"".join(a.output for a in answers) == want
    assert sum(a.lines for a in answers) == 10_000


def test_the_command_line_with_a_local_cluster(workloads: dict[str, Path], tmp_path: Path) -> None:
    library = shared_path("bench", "library.json")
    out = tmp_path / "out.jsonl"
    code, _ = _cli("batch", "--scheduler", "local:2", "--library", str(library), str(workloads["identity-10k"]),
                   "-o", str(out))
    assert code == 0 and out.read_bytes() == _local(workloads["identity-10k"], library)


def test_a_bad_line_gives_its_error_line_as_locally(client: object, tmp_path: Path) -> None:
    library = shared_path("bench", "library.json")
    lines = shared_path("bench", "layered-10k.jsonl").read_bytes().splitlines(keepends=True)[:50]
    lines[7] = b'{"id": "bad", "policies": [{"$ref": "nope"}], "request": {"action": "s3:GetObject"}}\n'
    lines[20] = b"not json\n"
    lines.insert(30, b"\n")
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"".join(lines))
    answers = list(qd.evaluate_batch([path], library=library, client=client, partition_lines=9))  # type: ignore[arg-type]
    assert b"".join(a.output for a in answers) == _local(path, library)
    assert any(a.failed for a in answers)


def test_parts_and_a_manifest(client: object, tmp_path: Path, workloads: dict[str, Path]) -> None:
    library = shared_path("bench", "library.json")
    out = tmp_path / "parts"
    answers = list(qd.evaluate_batch([workloads["identity-10k"]], library=library, client=client,  # type: ignore[arg-type]
                                     partition_lines=4000, output_dir=out))
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["format"] == "qiam-batch-manifest/1" and manifest["lines"] == 10_000
    assert [p["file"] for p in manifest["parts"]] == ["part-00000.jsonl", "part-00001.jsonl", "part-00002.jsonl"]
    assert all(a.output == b"" for a in answers)
    written = b"".join((out / p["file"]).read_bytes() for p in manifest["parts"])
    assert written == _local(workloads["identity-10k"], library)


def test_a_killed_worker_loses_and_duplicates_nothing(workloads: dict[str, Path]) -> None:
    import logging

    library = shared_path("bench", "library.json")
    path = workloads["layered-10k-nonce"]
    want = _local(path, library)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                  silence_logs=logging.CRITICAL) as cluster, distributed.Client(cluster) as c:
        pids = c.run(os.getpid)
        got = []
        killed = None
        for answer in qd.evaluate_batch([path], library=library, client=c, partition_lines=250, ahead=16):
            got.append(answer)
            if killed is None and len(got) == 2:  # partitions in flight on both workers: kill one
                killed = sorted(pids.values())[0]
                os.kill(killed, signal.SIGKILL)
        assert killed is not None
    assert [a.index for a in got] == list(range(40))
    assert b"".join(a.output for a in got) == want


@pytest.fixture(scope="module")
def inventory_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("inventory")
    generate(out, seed=7, accounts=5, roles=200, users=50, resources=100)
    return out


def _cli(*argv: str) -> tuple[int, str]:
    from qiam.cli import main

    buffer = io.StringIO()
    with redirect_stdout(buffer):
        code = main(list(argv))
    return code, buffer.getvalue()


@pytest.mark.parametrize("command", [
    ["tasks", "--json", "--task", "plugins", "--task", "customizations"],
    ["tasks", "--task", "plugins"],
    ["who-can", "kms:Decrypt", "--json"],
    ["who-can", "kms:Decrypt"],
    ["can", "{principal}", "--json"],
    ["can", "{principal}"],
    ["can", "{principal}", "kms:Decrypt", "--json"],
])
def test_inventory_questions_equal_the_local_run(client: object, inventory_dir: Path, command: list[str]) -> None:
    from qiam.inventory import load

    # (a role whose policies allow much: the OrgAdmin role of the first account)
    principal = next(a for a in load([inventory_dir]).principals if a.endswith(":role/OrgAdmin"))
    argv = [*(w.replace("{principal}", principal) for w in command), "--inventory", str(inventory_dir), "--time", TIME]
    local_code, local = _cli(*argv)
    # (the module's cluster, by its address: the path of a scheduler that is already running)
    code, remote = _cli(*argv, "--scheduler", client.scheduler.address)  # type: ignore[attr-defined]
    assert (code, remote) == (local_code, local)
    assert len(local) > 200


def test_the_task_matrix_shards_by_account(client: object, inventory_dir: Path) -> None:
    accounts, shared = qd.shards([inventory_dir])
    assert len(accounts) == 5 and sorted(Path(p).name for p in shared) == ["organization.json", "resources.json"]
    from qiam.context import Environment, parse_time
    from qiam.inventory import load
    from qiam.queries import task_matrix

    question = qd.Question.of([inventory_dir], environment=Environment(time=parse_time(TIME)))
    remote = qd.task_matrix(question, ["plugins"], client=client)  # type: ignore[arg-type]
    local = task_matrix(load([inventory_dir]), ["plugins"], environment=Environment(time=parse_time(TIME)))
    assert json.dumps(remote) == json.dumps(local)
    matrix = qd.can_matrix(question, client=client, actions=["kms:*", "sts:Assume*"])  # type: ignore[arg-type]
    # The naive loop over the whole inventory, principal by principal, action by action.
    from qiam.catalog import load_catalog
    from qiam.queries import Asker

    inventory = load([inventory_dir])
    asker = Asker(inventory, environment=Environment(time=parse_time(TIME)))
    actions = [a.action for p in ("kms:*", "sts:Assume*") for a in load_catalog().expand(p)]
    naive = {p.arn: [a for a in actions if asker.ask([(p, a, "*")])[0].allowed]
             for p in inventory.principals.values()}
    assert matrix == naive and any(matrix.values())
    counts = qd.can_matrix(question, client=client, by="service", actions=["kms:*"])  # type: ignore[arg-type]
    assert counts == {arn: ({"kms": len(row)} if row else {}) for arn, row in
                      qd.can_matrix(question, client=client, actions=["kms:*"]).items()}  # type: ignore[arg-type]


def test_dask_is_not_imported_without_scheduler(inventory_dir: Path) -> None:
    from qiam.inventory import load

    library = shared_path("bench", "library.json")
    principal = next(a for a in load([inventory_dir]).principals if a.endswith(":role/OrgAdmin"))
    script = f"""
import sys, io, contextlib
import qiam
assert "dask" not in sys.modules and "distributed" not in sys.modules
from qiam.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    main(["batch", "--jobs", "1", "--library", {str(library)!r}, {str(shared_path("bench", "identity-10k.jsonl"))!r}])
    main(["who-can", "kms:Decrypt", "--inventory", {str(inventory_dir)!r}])
    main(["can", {principal!r}, "--inventory", {str(inventory_dir)!r}])
    main(["tasks", "--inventory", {str(inventory_dir)!r}, "--task", "plugins", "--json"])
    main(["check", "-p", "examples/policy.json", "s3:GetObject on *"])
found = sorted(m for m in sys.modules if m.split(".")[0] in ("dask", "distributed"))
assert not found, found
print("clean")
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0 and "clean" in done.stdout, done.stderr
