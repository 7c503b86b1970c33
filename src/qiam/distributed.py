"""Batch runs and organisation-wide questions on a Dask cluster (``pip install 'qiam[dask]'``).

The same code runs on a laptop's ``LocalCluster`` and on a real cluster. Work
is split into partitions that are pure functions of their input, so that Dask
may run one again when a worker is lost: results are put together by
partition number, and no line is lost or written twice.

- ``evaluate_batch``: batch-format lines (files, globs, lines, or a Dask bag)
  in partitions; each worker process compiles the library once (every worker
  reads it from one path) and answers each partition with the compiled batch
  path, ``BatchRunner``. Answers come back in input order, or are written as
  partitioned JSON Lines files beside a manifest.
- ``task_matrix``: the administrator-task matrix of ``qiam tasks --inventory``,
  one partition per account file: each worker loads only that account's
  authorization details, with the organisation, the resources and the
  templates every shard shares.
- ``who_can``: ``qiam who-can``'s answers, one partition per shard of
  principals; a worker loads the inventory once and asks its shard.

``connect("local:2")`` starts a LocalCluster of 2 worker processes;
``connect("tcp://host:8786")`` joins a running scheduler. Nothing here is
imported by ``import qiam`` or by a command run without ``--scheduler``.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, Union

import orjson

from qiam._json import kept_dumps
from qiam.errors import QiamError

if TYPE_CHECKING:
    from dask.bag import Bag
    from distributed import Client

    from qiam.context import Environment
    from qiam.queries import Answer, Asker
    from qiam.tasks import TaskCatalog

__all__ = ["BatchAnswer", "DistributedError", "Question", "can", "can_matrix", "connect", "evaluate_batch",
           "task_matrix", "who_can"]

class Progress(Protocol):
    """What shows progress: a tqdm bar, say."""

    def update(self, n: int) -> object: ...


# What evaluate_batch reads: files or globs, lines, or a Dask bag of lines.
BatchSource = Union[str, "os.PathLike[str]", Iterable["str | bytes | os.PathLike[str]"], "Bag"]

PARTITION_LINES = 5_000  # lines per partition: about a second of work, far above the scheduler's cost
MANIFEST_FORMAT = "qiam-batch-manifest/1"


class DistributedError(QiamError, RuntimeError):
    """Dask missing, a scheduler that cannot be reached, or work the cluster could not finish."""

    default_code = "distributed-unavailable"


def _dask() -> Any:
    try:
        import distributed
    except ImportError:
        raise DistributedError("--scheduler needs Dask: pip install 'qiam[dask]'",
                               hint="or run without --scheduler, on this machine's cores") from None
    return distributed


@contextlib.contextmanager
def connect(scheduler: str, *, dashboard: bool = True) -> Iterator[Client]:
    """A Dask client: ``local`` / ``local:N`` starts a LocalCluster of N worker processes (default: one per
    core, one thread each; ``dashboard``: with Dask's dashboard), anything else is a scheduler's address."""
    distributed = _dask()
    if scheduler == "local" or scheduler.startswith("local:"):
        count = scheduler.partition(":")[2]
        if count and (not count.isdigit() or int(count) < 1):
            raise DistributedError(f"--scheduler local:N takes a number of workers, not `{count}`",
                                   code="invalid-usage")
        workers = int(count) if count else os.cpu_count() or 1
        import logging

        import dask

        # The workers are forked from this process, which has imported qiam and Dask already: they start
        # in a tenth of the time a fresh interpreter takes (QIAM_DASK_START=spawn to start them afresh).
        method = os.environ.get("QIAM_DASK_START", "fork")
        with dask.config.set({"distributed.worker.multiprocessing-method": method}), \
                distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                         dashboard_address=":0" if dashboard else None,
                                         silence_logs=logging.ERROR) as cluster, \
                distributed.Client(cluster) as client:
            yield client
        return
    try:
        client = distributed.Client(scheduler, timeout="10s")
    except (OSError, TimeoutError) as exc:
        raise DistributedError(f"cannot reach the scheduler at {scheduler}: {exc}",
                               hint="give its address (tcp://HOST:8786), or local:N for a cluster here") from None
    with client:
        yield client


# ----- batch -----

@dataclass(frozen=True, slots=True)
class BatchAnswer:
    """One partition's answer: its output lines joined (empty when written to a part file), how many
    lines, and whether one was denied or could not be answered."""

    index: int
    output: bytes
    lines: int
    denied: bool
    failed: bool
    part: str | None = None  # the part file it was written to


_RUNNERS: dict[tuple[Any, ...], Any] = {}  # in each worker process: a runner per library and options


def _runner(library: str | None, stamp: tuple[int, int] | None, derive_context: bool, form: str) -> Any:
    """The worker's runner for a library path, made (and its policies compiled) once per process."""
    from qiam.batch import BatchRunner, Library

    key = (library, stamp, derive_context, form)
    found = _RUNNERS.get(key)
    if found is None:
        found = _RUNNERS[key] = BatchRunner(Library.from_path(library) if library else None,
                                            derive_context=derive_context, form=form)
    return found


@dataclass(frozen=True, slots=True)
class _Range:
    """Lines of a file every worker reads: bytes [start, end), the first of them numbered ``first``."""

    path: str
    start: int
    end: int
    first: int
    limit: int

    def lines(self) -> list[tuple[int, bytes | None]]:
        with open(self.path, "rb") as handle:
            handle.seek(self.start)
            data = handle.read(self.end - self.start)
        from qiam.batch import numbered_lines

        return numbered_lines(data, self.first, self.limit)


def warm(library: str | os.PathLike[str] | None, *, derive_context: bool = False, form: str = "jsonl") -> None:
    """Compile the library here, before a local cluster's workers are forked from this process: they
    inherit the compiled runner, as ``--jobs`` workers do, and compile nothing."""
    import gc

    path = os.fspath(library) if library is not None else None
    _runner(path, _stamp(path), derive_context, form)
    gc.freeze()  # (what the workers inherit stays out of the collector's sight: their pages stay shared)


def _answer_partition(index: int, lines: list[tuple[int, bytes | None]] | _Range, library: str | None,
                      stamp: tuple[int, int] | None, derive_context: bool, form: str,
                      part: str | None) -> BatchAnswer:
    numbered = lines.lines() if isinstance(lines, _Range) else lines
    outputs = _runner(library, stamp, derive_context, form).run_numbered(numbered)
    statuses = {status for status, _ in outputs}
    output = b"".join(line for _, line in outputs)
    if part is not None:
        target = Path(part)
        temporary = target.with_suffix(".tmp")
        temporary.write_bytes(output)
        os.replace(temporary, target)  # (a partition run twice writes the same bytes, whole)
        output = b""
    return BatchAnswer(index, output, len(outputs), "denied" in statuses, "error" in statuses, part)


def _stamp(path: str | None) -> tuple[int, int] | None:
    if path is None:
        return None
    stat = os.stat(path)
    return stat.st_mtime_ns, stat.st_size


def partitions(source: Iterable[bytes | str], size: int = PARTITION_LINES, limit: int | None = None
               ) -> Iterator[list[tuple[int, bytes | None]]]:
    """Numbered non-blank lines, ``size`` at a time (a line over ``limit`` bytes is None: an error line)."""
    from qiam.limits import max_line_bytes

    most = limit or max_line_bytes()
    batch: list[tuple[int, bytes | None]] = []
    for number, line in enumerate(source, 1):
        data = line.encode() if isinstance(line, str) else line
        if data.endswith(b"\n"):
            data = data[:-1]
        if not data.strip():
            continue
        batch.append((number, data if len(data) <= most else None))
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _file_ranges(paths: list[str], size: int, limit: int) -> Iterator[_Range]:
    """Each file cut into ranges of ``size`` lines, found by a scan for newlines (the lines stay on disk:
    each worker reads its own)."""
    first = 1
    for path in paths:
        with open(path, "rb") as handle:
            start = offset = 0
            count = 0
            pending = b""
            while True:
                chunk = handle.read(1 << 22)
                if not chunk:
                    break
                pending_start = offset - len(pending)
                data = pending + chunk
                position = 0
                while count + data.count(b"\n", position) >= size:  # a range ends in this chunk
                    for _ in range(size - count):
                        position = data.index(b"\n", position) + 1
                    end = pending_start + position
                    yield _Range(path, start, end, first, limit)
                    first += size
                    start, count = end, 0
                last = data.rfind(b"\n")
                if last >= position:
                    count += data.count(b"\n", position, last + 1)
                    position = last + 1
                pending = data[position:]
                offset += len(chunk)
            if offset > start:
                tail = 1 if pending else 0
                yield _Range(path, start, offset, first, limit)
                first += count + tail


def _file_paths(source: Any) -> list[str] | None:
    """The files a source names (globs expanded), or None when it is lines."""
    if isinstance(source, (str, os.PathLike)):
        source = [source]
    if not isinstance(source, (list, tuple)) or not source:
        return None
    if not all(isinstance(i, os.PathLike) or (isinstance(i, str) and "\n" not in i and not
                                               i.lstrip().startswith("{")) for i in source):
        return None
    paths: list[str] = []
    for item in source:
        text = str(os.fspath(item))
        found = sorted(glob.glob(text)) if glob.has_magic(text) else [text]
        if not found or not all(os.path.isfile(f) for f in found):
            raise DistributedError(f"no file matches `{text}`", code="unreadable-file")
        paths.extend(os.path.abspath(f) for f in found)
    return paths


def _lines_of(source: object) -> Iterator[bytes | str]:
    """The lines of files and globs (in order), or of the lines given (or of a binary stream)."""
    if hasattr(source, "readline"):
        yield from source  # type: ignore[misc]
        return
    if isinstance(source, (str, os.PathLike)):
        source = [source]
    assert isinstance(source, Iterable)
    items: list[Any] = list(source)
    if items and all(isinstance(i, os.PathLike) or (isinstance(i, str) and "\n" not in i and not
                                                      i.lstrip().startswith("{")) for i in items):
        for item in items:
            text = str(os.fspath(item))
            found = sorted(glob.glob(text)) if glob.has_magic(text) else [text]
            if not found:
                raise DistributedError(f"no file matches `{text}`", code="unreadable-file")
            for path in found:
                with open(path, "rb") as handle:
                    yield from handle
        return
    yield from items


def evaluate_batch(source: BatchSource, *, library: str | os.PathLike[str] | None = None, client: Client,
                   derive_context: bool = False, form: str = "jsonl", partition_lines: int = PARTITION_LINES,
                   output_dir: str | os.PathLike[str] | None = None, progress: Progress | None = None,
                   ahead: int | None = None, limit: int | None = None, through_files: bool = False
                   ) -> Iterator[BatchAnswer]:
    """Answer batch-format lines on a Dask cluster, partition by partition, in input order.

    ``source``: files or globs, lines (bytes or text), or a Dask bag of lines.
    ``library``: a path every worker reads (a JSON object of named policies, or
    a directory of ``NAME.json``); each worker process compiles it once.
    ``output_dir``: workers write each partition to ``part-NNNNN.jsonl`` there,
    and a ``manifest.json`` lists the parts; the answers then carry no output.
    ``ahead``: partitions in flight at once (default: four per worker), so
    that memory stays flat however long the input.
    ``progress``: anything with ``update(lines)`` (a tqdm bar).
    ``through_files``: the workers write each partition's answers to a temporary
    file the client reads back (for a cluster on this machine, or one that
    shares the temporary directory: the answers do not cross the network).
    Files are cut into ranges of lines that each worker reads itself; other
    sources cross to the workers as lines.
    """
    distributed = _dask()
    library_path = os.fspath(library) if library is not None else None
    if library_path is not None and not os.path.exists(library_path):
        raise DistributedError(f"cannot read the library {library_path}", code="unreadable-file")
    stamp = _stamp(library_path)
    if hasattr(source, "map_partitions") and hasattr(source, "compute"):  # a Dask bag of lines
        source = source.compute()
    parts_dir = Path(output_dir) if output_dir is not None else None
    if parts_dir is not None:
        parts_dir.mkdir(parents=True, exist_ok=True)
    workers = max(1, len(client.scheduler_info().get("workers", {})))
    window = ahead or 4 * workers
    pending: dict[int, Any] = {}
    manifest: list[dict[str, object]] = []
    from qiam.limits import max_line_bytes

    paths = _file_paths(source)
    work: Iterator[Any] = (_file_ranges(paths, partition_lines, limit or max_line_bytes()) if paths is not None
                           else partitions(_lines_of(source), partition_lines, limit))
    chunks = enumerate(work)
    through = None
    if through_files and parts_dir is None:  # the workers write parts here, the client reads them in order
        import tempfile

        through = Path(tempfile.mkdtemp(prefix="qiam-batch-"))
    token = hashlib.sha256(os.urandom(8)).hexdigest()[:12]
    next_index = 0
    exhausted = False
    while True:
        while not exhausted and len(pending) < window:
            item = next(chunks, None)
            if item is None:
                exhausted = True
                break
            index, lines = item
            folder = parts_dir if parts_dir is not None else through
            part = str(folder / f"part-{index:05d}.jsonl") if folder is not None else None
            pending[index] = client.submit(_answer_partition, index, lines, library_path, stamp, derive_context,
                                           form, part, key=f"qiam-batch-{token}-{index}", retries=2)
        if next_index not in pending:
            break
        try:
            answer: BatchAnswer = pending.pop(next_index).result()
        except distributed.client.FutureCancelledError as exc:  # pragma: no cover - the cluster went away
            raise DistributedError(f"the cluster stopped before partition {next_index} was answered: {exc}",
                                   code="distributed-failed") from None
        if progress is not None:
            progress.update(answer.lines)
        if through is not None and answer.part is not None:
            written = Path(answer.part)
            answer = BatchAnswer(answer.index, written.read_bytes(), answer.lines, answer.denied, answer.failed)
            written.unlink()
        elif answer.part is not None:
            manifest.append({"file": Path(answer.part).name, "index": answer.index, "lines": answer.lines,
                             "denied": answer.denied, "failed": answer.failed})
        next_index += 1
        yield answer
    if through is not None:
        import shutil

        shutil.rmtree(through, ignore_errors=True)
    if parts_dir is not None:
        (parts_dir / "manifest.json").write_bytes(orjson.dumps(
            {"format": MANIFEST_FORMAT, "parts": manifest, "lines": sum(int(str(p["lines"])) for p in manifest)},
            option=orjson.OPT_INDENT_2))


# ----- organisation-wide questions -----

_INVENTORIES: dict[tuple[Any, ...], Any] = {}  # in each worker process: inventories by their files


def _inventory(paths: tuple[str, ...], overlays: tuple[str, ...], parameters: tuple[tuple[str, str], ...]) -> Any:
    from qiam.inventory import load

    key = (paths, overlays, parameters, tuple(_stamp(p) for p in paths))
    found = _INVENTORIES.get(key)
    if found is None:
        _INVENTORIES.clear()  # (one inventory at a time: a worker's memory holds one shard)
        found = _INVENTORIES[key] = load(paths, overlays=overlays, parameters=dict(parameters))
    return found


def shards(paths: Sequence[str | os.PathLike[str]]) -> tuple[list[str], list[str]]:
    """The inventory's account files (authorization details, one shard each) and the files every shard
    shares (organisation, resources, templates, plans)."""
    from qiam import iac
    from qiam.inventory import _DETAIL_KEYS

    files: list[Path] = []
    for given in paths:
        path = Path(given)
        files.extend(sorted(p for p in path.rglob("*.json") if p.is_file()) if path.is_dir() else [path])
    accounts: list[str] = []
    shared: list[str] = []
    for path in files:
        data = path.read_bytes()
        head = data[:4096]
        document = None
        if path.suffix.lower() not in iac.TEMPLATE_SUFFIXES and any(k.encode() in head for k in _DETAIL_KEYS):
            try:
                document = orjson.loads(data)
            except orjson.JSONDecodeError:
                document = None
        details = isinstance(document, dict) and any(k in document for k in _DETAIL_KEYS) or (
            isinstance(document, list) and bool(document))
        (accounts if details else shared).append(str(path))
    return accounts, shared


def _matrix_shard(account_file: str, shared: tuple[str, ...], question: Question, tasks: tuple[str, ...] | None,
                  catalog: Any) -> dict[str, Any]:
    from qiam.queries import task_matrix as local_matrix

    inventory = _inventory((account_file, *shared), question.overlays, question.parameters)
    return local_matrix(inventory, list(tasks) if tasks is not None else None, region=question.region,
                        catalog=catalog, environment=question.environment, context=question.keys(),
                        derive_context=question.derive_context)


def task_matrix(question: Question, tasks: Sequence[str] | None = None, *, client: Client,
                catalog: TaskCatalog | None = None, progress: Progress | None = None) -> dict[str, object]:
    """The task matrix of ``qiam.queries.task_matrix``, one partition per account file: each worker loads
    that account's authorization details with the organisation and the shared files only."""
    accounts, shared = shards(question.paths)
    if not accounts:  # nothing to split by: one shard of everything
        accounts, shared = shared[:1], shared[1:]
    futures = [client.submit(_matrix_shard, account_file, tuple(shared), question,
                             None if tasks is None else tuple(tasks), catalog, retries=2, pure=False)
               for account_file in accounts]
    pieces = []
    for future in futures:
        pieces.append(future.result())
        if progress is not None:
            progress.update(1)
    return _merge_matrices(pieces)


def _merge_matrices(pieces: list[dict[str, Any]]) -> dict[str, Any]:
    """The shards' matrices as one, as the whole inventory's would be."""
    first = pieces[0]
    principals, cells, diagnostics = [], [], []
    accounts: set[str] = set()
    seen_diagnostics: set[bytes] = set()
    for piece in pieces:
        principals.extend(piece["principals"])
        cells.extend(piece["cells"])
        accounts.update(str(p["account"]) for p in piece["principals"])
        for d in piece["diagnostics"]:
            key = kept_dumps(d, option=orjson.OPT_SORT_KEYS)
            if key not in seen_diagnostics:
                seen_diagnostics.add(key)
                diagnostics.append(d)
    summary: dict[str, dict[str, int]] = {t["name"]: {"allowed": 0, "denied": 0, "broken": 0}
                                          for t in first["tasks"]}
    for row in cells:
        for cell in row:
            summary[str(cell["task"])][str(cell["status"])] += 1
    return {**first, "account_count": len(accounts), "principals": principals, "cells": cells,
            "summary": summary, "diagnostics": diagnostics}


@dataclass(frozen=True, slots=True)
class Question:
    """What every shard of one question shares: the inventory's files, and how requests are made.

    ``environment`` must carry its time (``Question.of`` sees to it): every shard makes its requests at
    that one instant, so that they agree with each other and with a run on one machine.
    """

    paths: tuple[str, ...]
    environment: Environment
    overlays: tuple[str, ...] = ()
    parameters: tuple[tuple[str, str], ...] = ()
    region: str | None = None  # the task matrix's region
    context: tuple[tuple[str, object], ...] = ()
    derive_context: bool = True

    @classmethod
    def of(cls, paths: Sequence[str | os.PathLike[str]], *, environment: Environment | None = None,
           overlays: Sequence[str] = (), parameters: dict[str, str] | None = None, region: str | None = None,
           context: dict[str, object] | None = None, derive_context: bool = True) -> Question:
        import dataclasses
        import datetime as dt

        from qiam.context import Environment

        base = environment or Environment()
        if base.time is None:
            base = dataclasses.replace(base, time=dt.datetime.now(dt.UTC).replace(microsecond=0))
        return cls(tuple(str(os.fspath(p)) for p in paths), base, tuple(overlays),
                   tuple(sorted((parameters or {}).items())), region,
                   tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in (context or {}).items()),
                   derive_context)

    def keys(self) -> dict[str, object]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in self.context}

    def asker(self) -> Asker:
        """This worker's asker for the question, made once per process."""
        from qiam.queries import Asker

        inventory = _inventory(self.paths, self.overlays, self.parameters)
        key = ("asker", self.environment, self.context, self.derive_context)
        found: Asker | None = _INVENTORIES.get(key)
        if found is None or found.inventory is not inventory:
            found = _INVENTORIES[key] = Asker(inventory, environment=self.environment, context=self.keys() or None,
                                              derive_context=self.derive_context)
        return found


def _describe(question: Question) -> tuple[int, list[dict[str, object]]]:
    from qiam.cli._inventory import diagnostics_json

    inventory = question.asker().inventory
    return len(inventory.principals), diagnostics_json(inventory)


def _who_can_shard(question: Question, action: str, resource: str | None, first: int, count: int
                   ) -> list[tuple[int, Any]]:
    asker = question.asker()
    info = asker.action_info(action)
    resources = [resource] if resource is not None else asker.resources_for(info)
    principals = list(asker.inventory.principals.values())[first:first + count]
    out: list[tuple[int, Any]] = []
    for index, arn in enumerate(resources):
        out.extend((index, answer) for answer in asker.ask((p, info.action, arn) for p in principals))
    return out


def who_can(question: Question, action: str, resource: str | None = None, *, client: Client,
            shard_size: int = 500, progress: Progress | None = None
            ) -> tuple[list[Answer], int, list[dict[str, object]]]:
    """``Asker.who_can``'s answers, in its order, from shards of ``shard_size`` principals (each worker
    loads the inventory once, from paths every worker reads); with the number of principals and the
    inventory's diagnostics."""
    total, diagnostics = client.submit(_describe, question, pure=False).result()
    futures = [client.submit(_who_can_shard, question, action, resource, first, shard_size, retries=2, pure=False)
               for first in range(0, total, shard_size)]
    found: list[tuple[int, int, Any]] = []
    for shard, future in enumerate(futures):
        found.extend((index, shard, answer) for index, answer in future.result())
        if progress is not None:
            progress.update(1)
    found.sort(key=lambda item: (item[0], item[1]))  # (stable: each shard keeps its own order)
    return [answer for _, _, answer in found], total, diagnostics


def _can_shard(question: Question, principal: str, resource: str | None, first: int, count: int
               ) -> tuple[str, list[Any], list[Any]]:
    from qiam.catalog import load_catalog
    from qiam.resource_types import applies_to, type_of_arn

    asker = question.asker()
    who = asker.principal(principal)
    actions = load_catalog().expand("*")[first:first + count]
    if resource is None:
        answers = asker.ask((who, a.action, "*") for a in actions)
        return who.arn, answers, asker.can_somewhere(principal, answers)
    if type_of_arn(resource) is None:
        from qiam.queries import QueryError

        raise QueryError(f"`{resource}` is not an ARN of a resource type the catalog knows",
                         hint="give a full ARN, e.g. arn:aws:s3:::bucket")
    return who.arn, asker.ask((who, a.action, resource) for a in actions if applies_to(a, resource)), []


def can(question: Question, principal: str, resource: str | None = None, *, client: Client,
        shard_size: int = 2000, progress: Progress | None = None
        ) -> tuple[str, list[Answer], list[Answer], list[dict[str, object]]]:
    """``Asker.can`` (and, on ``*``, ``Asker.can_somewhere``) for one principal, the action catalog in
    shards of ``shard_size`` actions; with the principal's ARN and the inventory's diagnostics."""
    from qiam.catalog import load_catalog

    _, diagnostics = client.submit(_describe, question, pure=False).result()
    total = len(load_catalog().expand("*"))
    futures = [client.submit(_can_shard, question, principal, resource, first, shard_size, retries=2, pure=False)
               for first in range(0, total, shard_size)]
    arn, answers, somewhere = "", [], []
    for future in futures:
        arn, some, where = future.result()
        answers.extend(some)
        somewhere.extend(where)
        if progress is not None:
            progress.update(1)
    return arn, answers, somewhere, diagnostics


def _can_act_shard(question: Question, principal: str, action: str) -> tuple[str, list[Any]]:
    asker = question.asker()
    return asker.principal(principal).arn, asker.can_act(principal, action)


def can_act(question: Question, principal: str, action: str, *, client: Client
            ) -> tuple[str, list[Answer], list[dict[str, object]]]:
    """``Asker.can_act``: the principal's answers for one action on every inventory resource it fits."""
    _, diagnostics = client.submit(_describe, question, pure=False).result()
    arn, answers = client.submit(_can_act_shard, question, principal, action, retries=2, pure=False).result()
    return arn, answers, diagnostics


def _can_matrix_shard(account_file: str, shared: tuple[str, ...], question: Question, by: str,
                      patterns: tuple[str, ...]) -> dict[str, dict[str, int] | list[str]]:
    import dataclasses

    from qiam.catalog import load_catalog

    shard = dataclasses.replace(question, paths=(account_file, *shared))
    asker = shard.asker()
    catalog = load_catalog()
    actions = list(dict.fromkeys(a.action for pattern in patterns for a in catalog.expand(pattern)))
    out: dict[str, dict[str, int] | list[str]] = {}
    for principal in asker.inventory.principals.values():
        allowed = [a.action for a in asker.ask((principal, action, "*") for action in actions) if a.allowed]
        if by == "service":
            counts: dict[str, int] = {}
            for action in allowed:
                service = action.split(":", 1)[0]
                counts[service] = counts.get(service, 0) + 1
            out[principal.arn] = counts
        else:
            out[principal.arn] = allowed
    return out


def can_matrix(question: Question, *, client: Client, by: str = "action", actions: Sequence[str] = ("*",),
               progress: Progress | None = None) -> dict[str, dict[str, int] | list[str]]:
    """Every principal × the catalog's actions the patterns cover (default: all), on ``*``: for each
    principal its allowed actions (``by="action"``) or how many of each service's (``by="service"``);
    one partition per account file, each loading only that account with the organisation and shared
    files."""
    if by not in ("action", "service"):
        raise ValueError("by is `action` or `service`")
    accounts, shared = shards(question.paths)
    futures = [client.submit(_can_matrix_shard, account_file, tuple(shared), question, by, tuple(actions),
                             retries=2, pure=False) for account_file in accounts]
    out: dict[str, dict[str, int] | list[str]] = {}
    for future in futures:
        for arn, row in future.result().items():
            out.setdefault(arn, row)
        if progress is not None:
            progress.update(1)
    return out
