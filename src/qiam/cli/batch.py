"""``qiam batch FILE|-``: JSON Lines requests in, JSON Lines results out, streaming, in order.

With ``--jobs N`` (default: every core) chunks of lines go to N worker
processes, each with its own compiled policies; results come back and are
written in input order.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, BinaryIO

from qiam.batch import BatchRunner, Library, LibraryError
from qiam.cli._common import EXIT_ERROR, EXIT_NO, EXIT_YES

CHUNK = 2048  # lines per piece of work
_WORKER: BatchRunner | None = None  # a worker process's runner (one per process)


def add_parser(commands: Any) -> None:
    p = commands.add_parser(
        "batch", help="evaluate JSON Lines requests",
        description="Evaluate one request per line (the batch line format) and write one result per line.")
    p.add_argument("input", help="the requests, a JSON Lines file, or - for standard input")
    p.add_argument("--library", metavar="PATH",
                   help='named policies for {"$ref": NAME}: a JSON object file or a directory of NAME.json')
    p.add_argument("-o", "--output", metavar="FILE", help="write results here instead of standard output")
    p.add_argument("--jobs", type=int, default=0, metavar="N",
                   help="worker processes (default: every core; 1: none, all in this process)")
    p.add_argument("--fail-on-deny", action="store_true", help="exit 1 if any request is denied")
    p.add_argument("--derive-context", action="store_true",
                   help='add the context AWS supplies to every line that does not say "derive_context"')
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        library = Library.from_path(args.library) if args.library else None
    except LibraryError as exc:
        print(f"error: {exc} [{exc.code}]", file=sys.stderr)
        return EXIT_ERROR
    try:
        source: BinaryIO = sys.stdin.buffer if args.input == "-" else open(args.input, "rb")  # noqa: SIM115
    except OSError as exc:
        print(f"error: cannot read {args.input}: {exc.strerror or exc} [unreadable-file]", file=sys.stderr)
        return EXIT_ERROR
    out: BinaryIO = open(args.output, "wb") if args.output else sys.stdout.buffer  # noqa: SIM115
    jobs = args.jobs if args.jobs > 0 else (os.cpu_count() or 1)
    failed = denied = False
    try:
        for status, line in _results(source, library, jobs, args.derive_context):
            out.write(line)
            out.flush()
            failed = failed or status == "error"
            denied = denied or status == "denied"
    finally:
        if source is not sys.stdin.buffer:
            source.close()
        if out is not sys.stdout.buffer:
            out.close()
    if failed:
        return EXIT_ERROR
    return EXIT_NO if denied and args.fail_on_deny else EXIT_YES


def _chunks(lines: Iterable[bytes]) -> Iterator[tuple[int, list[bytes]]]:
    """Pieces of work: the number of their first line, and the lines."""
    iterator = iter(lines)
    first = 1
    while True:
        piece = list(itertools.islice(iterator, CHUNK))
        if not piece:
            return
        yield first, piece
        first += len(piece)


def _results(source: Iterable[bytes], library: Library | None, jobs: int, derive_context: bool = False
             ) -> Iterator[tuple[str, bytes]]:
    chunks = _chunks(source)
    head = list(itertools.islice(chunks, 2))
    if jobs <= 1 or len(head) < 2:  # small input: processes cost more than they save
        runner = BatchRunner(library, derive_context=derive_context)
        for first, piece in itertools.chain(head, chunks):
            yield from runner.run_bytes(piece, first=first, chunk=CHUNK)
        return
    with ProcessPoolExecutor(jobs, initializer=_start_worker, initargs=(library, derive_context)) as pool:
        pending: deque[Future[list[tuple[str, bytes]]]] = deque()
        for first, piece in itertools.chain(head, chunks):
            pending.append(pool.submit(_work, first, piece))
            if len(pending) > 2 * jobs:  # bounded read-ahead: input can be larger than memory
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()


def _start_worker(library: Library | None, derive_context: bool) -> None:
    global _WORKER
    _WORKER = BatchRunner(library, derive_context=derive_context)


def _work(first: int, piece: list[bytes]) -> list[tuple[str, bytes]]:
    assert _WORKER is not None
    return list(_WORKER.run_bytes(piece, first=first, chunk=CHUNK))
