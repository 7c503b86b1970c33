"""What the fuzz targets share: loading qiam under atheris's instrumentation, the engines, and findings.

Not a target itself. Each target imports it before ``atheris.instrument_imports()`` and calls
``import_qiam()`` inside that block, so that every module of qiam (also those qiam imports only when
first needed) is instrumented and gives the fuzzer coverage.
"""

from __future__ import annotations

import atexit
import importlib
import os
import pkgutil
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

# The command line and ``python -m qiam`` are not library code the targets reach.
_SKIPPED = ("qiam.__main__", "qiam.cli")


class Finding(AssertionError):
    """A broken rule of the target (two paths disagree, an uncoded failure): atheris reports it as a crash."""


def import_qiam() -> None:
    """Import every module of qiam but the command line (call it inside ``atheris.instrument_imports``)."""
    import qiam

    for info in pkgutil.walk_packages(qiam.__path__, "qiam."):
        if not info.name.startswith(_SKIPPED):
            importlib.import_module(info.name)


def engines() -> tuple[str, ...]:
    """The engines this build has: ``cython`` (when the compiled cores are built) and ``python``."""
    from qiam._impl import EngineError, engine

    found = []
    for name in ("cython", "python"):
        try:
            engine(name)
        except EngineError:
            print(f"fuzz: the {name} engine is not available; the twins are not compared", file=sys.stderr)
            continue
        found.append(name)
    return tuple(found)


def full_compiler() -> Any:
    """The reference compiler class: every policy validated whole, then compiled (no document reader)."""
    from qiam.compile import Compiler

    class FullCompiler(Compiler):
        __slots__ = ()
        _front_end = False

    return FullCompiler


def error_outcome(exc: Any) -> tuple[Any, ...]:
    """A coded error as compared between paths: its class, code and where it points."""
    found = exc.to_dict()  # rendering an error must work for every error
    str(exc)
    return ("error", type(exc).__name__, exc.code, found.get("path"), found.get("line"), found.get("column"))


def agree(what: str, outcomes: dict[str, Any]) -> None:
    """Raise a Finding unless every path gave the same outcome."""
    values = list(outcomes.values())
    if any(value != values[0] for value in values[1:]):
        lines = "\n".join(f"  {name}: {value!r}" for name, value in outcomes.items())
        raise Finding(f"{what}: the paths disagree\n{lines}")


# ----- inventories: what fuzz_inventory and fuzz_template ask and hold -----


# A finding not fixed yet is let through unless QIAM_FUZZ_STRICT=1 (fuzz/findings/README.md names each).
STRICT = os.environ.get("QIAM_FUZZ_STRICT") == "1"


def scratch(target: str) -> Path:
    """A folder of the target's own for the files it writes (an input on every execution): in memory where
    the system has such a folder. libFuzzer ends the process without Python's exit handlers, so the folders
    of the target's processes that have ended are removed when the next one starts."""
    shared = Path("/dev/shm")
    parent = shared if os.access(shared, os.W_OK) else Path(tempfile.gettempdir())
    for old in parent.glob(f"qiam-{target}-*-*"):
        pid = old.name[len(target) + 6:].split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(old, ignore_errors=True)
    folder = Path(tempfile.mkdtemp(prefix=f"qiam-{target}-{os.getpid()}-", dir=parent))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def coded(exc: Any) -> tuple[Any, ...]:
    """A QiamError that escaped, as compared between engines: it has a registered code, and renders."""
    from qiam.errors import CODES

    if exc.code not in CODES:
        raise Finding(f"{type(exc).__name__} with the unregistered code `{exc.code}`: {exc}")
    return error_outcome(exc)


def diagnostic_outcome(diagnostic: Any, render: bool) -> tuple[Any, ...]:
    """A diagnostic as compared between engines; it has a registered code, and (``render``) renders."""
    from qiam.errors import CODES

    if diagnostic.code not in CODES:
        raise Finding(f"the diagnostic's code `{diagnostic.code}` is not registered: {diagnostic!r}")
    if render:  # (where a diagnostic points is the same code on every engine: rendered once)
        diagnostic.to_dict()
        str(diagnostic)
    return (diagnostic.code, diagnostic.severity.value, diagnostic.location.pointer)


def _org_unloaded(inventory: Any, account: str | None, kind: str) -> list[str]:
    """The SCPs (or RCPs) attached above an account that did not load."""
    org = inventory.organization
    if account is None or org is None or kind not in org.policy_types or not org.has(account) \
            or account == org.management_account:
        return []
    profile = "scp" if kind == "SERVICE_CONTROL_POLICY" else "rcp"
    out = []
    for ids in org.levels[account]:
        for policy_id in ids:
            policy = org.policies.get(policy_id)
            if policy is None:
                out.append(f"organisation policy {policy_id} above {account} is not defined")
            elif policy.type == kind and (policy.document is None or inventory.compiled(policy_id, profile) is None):
                out.append(f"organisation policy {policy_id} above {account} did not load")
    return out


def unloaded(inventory: Any, principal: Any, action: str, resource: str) -> list[str]:
    """Why the inventory cannot answer (principal, action, resource) whole: what the loader marked broken,
    and, found afresh, each policy of the question that did not load (the principal's own, its groups',
    its boundary, the SCPs above it; the resource's policy or the role's trust policy, the RCPs above it)."""
    from qiam.inventory import BOUNDARY, MANAGED, RCP, SCP
    from qiam.kinds import TRUST_ACTIONS

    why = [f"{d.code}: {d.message}" for d in inventory.broken(principal.arn, principal.account)]
    arn = principal.arn
    profile = "iam-user-inline" if principal.kind == "user" else "iam-role-inline"
    why += [f"inline policy {name} did not load" for name in principal.inline
            if inventory.compiled(f"{arn}:inline/{name}", profile) is None]
    why += [f"managed policy {a} did not load" for a in principal.attached if inventory.compiled(a, MANAGED) is None]
    if principal.boundary is not None and inventory.compiled(principal.boundary, BOUNDARY) is None:
        why.append(f"the boundary {principal.boundary} did not load")
    for name in principal.groups:
        group = inventory._groups.get((principal.account, name))
        if group is None:
            why.append(f"group {name} is not in the inventory")
            continue
        why += [f"group {name}'s inline policy {n} did not load" for n in group.inline
                if inventory.compiled(f"{group.arn}:inline/{n}", "iam-group-inline") is None]
        why += [f"group {name}'s managed policy {a} did not load" for a in group.attached
                if inventory.compiled(a, MANAGED) is None]
    why += _org_unloaded(inventory, principal.account, SCP)
    role = inventory.principals.get(resource)
    found = inventory.resource(resource)
    trust = action.lower() in TRUST_ACTIONS and role is not None and role.kind == "role"
    if trust:
        if role.trust is None or inventory.trust(role) is None:
            why.append(f"the trust policy of {role.arn} did not load")
        account = role.account
    elif found is not None:
        why += [f"{d.code}: {d.message}" for d in inventory.broken(found.arn, found.account)]
        if found.policy is not None and inventory.resource_policy(found) is None:
            why.append(f"the policy of {found.arn} did not load")
        account = found.account
    elif role is not None:
        account = role.account
    else:
        fields = resource.split(":", 5)
        account = fields[4] if len(fields) == 6 and fields[4].isdigit() else None
    rcps = _org_unloaded(inventory, account or principal.account, RCP)
    return why + rcps


def answer_outcome(inventory: Any, answer: Any, render: bool) -> tuple[Any, ...]:
    """An answer of ``qiam.queries.Asker`` as compared between engines. It is broken exactly when something
    broken touches it; nothing that did not load is allowed; it renders (``render``)."""
    status = answer.status
    if (status == "broken") != (answer.result is None) or (status == "broken") != bool(answer.broken):
        raise Finding(f"{answer.principal.arn} {answer.action} {answer.resource}: status {status}, result "
                      f"{answer.result!r}, broken {answer.broken!r}")
    if answer.allowed:
        why = unloaded(inventory, answer.principal, answer.action, answer.resource)
        if why:
            raise Finding(f"{answer.principal.arn} {answer.action} {answer.resource} is allowed, and what decides "
                          "it did not all load:\n  " + "\n  ".join(why))
    elif status != "broken" and inventory.broken(answer.principal.arn, answer.principal.account):
        raise Finding(f"{answer.principal.arn} is broken, and its answer for {answer.action} {answer.resource} is "
                      f"{status}, not broken")
    if render:
        answer.to_dict()
    if answer.result is None:
        return (answer.principal.arn, answer.action, answer.resource, status, sorted(d.code for d in answer.broken))
    result = answer.result
    return (answer.principal.arn, answer.action, answer.resource, status, result.decision.value,
            [(r.policy, r.name, r.index, r.sid, r.effect, r.location.path) for r in result.matched],
            tuple(result.missing_context_keys))


def inventory_outcome(inventory: Any, questions: tuple[tuple[str, str | None], ...], environment: Any,
                      render: bool, *, most: int = 2, principals: int = 3,
                      check: Callable[[Any], None] | None = None) -> tuple[Any, ...]:
    """What a loaded inventory holds and answers, through ``qiam.queries.Asker``: its diagnostics; who of its
    first ``principals`` principals can do each (action, resource) of the questions (resource None: on the
    first ``most`` inventory resources the action applies to), as ``who-can`` asks it; what the first can do
    of the first question's action (``qiam can PRINCIPAL ACTION``); the roles it reaches by assuming roles.
    ``render``: every diagnostic and answer is rendered too (once is enough: where they point is the same
    code on every engine). ``check`` is called with each answer, for a target's rules of its own."""
    from qiam.queries import Asker

    diagnostics = [diagnostic_outcome(d, render) for d in inventory.diagnostics]
    asker = Asker(inventory, environment=environment)
    who = list(inventory.principals.values())[:principals]
    asked = []
    for action, resource in questions:
        info = asker.action_info(action)
        for one in [resource] if resource is not None else asker.resources_for(info)[:most]:
            asked.extend((principal, info.action, one) for principal in who)
    found = asker.ask(asked)
    reached: dict[str, tuple[str, ...]] = {}
    if who:
        found += asker.can_act(who[0].arn, questions[0][0])
        reached = asker.reachable(who[0].arn)
    answers = [answer_outcome(inventory, a, render) for a in found]
    for answer in found if check is not None else ():
        check(answer)
    return (diagnostics, sorted(inventory.principals), sorted(inventory.resources), sorted(inventory.managed),
            sorted(inventory.accounts), answers, reached)
