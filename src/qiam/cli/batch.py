"""``qiam batch FILE|-``: JSON Lines requests in, JSON Lines results out, streaming, in order."""

from __future__ import annotations

import argparse
import sys
from typing import Any, BinaryIO

from qiam.batch import BatchRunner, Library, LibraryError, dumps_line
from qiam.cli._common import EXIT_ERROR, EXIT_NO, EXIT_YES


def add_parser(commands: Any) -> None:
    p = commands.add_parser(
        "batch", help="evaluate JSON Lines requests",
        description="Evaluate one request per line (the batch line format) and write one result per line.")
    p.add_argument("input", help="the requests, a JSON Lines file, or - for standard input")
    p.add_argument("--library", metavar="PATH",
                   help='named policies for {"$ref": NAME}: a JSON object file or a directory of NAME.json')
    p.add_argument("-o", "--output", metavar="FILE", help="write results here instead of standard output")
    p.add_argument("--fail-on-deny", action="store_true", help="exit 1 if any request is denied")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        library = Library.from_path(args.library) if args.library else None
    except LibraryError as exc:
        print(f"error: {exc} [{exc.code}]", file=sys.stderr)
        return EXIT_ERROR
    runner = BatchRunner(library)
    try:
        source: BinaryIO = sys.stdin.buffer if args.input == "-" else open(args.input, "rb")  # noqa: SIM115
    except OSError as exc:
        print(f"error: cannot read {args.input}: {exc.strerror or exc} [unreadable-file]", file=sys.stderr)
        return EXIT_ERROR
    out: BinaryIO = open(args.output, "wb") if args.output else sys.stdout.buffer  # noqa: SIM115
    failed = denied = False
    try:
        for result in runner.run(source):
            out.write(dumps_line(result))
            out.flush()
            if "error" in result:
                failed = True
            elif result.get("decision") != "allowed":
                denied = True
    finally:
        if source is not sys.stdin.buffer:
            source.close()
        if out is not sys.stdout.buffer:
            out.close()
    if failed:
        return EXIT_ERROR
    return EXIT_NO if denied and args.fail_on_deny else EXIT_YES
