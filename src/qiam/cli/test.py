"""``qiam test FILE...``: run expectation files (docs/ci.md) without pytest, for shell-only pipelines.

Text (default), ``--format json`` (``qiam-test-report/1``, docs/ci.md) or
``--format junit`` (JUnit XML as CI tools read it). Exit 0 when every
expectation holds, 1 when one does not, 2 when a file cannot be read.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any
from xml.etree import ElementTree

from qiam.cli._common import EXIT_ERROR, EXIT_NO, EXIT_YES

REPORT_FORMAT = "qiam-test-report/1"


def add_parser(commands: Any) -> None:
    p = commands.add_parser(
        "test", help="run expectation files (permission regression tests)",
        description="Run expectation files: requests and their decisions, tasks, actions that must never be "
                    "allowed, and the exact resources an action is allowed on, over policy files, "
                    "CloudFormation templates, Terraform plans and inventories (docs/ci.md).",
        epilog="examples:\n"
               "  qiam test examples/ci/iam-tests/*.yaml\n"
               "  qiam test --format junit examples/ci/iam-tests/*.yaml > qiam-junit.xml\n"
               "exit codes: 0 every expectation holds, 1 one does not, 2 a file cannot be read",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("files", nargs="+", metavar="FILE", help="expectation files (YAML or JSON)")
    p.add_argument("--format", choices=("text", "json", "junit"), default="text",
                   help="text (default), json (qiam-test-report/1) or junit (JUnit XML)")
    p.add_argument("-k", dest="select", metavar="TEXT", help="run only the expectations whose name holds TEXT")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from qiam import expectations

    files: list[dict[str, Any]] = []
    unreadable = False
    started = time.perf_counter()
    for path in args.files:
        began = time.perf_counter()
        try:
            suite = expectations.read(path)
        except expectations.ExpectationError as exc:
            unreadable = True
            files.append({"file": path, "error": {"code": exc.code, "message": exc.message, "line": exc.line,
                                                  "column": exc.column, "hint": exc.hint}, "results": [],
                          "seconds": round(time.perf_counter() - began, 6)})
            continue
        results = []
        for expectation in suite.expectations:
            if args.select and args.select.lower() not in expectation.name.lower():
                continue
            one = time.perf_counter()
            check = expectation.run()
            results.append({"name": expectation.name, "form": expectation.form, "line": expectation.line,
                            "column": expectation.column, "passed": check.passed,
                            "message": check.message or None, "seconds": round(time.perf_counter() - one, 6)})
        files.append({"file": path, "error": None, "results": results,
                      "seconds": round(time.perf_counter() - began, 6)})
    total = sum(len(f["results"]) for f in files)
    failed = sum(1 for f in files for r in f["results"] if not r["passed"])
    report = {"format": REPORT_FORMAT, "files": files,
              "summary": {"expectations": total, "passed": total - failed, "failed": failed,
                          "unreadable_files": sum(1 for f in files if f["error"]),
                          "seconds": round(time.perf_counter() - started, 6)}}
    if args.format == "json":
        print(json.dumps(report, indent=2))
    elif args.format == "junit":
        sys.stdout.write(junit(report))
    else:
        _text(report)
    if unreadable:
        return EXIT_ERROR
    return EXIT_NO if failed else EXIT_YES


def _text(report: dict[str, Any]) -> None:
    for file in report["files"]:
        error = file["error"]
        if error is not None:
            where = f":{error['line']}:{error['column']}" if error["line"] is not None else ""
            message = error["message"]
            print(f"error: {message} [{error['code']}]" if where and message.startswith(file["file"])
                  else f"error: {file['file']}{where}: {message} [{error['code']}]", file=sys.stderr)
            if error["hint"]:
                print(f"  hint: {error['hint']}", file=sys.stderr)
            continue
        for result in file["results"]:
            if result["passed"]:
                print(f"PASS {file['file']}:{result['line']}: {result['name']}")
            else:
                print(f"FAIL {result['message']}")
    summary = report["summary"]
    print(f"{summary['passed']} passed, {summary['failed']} failed"
          + (f", {summary['unreadable_files']} file(s) unreadable" if summary["unreadable_files"] else "")
          + f" in {summary['seconds']:.2f} s")


def junit(report: dict[str, Any]) -> str:
    """The report as JUnit XML: a ``testsuites`` root, a ``testsuite`` per file, a ``testcase`` per
    expectation, with ``failure`` for one that does not hold and ``error`` for a file that cannot be read."""
    summary = report["summary"]
    root = ElementTree.Element("testsuites", name="qiam", tests=str(summary["expectations"] +
                                                                    summary["unreadable_files"]),
                               failures=str(summary["failed"]), errors=str(summary["unreadable_files"]),
                               time=f"{summary['seconds']:.6f}")
    for number, file in enumerate(report["files"]):
        results = file["results"]
        failures = sum(1 for r in results if not r["passed"])
        errors = 1 if file["error"] else 0
        suite = ElementTree.SubElement(root, "testsuite", name=file["file"], tests=str(len(results) + errors),
                                       failures=str(failures), errors=str(errors), skipped="0",
                                       time=f"{file['seconds']:.6f}", id=str(number), hostname="localhost",
                                       package="qiam", timestamp=time.strftime("%Y-%m-%dT%H:%M:%S"))
        ElementTree.SubElement(suite, "properties")
        if file["error"]:
            case = ElementTree.SubElement(suite, "testcase", name="read", classname=file["file"], time="0")
            error = ElementTree.SubElement(case, "error", message=file["error"]["message"],
                                           type=file["error"]["code"])
            error.text = file["error"]["message"]
        for result in results:
            case = ElementTree.SubElement(suite, "testcase", name=result["name"], classname=file["file"],
                                          time=f"{result['seconds']:.6f}")
            if not result["passed"]:
                message = result["message"] or ""
                failure = ElementTree.SubElement(case, "failure", message=message.splitlines()[1]
                                                 if "\n" in message else message, type="expectation-failed")
                failure.text = message
        ElementTree.SubElement(suite, "system-out")
        ElementTree.SubElement(suite, "system-err")
    ElementTree.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(root, encoding="unicode") + "\n"
