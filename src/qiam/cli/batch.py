"""``qiam batch FILE|-``: JSON Lines requests in, JSON Lines results out, streaming, in order.

Input is taken a chunk at a time: whole lines as read, at most ``CHUNK_BYTES``,
ending as soon as no more input is ready, so that a long-lived ``qiam batch``
answers each line as it comes (batch-format.md: results are flushed per line)
and a file is read at full speed. With ``--jobs N`` chunks go to N worker
processes as they were read, each with its own compiled policies, which split
and number the lines themselves: this process reads, deals and writes, and
touches no line. Results are written in input order. SIGTERM and SIGINT stop
the workers too.
"""

from __future__ import annotations

import argparse
import itertools
import os
import select
import signal
import sys
from collections import deque
from collections.abc import Iterator
from typing import Any, BinaryIO, NamedTuple, cast

from qiam.batch import BatchRunner, Library, numbered_lines
from qiam.cli._common import EXIT_ERROR, EXIT_NO, EXIT_YES, UsageError, quiet_stdout
from qiam.errors import QiamError
from qiam.limits import InputTooLarge, max_line_bytes

CHUNK_BYTES = 1 << 19  # bytes of whole lines per chunk, at the most (about 1,300 lines of the bench files)
_READ = 1 << 20  # bytes per read
RUN_ON = 16  # times the line limit a line over it may run on before the run ends
_WORKER: BatchRunner | None = None  # the runner a worker process inherits from the parent, warmed
_STOPS = {signal.SIGINT, signal.SIGTERM}


class Answers(NamedTuple):
    """The answer of one chunk: its output lines joined, and what the exit code needs to know.

    One bytes object and two flags cross the pipe from a worker, not a tuple per
    line: the parent only writes.
    """

    output: bytes
    lines: int
    denied: bool
    failed: bool


def _answers(outputs: list[tuple[str, bytes]]) -> Answers:
    statuses = {status for status, _ in outputs}
    return Answers(b"".join(line for _, line in outputs), len(outputs), "denied" in statuses, "error" in statuses)

class Chunk(NamedTuple):
    """Input as read: whole lines (``data``), the first numbered ``first``, those over ``limit`` bytes
    answered as too long; ``data`` None is one line over the limit, reported before it ended."""

    first: int
    data: bytes | None
    limit: int
    waited: bool  # the input had no more when it was cut: answer it before reading on

    def numbered(self) -> list[tuple[int, bytes | None]]:
        if self.data is None:
            return [(self.first, None)]
        return numbered_lines(self.data, self.first, self.limit)


def add_parser(commands: Any) -> None:
    p = commands.add_parser(
        "batch", help="evaluate JSON Lines requests",
        description="Evaluate one request per line (the batch line format) and write one result per line, "
                    "in order, as each is decided.",
        epilog="examples:\n"
               "  qiam batch --library policies.json requests.jsonl\n"
               "  qiam batch --jobs 2 --library policies/ - < requests.jsonl > results.jsonl\n"
               "  qiam batch --derive-context --fail-on-deny requests.jsonl\n"
               "exit codes: 0 every line answered, 1 a line denied (with --fail-on-deny), "
               "2 a line could not be answered or the input could not be read",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("input", help="the requests, a JSON Lines file, or - for standard input")
    p.add_argument("--library", metavar="PATH",
                   help='named policies for {"$ref": NAME}: a JSON object file or a directory of NAME.json')
    p.add_argument("-o", "--output", metavar="FILE", help="write results here instead of standard output")
    p.add_argument("--jobs", type=_jobs, default=None, metavar="N",
                   help="worker processes (default: every core; 1: none, all in this process)")
    p.add_argument("--jobs-force", action="store_true", help="allow --jobs above the number of cores")
    p.add_argument("--max-line-bytes", type=_positive, default=None, metavar="N",
                   help="the longest line read; a longer one is an error line (default 64 MiB, "
                        "QIAM_MAX_LINE_BYTES)")
    p.add_argument("--fail-on-deny", action="store_true", help="exit 1 if any request is denied")
    p.add_argument("--derive-context", action="store_true",
                   help='add the context AWS supplies to every line that does not say "derive_context"')
    p.add_argument("--format", choices=("jsonl", "aws"), default="jsonl",
                   help="jsonl (the batch format) or aws (the AWS policy simulator's result shape, per line)")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="a progress line on standard error (default: when it is a terminal)")
    from qiam.cli._cluster import add_scheduler_option

    add_scheduler_option(p)
    p.add_argument("--partition-lines", type=_positive, default=None, metavar="N",
                   help="with --scheduler: lines per partition (default 5,000)")
    p.add_argument("--output-dir", metavar="DIR",
                   help="with --scheduler: the workers write part-NNNNN.jsonl files and a manifest.json here")
    p.set_defaults(run=run)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"`{text}` is not a whole number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _jobs(text: str) -> int:
    return _positive(text)


def run(args: argparse.Namespace) -> int:
    if args.scheduler:
        return _on_cluster(args)
    if args.partition_lines or args.output_dir:
        raise UsageError("--partition-lines and --output-dir are for --scheduler")
    cores = os.cpu_count() or 1
    jobs = args.jobs or cores
    if jobs > cores and not args.jobs_force:
        raise UsageError(f"--jobs {jobs} is more than the {cores} cores of this machine",
                         hint="workers beyond the cores only wait for each other; add --jobs-force to insist")
    library = Library.from_path(args.library) if args.library else None
    limit = args.max_line_bytes or max_line_bytes()
    try:
        source: BinaryIO = sys.stdin.buffer if args.input == "-" else open(args.input, "rb")  # noqa: SIM115
    except OSError as exc:
        raise QiamError(f"cannot read {args.input}: {exc.strerror or exc}", code="unreadable-file",
                        hint="give a JSON Lines file, or - for standard input") from None
    output = _Output(args.output)
    progress = _progress(args)
    failed = denied = False
    previous = signal.signal(signal.SIGTERM, _terminated)
    try:
        for answers in _results(_chunks(source, limit), library, jobs, (args.derive_context, args.format), progress):
            output.write(answers.output)
            failed = failed or answers.failed
            denied = denied or answers.denied
            output.flush()
        output.close()
    finally:
        signal.signal(signal.SIGTERM, previous)
        if progress is not None:
            progress.close()
        if source is not sys.stdin.buffer:
            source.close()
    if failed:
        return EXIT_ERROR
    return EXIT_NO if denied and args.fail_on_deny else EXIT_YES


def _on_cluster(args: argparse.Namespace) -> int:
    """The run on a Dask cluster: partitions of lines, answered by the workers, written in input order."""
    from qiam import distributed

    if args.jobs:
        raise UsageError("--jobs is for this machine; with --scheduler the cluster's workers do the work")
    if args.input != "-" and not os.path.exists(args.input):
        raise QiamError(f"cannot read {args.input}: no such file", code="unreadable-file",
                        hint="give a JSON Lines file, or - for standard input")
    source: Any = sys.stdin.buffer if args.input == "-" else [args.input]
    output = None if args.output_dir else _Output(args.output)
    progress = _progress(args)
    failed = denied = False
    local = args.scheduler == "local" or args.scheduler.startswith("local:")
    if local and args.library:
        distributed.warm(args.library, derive_context=args.derive_context, form=args.format)
    try:
        with distributed.connect(args.scheduler, dashboard=progress is not None) as client:
            if progress is not None:
                link = client.dashboard_link
                if link:
                    print(f"qiam: the cluster's dashboard: {link}", file=sys.stderr)
            for answer in distributed.evaluate_batch(
                    source, library=args.library, client=client, derive_context=args.derive_context,
                    form=args.format, partition_lines=args.partition_lines or distributed.PARTITION_LINES,
                    output_dir=args.output_dir, progress=progress, limit=args.max_line_bytes or max_line_bytes(),
                    # (a cluster on this machine: answers come back through files, not the scheduler)
                    through_files=local):
                if output is not None:
                    output.write(answer.output)
                    output.flush()
                failed = failed or answer.failed
                denied = denied or answer.denied
        if output is not None:
            output.close()
    finally:
        if progress is not None:
            progress.close()
    if failed:
        return EXIT_ERROR
    return EXIT_NO if denied and args.fail_on_deny else EXIT_YES


def _terminated(signum: int, frame: Any) -> None:
    quiet_stdout()  # (as for SIGINT: nothing buffered may hold up the exit)
    raise SystemExit(128 + signum)


class _Output:
    """Where results go: standard output or a file, flushed after each chunk; a failure to write is a
    coded error naming the place."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        if path is None:
            self.stream: BinaryIO = sys.stdout.buffer
            return
        try:
            self.stream = open(path, "wb")  # noqa: SIM115
        except OSError as exc:
            raise self._error(exc) from None

    def _error(self, exc: OSError) -> QiamError:
        where = self.path or "the output"
        return QiamError(f"cannot write {where}: {exc.strerror or exc}", code="unwritable-output",
                         hint="check the path, the disk and the permissions")

    def write(self, data: bytes) -> None:
        try:
            self.stream.write(data)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise self._error(exc) from None

    def flush(self) -> None:
        try:
            self.stream.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise self._error(exc) from None

    def close(self) -> None:
        self.flush()
        if self.path is not None:
            try:
                self.stream.close()
            except OSError as exc:
                raise self._error(exc) from None


def _progress(args: argparse.Namespace) -> Any:
    show = args.progress if args.progress is not None else sys.stderr.isatty()
    if not show:
        return None
    from tqdm import tqdm  # type: ignore[import-untyped]

    return tqdm(unit=" lines", unit_scale=True, file=sys.stderr, desc="qiam batch", dynamic_ncols=True,
                mininterval=0.5)


def _ready(fd: int) -> bool:
    """Whether reading ``fd`` would not wait (a regular file always is)."""
    try:
        return bool(select.select([fd], [], [], 0)[0])
    except (OSError, ValueError):
        return True


def _chunks(source: BinaryIO, limit: int) -> Iterator[Chunk]:
    """The input in chunks of whole lines: at most CHUNK_BYTES, and no more than what has come when the
    input makes us wait. A line over ``limit`` bytes that has not ended is reported (a Chunk of no data)
    as soon as it passes the limit, and read past; one that runs on past RUN_ON times the limit ends the
    run (InputTooLarge): such input (``/dev/zero``) is not JSON Lines, and would be read forever. Lines
    are counted (``bytes.count``), never split, here."""
    try:
        fd: int | None = source.fileno()
    except (OSError, ValueError, AttributeError):
        fd = None
    buffer = b""
    number = 0  # the lines before the buffer
    skipped = -1  # inside a line over the limit, already reported: how much of it was read past
    while True:
        data = os.read(fd, _READ) if fd is not None else source.read(_READ)
        if not data:
            break
        if skipped >= 0:
            end = data.find(b"\n")
            if end < 0:
                skipped += len(data)
                if skipped > RUN_ON * limit:
                    raise InputTooLarge(f"line {number} runs on past {skipped:,} bytes without a line break: "
                                        "the input is not JSON Lines", code="input-not-lines",
                                        hint="give one JSON object per line (batch-format.md)")
                continue
            data = data[end + 1:]  # (the rest of the line reported already)
            skipped = -1
        buffer += data
        waited = fd is not None and not _ready(fd)
        while len(buffer) >= CHUNK_BYTES or (waited and buffer):
            cut = buffer.rfind(b"\n", 0, CHUNK_BYTES)
            if cut < 0:
                cut = buffer.find(b"\n")  # (one line longer than a chunk)
                if cut < 0:
                    break
            whole, buffer = buffer[:cut + 1], buffer[cut + 1:]
            more = len(buffer) >= CHUNK_BYTES or (waited and b"\n" in buffer)
            yield Chunk(number + 1, whole, limit, waited and not more)
            number += whole.count(b"\n")
        ended = buffer.rfind(b"\n")
        if len(buffer) - ended - 1 > limit:  # the last line has not ended, and is over the limit already
            if ended >= 0:
                whole = buffer[:ended + 1]
                yield Chunk(number + 1, whole, limit, False)
                number += whole.count(b"\n")
            number += 1
            yield Chunk(number, None, limit, False)
            skipped = len(buffer) - ended - 1
            buffer = b""
    if skipped < 0 and buffer.strip():
        yield Chunk(number + 1, buffer, limit, True)


def _results(chunks: Iterator[Chunk], library: Library | None, jobs: int, options: tuple[bool, str],
             progress: Any) -> Iterator[Answers]:
    """The answers of each chunk, in order."""
    runner = BatchRunner(library, derive_context=options[0], form=options[1])
    # The first chunk is answered here and at once: a stream's first line must not wait for a second.
    first = next(chunks, None)
    if first is None:
        return
    yield _counted(_answers(runner.run_numbered(first.numbered())), progress)
    second = next(chunks, None)
    if second is None:
        return
    if jobs <= 1:
        for chunk in itertools.chain((second,), chunks):
            yield _counted(_answers(runner.run_numbered(chunk.numbered())), progress)
        return
    yield from _in_workers(runner, second, chunks, jobs, progress)


def _counted(answers: Answers, progress: Any) -> Answers:
    if progress is not None:
        progress.update(answers.lines)
    return answers


def _in_workers(runner: BatchRunner, head: Chunk, rest: Iterator[Chunk], jobs: int,
                progress: Any) -> Iterator[Answers]:
    """The answers of the chunks, from ``jobs`` worker processes, in input order."""
    import gc

    global _WORKER
    # The workers are forked from this process and inherit its runner, with the policies the first
    # chunk compiled and the answers it found: nothing is compiled again, and nothing is pickled.
    _WORKER = runner
    gc.freeze()  # what the workers inherit stays out of the collector's sight: their pages stay shared
    workers = _Workers()
    try:
        # A signal while the workers are being made would leave some no one stops: it waits until they
        # all are, and is taken inside the block that stops them.
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, _STOPS)
        try:
            workers.start(jobs)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        # Chunks are dealt to the workers in turn, one at a time each, and their answers read back in the
        # same turn: the order of the input, and no worker waits on a parent that is writing to it.
        pending: deque[int] = deque()
        idle = deque(range(jobs))

        def drain(wait_all: bool) -> Iterator[Answers]:
            while pending and (wait_all or not idle or workers.ready(pending[0])):
                worker = pending.popleft()
                yield _counted(workers.receive(worker), progress)
                idle.append(worker)

        for chunk in itertools.chain((head,), rest):
            if not idle:
                yield from drain(False)
            worker = idle.popleft()
            workers.send(worker, chunk)
            pending.append(worker)
            # The input made us wait: answer what has come before reading on.
            yield from drain(chunk.waited)
        yield from drain(True)
    finally:
        workers.stop()
        gc.unfreeze()
        _WORKER = None


class _Workers:
    """Worker processes forked from this one, each at the other end of its own pipe.

    No lock or queue is shared with them, so stopping them (on a signal, an
    error, or the end) is killing them: nothing of theirs can hold up this
    process.
    """

    def __init__(self) -> None:
        self.processes: list[Any] = []
        self.links: list[Any] = []

    def start(self, jobs: int) -> None:
        import multiprocessing

        context = multiprocessing.get_context("fork")
        for _ in range(jobs):
            here, there = context.Pipe()
            process = context.Process(target=_serve, args=(there,), daemon=True)
            process.start()
            there.close()
            self.processes.append(process)
            self.links.append(here)

    def send(self, worker: int, chunk: Chunk) -> None:
        try:
            self.links[worker].send(chunk)
        except OSError:  # (a broken pipe here is a worker gone, not standard output closed)
            raise self._lost(worker) from None

    def ready(self, worker: int) -> bool:
        return bool(self.links[worker].poll())

    def receive(self, worker: int) -> Answers:
        try:
            answer = self.links[worker].recv()
        except (EOFError, OSError):
            raise self._lost(worker) from None
        if isinstance(answer, str):  # what went wrong in the worker, which is a bug
            raise RuntimeError(answer)
        return cast(Answers, answer)

    def _lost(self, worker: int) -> QiamError:
        process = self.processes[worker]
        process.join(timeout=1)
        return QiamError(f"a worker process stopped (exit code {process.exitcode}) before it answered",
                         code="worker-lost", hint="run with --jobs 1 to see the line it stopped at")

    def stop(self) -> None:
        for process in self.processes:
            if process.is_alive():
                process.kill()
        for process in self.processes:
            process.join()
        for link in self.links:
            link.close()


def _serve(link: Any) -> None:
    """A worker: answer each chunk that comes down the pipe, until the parent closes it."""
    # The parent stops the workers (on SIGTERM, SIGINT, an error): a worker leaves both to it, and
    # takes SIGTERM, which the parent blocked while it forked them, again.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOPS)
    assert _WORKER is not None
    while True:
        try:
            chunk: Chunk = link.recv()
        except EOFError:
            return
        try:
            answer: Answers | str = _answers(_WORKER.run_numbered(chunk.numbered()))
        except Exception as exc:  # noqa: BLE001 - told to the parent, which reports it
            answer = f"internal error in a worker: {exc!r}"
        link.send(answer)
