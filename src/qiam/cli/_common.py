"""Helpers shared by the subcommands: reading policy files, the request-context options, printing errors."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from qiam.errors import QiamError
from qiam.kinds import PolicyKind, Shape
from qiam.limits import max_policy_bytes, read_bounded

if TYPE_CHECKING:
    from qiam.context import Environment

EXIT_YES, EXIT_NO, EXIT_ERROR = 0, 1, 2

_ACCOUNT = re.compile(r"[0-9]{12}")


class UsageError(Exception):
    """A command line that cannot be carried out (exit code 2)."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


@dataclass(frozen=True, slots=True)
class Failure:
    """Why a command could not answer: a stable code, a one-line message, a hint."""

    code: str
    message: str
    hint: str | None = None
    detail: str | None = None  # more lines for people (a caret under a column)
    column: int | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "message": self.message, "hint": self.hint}
        if self.column is not None:
            out["column"] = self.column
        return out


def wants_json(args: argparse.Namespace | None) -> bool:
    """Whether the command was asked for JSON (``--json`` or ``--format json``)."""
    return args is not None and (getattr(args, "json", False) is True or getattr(args, "format", None) == "json")


def report(failure: Failure, args: argparse.Namespace | None = None) -> None:
    """Say why a command could not answer: one line and its hint on standard error, or, when the command
    was asked for JSON, ``{"error": {...}}`` on standard output."""
    if wants_json(args):
        sys.stdout.write(json.dumps({"error": failure.to_dict()}) + "\n")
        return
    print(f"error: {failure.message} [{failure.code}]", file=sys.stderr)
    if failure.hint:
        print(f"  hint: {failure.hint}", file=sys.stderr)
    if failure.detail:
        print("  " + failure.detail.replace("\n", "\n  "), file=sys.stderr)


def read_policy_arg(value: str, library: Any = None) -> tuple[str, Any]:
    """A policy named on the command line: inline JSON, a library name, or a file.

    Returns (name, document) where document is text, or a compiled library policy key.
    """
    if value.lstrip().startswith("{"):
        return "<inline>", value
    if library is not None and value in library:
        return value, ("library", value)
    try:
        return value, read_bounded(value, max_policy_bytes(), "the policy", "QIAM_MAX_POLICY_BYTES")
    except OSError as exc:
        raise QiamError(f"cannot read policy {value}: {exc.strerror or exc}", code="unreadable-file",
                        hint="give a policy file, inline JSON, or a name of --library") from None


def print_error(exc: QiamError, args: argparse.Namespace | None = None) -> None:
    """One line for the error, and its hint on the next (or JSON, see ``report``)."""
    report(Failure(exc.code, str(exc), exc.hint), args)


# ----- the policies of a request, by kind -----

# The options of each kind of policy beside the identity policies (-p), and what they say.
_KIND_OPTIONS = {
    PolicyKind.BOUNDARY: ("--boundary", "POLICY", "the principal's permissions boundary"),
    PolicyKind.SESSION: ("--session", "POLICY", "a session policy (repeatable)"),
    PolicyKind.SCP: ("--scp", "POLICY[,POLICY]", "one organization level of SCPs, root first (repeat for each level)"),
    PolicyKind.RCP: ("--rcp", "POLICY[,POLICY]", "one organization level of RCPs, root first (repeat for each level)"),
}


def add_policy_options(p: argparse.ArgumentParser) -> None:
    """``-p`` (identity policies) and the options of the boundary, session, SCP and RCP kinds."""
    p.add_argument("-p", "--policy", action="append", default=[], metavar="POLICY",
                   help="an identity-based policy of the principal (repeatable): a file or inline JSON")
    for kind, (flag, metavar, text) in _KIND_OPTIONS.items():
        if kind.shape is Shape.ONE:
            p.add_argument(flag, metavar=metavar, help=text)
        else:
            p.add_argument(flag, action="append", metavar=metavar, help=text)


def policies_of(args: argparse.Namespace, load: Callable[[str, PolicyKind], Any]) -> dict[str, Any]:
    """The ``compile_policies`` / ``PolicySet`` keywords of the policy options, each loaded as its kind."""
    out: dict[str, Any] = {"identity": tuple(load(v, PolicyKind.IDENTITY) for v in args.policy)}
    for kind, (flag, _, _) in _KIND_OPTIONS.items():
        value = getattr(args, flag.lstrip("-"))
        if kind.shape is Shape.ONE:
            out[kind.slot] = None if value is None else load(value, kind)
        elif kind.shape is Shape.MANY:
            out[kind.slot] = None if value is None else tuple(load(v, kind) for v in value)
        else:
            out[kind.slot + "s"] = None if not value else tuple(
                tuple(load(v, kind) for v in level.split(",") if v) for level in value)
    return out


# ----- the request context -----


def add_context_options(p: argparse.ArgumentParser, *, principal: bool = True) -> None:
    """The options that shape a request's context: principal, region, time, keys, derivation."""
    if principal:
        p.add_argument("--principal", metavar="ARN",
                       help="who asks: a user, role or role-session ARN (check: or write `as ARN`)")
    p.add_argument("--context", action="append", default=[], metavar="KEY=VALUE",
                   help="a condition key of every request (repeatable; VALUE may be [a,b]); wins over derived keys")
    p.add_argument("--time", metavar="ISO8601", help="when the request is made (default: now)")
    p.add_argument("--principal-tag", action="append", default=[], metavar="KEY=VALUE",
                   help="a tag of the principal, for aws:PrincipalTag/KEY (repeatable)")
    p.add_argument("--mfa", choices=("true", "false", "absent"), default="true",
                   help="aws:MultiFactorAuthPresent (default true: an administrator signed in with MFA)")
    p.add_argument("--no-derived-context", dest="derive_context", action="store_false",
                   help="evaluate with exactly the given context, without the keys AWS supplies")


def pairs_of(values: list[str], option: str) -> dict[str, Any]:
    """``KEY=VALUE`` options as a mapping; ``[a,b]`` is a list."""
    out: dict[str, Any] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"{option} takes KEY=VALUE, not `{item}`")
        if key.lower() in (k.lower() for k in out):
            raise UsageError(f"{option}: `{key}` is given twice")
        if value.startswith("[") and value.endswith("]"):
            out[key] = [v.strip() for v in value[1:-1].split(",") if v.strip()]
        else:
            out[key] = value
    return out


def environment_of(args: argparse.Namespace, region: str | None) -> Environment:
    """The derivation inputs of the context options."""
    from qiam.context import Environment, parse_time

    time = None
    if args.time is not None:
        try:
            time = parse_time(args.time)
        except ValueError:
            raise UsageError(f"--time `{args.time}` is not an ISO 8601 time, e.g. 2026-01-01T00:00:00Z") from None
    tags = pairs_of(args.principal_tag, "--principal-tag")
    if any(not isinstance(v, str) for v in tags.values()):
        raise UsageError("--principal-tag values are single strings")
    mfa = {"true": True, "false": False, "absent": None}[args.mfa]
    return Environment(region=region, time=time, principal_tags=tags or None, mfa=mfa)


def check_account(value: str | None, option: str) -> str | None:
    """A 12-digit account ID option (or None)."""
    if value is not None and not _ACCOUNT.fullmatch(value):
        raise UsageError(f"{option} must be a 12-digit account ID, not `{value}`")
    return value


def json_ready(context: Mapping[str, Any]) -> dict[str, Any]:
    """A context mapping with tuple values as lists."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in context.items()}


def quiet_stdout() -> None:
    """Point standard output at the null device: what is still buffered for a reader that went away, or
    that is not reading when a signal stops the command, must not hold up the exit (a flush to a full
    pipe no one reads waits for ever)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass
