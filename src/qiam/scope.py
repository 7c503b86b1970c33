"""Resource scope: is an action allowed on every resource an ARN pattern names, on some, or on none?

A question such as "may this administrator call ``sso:PutApplicationGrant``"
is about every application of the account, not about one made-up name. Its
request names an ARN pattern (``arn:aws:sso::111122223333:application/*/*``)
with ``resource_match`` ``all`` or ``some``, and the answer is exact, by
pattern inclusion, never by trying sample names:

* A policy's Resource (or NotResource) element matches a set of ARNs, a
  regular language: its patterns matched field by field as semantics.md §2.2
  says (``*`` and ``?`` stay inside one of the first five fields and cross
  ``/`` and ``:`` freely in the sixth).
* Whether a request is allowed depends on its resource only through which of
  those sets it lies in (and through a few rules of the decision procedure
  that look at the ARN's shape, which are added as sets of their own).
* So the ARNs of the request's pattern fall into classes, one per reachable
  combination of memberships. A walk over the product of the pattern's
  automaton and the elements' automata finds every reachable combination and a
  shortest ARN of each, its witness; the decision procedure decides each
  witness. All allowed: ``all``; none: ``none``; else ``some``.

Patterns are automata over the characters they name plus one character for
every other (no pattern can tell those apart), so the walk is finite. An
element that covers the whole pattern or misses it entirely splits nothing:
when every element does, one witness stands for the pattern, which is the
common case and costs one evaluation.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from qiam._immutable import made_once
from qiam.decision import Decision, StatementRef
from qiam.errors import Diagnostic, Location, Severity
from qiam.request import Request
from qiam.special import discriminating_shapes

if TYPE_CHECKING:
    from qiam.compile import ResourceMatcher
    from qiam.evaluate import PolicySet, Result
    from qiam.types import JSONObject

__all__ = ["ArnLanguage", "COVERS", "DISJOINT", "PARTIAL", "ScopeAnalyzer", "ScopeResult", "relation"]

COVERS, DISJOINT, PARTIAL = "covers", "disjoint", "partial"

# Token kinds of a pattern's automaton.
_LIT, _ONE, _ONE_IN_FIELD, _STAR, _STAR_IN_FIELD, _DEAD, _END = range(7)

# How many witness requests an analyzer keeps before starting afresh.
_WITNESS_LIMIT = 1 << 16

# A walk that meets more product states than this is given up (and the question fails closed).
MAX_STATES = 20_000
# ... or that steps through more automaton positions than this: a state of a pattern with many stars holds
# many positions, and each character read from it costs one step per position (about 0.02 s at this bound).
MAX_STEPS = 100_000


def _tokens(pattern: str) -> list[tuple[int, str]] | None:
    """The automaton of one core pattern (``\\`` escapes), or None for one that matches nothing.

    ``*`` alone (or a run of stars) matches every resource, ``*`` included; a
    pattern of fewer than six fields matches nothing (as ``ArnPatternSet``).
    """
    if pattern and pattern.strip("*") == "":
        return [(_STAR, ""), (_END, "")]
    out: list[tuple[int, str]] = []
    field = 1
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "\\" and i + 1 < n:
            c = pattern[i + 1]
            i += 2
            # An escaped colon in the first five fields can never match: those fields of a text hold none.
            out.append((_DEAD, "") if c == ":" and field < 6 else (_LIT, c))
            continue
        i += 1
        if c == ":" and field < 6:
            field += 1
            out.append((_LIT, ":"))
        elif c == "*":
            out.append((_STAR_IN_FIELD if field < 6 else _STAR, ""))
        elif c == "?":
            out.append((_ONE_IN_FIELD if field < 6 else _ONE, ""))
        else:
            out.append((_LIT, c))
    if field < 6:
        return None
    out.append((_END, ""))
    return out


class ArnLanguage:
    """The set of resources a list of core ARN patterns matches (any of them), as an automaton.

    States are frozensets of positions in the patterns' tokens; ``start``,
    ``step`` and ``accepts`` walk it one character at a time.
    """

    __slots__ = ("_member", "_named", "_steps", "accept", "literals", "patterns", "start", "tokens")

    def __init__(self, patterns: Iterable[str]) -> None:
        self.patterns = tuple(patterns)
        tokens: list[tuple[int, str]] = []
        starts: list[int] = []
        for pattern in self.patterns:
            found = _tokens(pattern)
            if found is not None:
                starts.append(len(tokens))
                tokens.extend(found)
        self.tokens = tuple(tokens)
        self.accept = frozenset(i for i, (kind, _) in enumerate(tokens) if kind == _END)
        self.literals = frozenset(c for kind, c in tokens if kind == _LIT)
        self._steps: dict[tuple[frozenset[int], str], frozenset[int]] = {}
        self._named: dict[frozenset[int], frozenset[str]] = {}
        self._member: dict[str, str | None] = {}
        self.start = self._closure(starts)

    def _closure(self, positions: Iterable[int]) -> frozenset[int]:
        out: set[int] = set()
        tokens = self.tokens
        for i in positions:
            while i not in out:
                out.add(i)
                if tokens[i][0] in (_STAR, _STAR_IN_FIELD):
                    i += 1  # a star may match nothing
                else:
                    break
        return frozenset(out)

    def step(self, state: frozenset[int], c: str) -> frozenset[int]:
        """The state after reading ``c``."""
        if not state:
            return state
        key = (state, c)
        found = self._steps.get(key)
        if found is None:
            tokens = self.tokens
            nxt: list[int] = []
            for i in state:
                kind, ch = tokens[i]
                if kind == _LIT:
                    if ch == c:
                        nxt.append(i + 1)
                elif kind == _ONE or (kind == _ONE_IN_FIELD and c != ":"):
                    nxt.append(i + 1)
                elif kind == _STAR or (kind == _STAR_IN_FIELD and c != ":"):
                    nxt.append(i)
            found = self._steps[key] = self._closure(nxt)
        return found

    def named(self, state: frozenset[int]) -> frozenset[str]:
        """The characters the tokens at ``state`` name (the only ones it tells from others)."""
        found = self._named.get(state)
        if found is None:
            tokens = self.tokens
            found = self._named[state] = frozenset(tokens[i][1] for i in state if tokens[i][0] == _LIT)
        return found

    def accepts(self, state: frozenset[int]) -> bool:
        """Whether a text that led to ``state`` is in the language."""
        return not state.isdisjoint(self.accept)

    def member(self, fresh: str) -> str | None:
        """A member: each ``*`` and ``?`` read as ``fresh``; None if the language is empty."""
        if fresh in self._member:
            return self._member[fresh]
        found = self._member[fresh] = self._first_member(fresh)
        return found

    def _first_member(self, fresh: str) -> str | None:
        for pattern in self.patterns:
            tokens = _tokens(pattern)
            if tokens is None or any(kind == _DEAD for kind, _ in tokens):
                continue
            return "".join(ch if kind == _LIT else "" if kind == _END else fresh for kind, ch in tokens)
        return None


def _fresh(languages: Sequence[ArnLanguage]) -> str:
    """A character no pattern names: it stands for every such character (digits first, as accounts are)."""
    named = frozenset().union(*(lang.literals for lang in languages)) | {":"}
    for c in "0123456789abcdefghijklmnopqrstuvwxyz-_":
        if c not in named:
            return c
    code = 0x100
    while chr(code) in named:
        code += 1
    return chr(code)


class ScopeTooLarge(Exception):
    """The walk met more than MAX_STATES product states, or took more than MAX_STEPS steps."""


def classes(pattern: ArnLanguage, elements: Sequence[ArnLanguage]) -> dict[tuple[bool, ...], str]:
    """Every combination of memberships in ``elements`` that some member of ``pattern`` has, with a
    shortest such member (its witness). Raises ScopeTooLarge past MAX_STATES states or MAX_STEPS steps.

    From each product state only the characters that some automaton's current
    tokens name are tried, with ``:`` and one fresh character: every other
    character leads where the fresh one does.
    """
    languages = [pattern, *elements]
    fresh = _fresh(languages)
    start = (pattern.start, *(lang.start for lang in elements))
    seen = {start}
    queue: deque[tuple[tuple[frozenset[int], ...], str]] = deque([(start, "")])
    found: dict[tuple[bool, ...], str] = {}
    wanted = 2 ** len(elements)
    pairs = list(zip(languages, range(len(languages)), strict=True))
    steps = 0
    while queue:
        state, text = queue.popleft()
        if pattern.accepts(state[0]):
            vector = tuple(lang.accepts(s) for lang, s in zip(elements, state[1:], strict=True))
            found.setdefault(vector, text)
            if len(found) == wanted:
                break
        alphabet = {":", fresh}
        for lang, i in pairs:
            alphabet.update(lang.named(state[i]))
        steps += len(alphabet) * sum(map(len, state))
        if steps > MAX_STEPS:
            raise ScopeTooLarge(pattern.patterns)
        for c in sorted(alphabet):
            head = pattern.step(state[0], c)
            if not head:
                continue
            nxt = (head, *(lang.step(s, c) for lang, s in zip(elements, state[1:], strict=True)))
            if nxt not in seen:
                if len(seen) >= MAX_STATES:
                    raise ScopeTooLarge(pattern.patterns)
                seen.add(nxt)
                queue.append((nxt, text + c))
    return found


def relation(pattern: ArnLanguage, element: ArnLanguage) -> str:
    """``covers`` when every member of ``pattern`` is in ``element``, ``disjoint`` when none is, else
    ``partial``."""
    found = classes(pattern, [element])
    if (True,) in found:
        return COVERS if (False,) not in found else PARTIAL
    return DISJOINT


@made_once
@dataclass(frozen=True, slots=True)
class ScopeResult:
    """The answer to a pattern request: on all, some or none of the resources, and why.

    ``decision`` answers the request's ``resource_match``: ALLOW when the
    action is allowed on every resource (``all``) or on one (``some``); else
    the decision of a resource where it is not (an explicit deny first).
    ``result`` is that resource's Result (for ALLOW, an allowed one's).
    ``allowing`` are the statements that allow somewhere and ``patterns`` their
    Resource entries as written; ``carving`` the Deny statements that deny
    some of the resources. ``considered`` are the Resource entries of every
    Allow statement whose Action admits the action, whether or not they reach
    the pattern (where the policies do allow it). ``witnesses`` holds one
    resource per class, with its Result.
    """

    request: Request
    scope: str
    decision: Decision
    result: Result
    allowing: tuple[StatementRef, ...]
    patterns: tuple[str, ...]
    carving: tuple[StatementRef, ...]
    witnesses: tuple[tuple[str, Result], ...]
    considered: tuple[str, ...] = ()

    @property
    def allowed(self) -> bool:
        """Whether the decision is ALLOW."""
        return self.decision is Decision.ALLOW

    def to_dict(self) -> JSONObject:
        """The batch format's output fields, with ``scope`` and what decided it."""
        out = self.result.to_dict()
        out["decision"] = self.decision.value
        out["scope"] = self.scope
        out["resource"] = self.request.resource
        out["allowing_patterns"] = list(self.patterns)
        out["carving"] = [r.to_dict() for r in self.carving]
        out["considered_patterns"] = list(self.considered)
        return out


class ScopeAnalyzer:
    """Answers pattern requests against policy sets, keeping the automata and classes it has built.

    Not shared between threads; each user (a command, a task checker) has its own.
    """

    __slots__ = ("_by_matcher", "_classes", "_fixed", "_languages", "_members", "_relations", "_witnesses")

    def __init__(self) -> None:
        self._fixed: dict[bytes, tuple[dict[tuple[str, ...], None], bool]] = {}
        self._by_matcher: dict[tuple[str, Any], tuple[str, tuple[str, ...]]] = {}
        self._members: dict[str, str] = {}
        self._witnesses: dict[tuple[bytes, str], Request] = {}
        self._languages: dict[tuple[str, ...], ArnLanguage] = {}
        self._relations: dict[tuple[str, tuple[str, ...]], str] = {}
        self._classes: dict[tuple[str, tuple[tuple[str, ...], ...]], tuple[str, ...]] = {}

    def language(self, patterns: tuple[str, ...]) -> ArnLanguage:
        """The automaton of a list of core patterns (kept)."""
        found = self._languages.get(patterns)
        if found is None:
            found = self._languages[patterns] = ArnLanguage(patterns)
        return found

    def relation(self, pattern: str, patterns: tuple[str, ...]) -> str:
        """``relation`` of a request pattern and an element's patterns (kept)."""
        key = (pattern, patterns)
        found = self._relations.get(key)
        if found is None:
            found = self._relations[key] = relation(self.language((pattern,)), self.language(patterns))
        return found

    def _matcher_relation(self, pattern: str, resources: ResourceMatcher) -> tuple[str, tuple[str, ...]]:
        """How a compiled Resource matcher's patterns relate to ``pattern``, with those patterns. Compiled
        matchers are immutable and shared between equal elements: the answer is kept by the matcher."""
        key = (pattern, resources)
        found = self._by_matcher.get(key)
        if found is None:
            patterns = resources.static.patterns
            found = self._by_matcher[key] = (self.relation(pattern, patterns), patterns)
        return found

    def _fixed_of(self, request: Request) -> tuple[dict[tuple[str, ...], None], bool]:
        """``_fixed_elements(request)``, kept by the request's key."""
        fixed = self._fixed.get(request.key)
        if fixed is None:
            fixed = self._fixed[request.key] = self._fixed_elements(request)
        return fixed

    def resources(self, pset: PolicySet, request: Request) -> tuple[str, ...]:
        """One resource of the request's pattern per class the policy set's elements split it into.

        The elements are the Resource matchers of the statements whose action
        element admits the action, and the shapes the decision procedure looks
        at. Raises ScopeTooLarge.
        """
        pattern = request.resource
        static, templated = pset.resource_elements(request.action)
        splitting: dict[tuple[str, ...], None] = {}
        for resources in static:
            relation, patterns = self._matcher_relation(pattern, resources)
            if relation == PARTIAL:
                splitting[patterns] = None
        fixed = self._fixed_of(request)
        splitting.update(fixed[0])
        if templated or fixed[1]:
            for patterns in self._elements(request, pset, templated, fixed[1]):
                if self.relation(pattern, patterns) == PARTIAL:
                    splitting[patterns] = None
        if not splitting:
            member = self._members.get(pattern)
            if member is None:
                language = self.language((pattern,))
                member = self._members[pattern] = language.member(_fresh([language])) or ""
            return (member,) if member else ()
        key = (pattern, tuple(splitting))
        classed = self._classes.get(key)
        if classed is None:
            classed = self._classes[key] = tuple(dict.fromkeys(classes(
                self.language((pattern,)), [self.language(p) for p in splitting]).values()))
        return classed

    def splits(self, pset: PolicySet, request: Request) -> bool:
        """Whether the policy set's own elements may split the request's pattern (beyond what splits it
        whatever the policies): some plain matcher covers part of it, an element has variables, or the
        pattern's account varies. False: ``fixed_resources`` are its resources under this set."""
        static, templated = pset.resource_elements(request.action)
        if templated:
            return True
        pattern = request.resource
        if any(self._matcher_relation(pattern, resources)[0] == PARTIAL for resources in static):
            return True
        return self._fixed_of(request)[1]

    def fixed_resources(self, request: Request) -> tuple[str, ...]:
        """The resources of a pattern request under a policy set that does not split it (``splits``
        false): one per class of the shapes the decision procedure looks at. Raises ScopeTooLarge."""
        pattern = request.resource
        fixed = self._fixed_of(request)
        if not fixed[0]:
            member = self._members.get(pattern)
            if member is None:
                language = self.language((pattern,))
                member = self._members[pattern] = language.member(_fresh([language])) or ""
            return (member,) if member else ()
        key = (pattern, tuple(fixed[0]))
        classed = self._classes.get(key)
        if classed is None:
            classed = self._classes[key] = tuple(dict.fromkeys(classes(
                self.language((pattern,)), [self.language(p) for p in fixed[0]]).values()))
        return classed

    def witness_requests(self, pset: PolicySet, request: Request) -> tuple[Request, ...]:
        """The concrete requests of ``resources`` (kept). Raises ScopeTooLarge."""
        return tuple(self.witness(request, r) for r in self.resources(pset, request))

    def _fixed_elements(self, request: Request) -> tuple[dict[tuple[str, ...], None], bool]:
        """What splits a request's pattern whatever the policies: the shapes the decision procedure looks
        at that the pattern partly covers, and whether its account field varies."""
        pattern = request.resource
        shapes = discriminating_shapes(request.action_lower)
        partial: dict[tuple[str, ...], None] = {(shape,): None for shape in shapes
                                                if self.relation(pattern, (shape,)) == PARTIAL}
        fields = pattern.split(":", 5)
        return partial, len(fields) == 6 and ("*" in fields[4] or "?" in fields[4])

    def _elements(self, request: Request, pset: PolicySet, templated: Sequence[Any], account_varies: bool
                  ) -> Iterable[tuple[str, ...]]:
        """The pattern lists of a policy set that split a request's pattern beside its plain matchers: the
        Resource elements with variables (resolved in the request's context), and, when the pattern's
        account varies, the caller's account and the accounts conditions on aws:ResourceAccount name."""
        context = request.context
        for statement in templated:
            resources = statement.resources
            patterns = list(resources.static.patterns)
            for _, template in resources.templates:
                resolved = template.resolve(context)
                if resolved is not None:
                    patterns.append(resolved)
            yield tuple(patterns)
        if account_varies:
            accounts: dict[str, None] = {}
            if request.caller.account:
                accounts[_escape(request.caller.account)] = None
            for statement, _ in pset.statements_for(request.action):
                for condition in statement.conditions:
                    if condition.key == "aws:resourceaccount":
                        like = "Like" in condition.operator
                        accounts.update(dict.fromkeys(t if like else _escape(t) for t in condition.texts))
            for account in accounts:
                yield (f"arn:*:*:*:{account}:*",)

    def witness(self, request: Request, resource: str) -> Request:
        """``witness_request`` of one resource of a pattern request (kept)."""
        key = (request.key, resource)
        found = self._witnesses.get(key)
        if found is None:
            if len(self._witnesses) >= _WITNESS_LIMIT:
                self._witnesses.clear()
            found = self._witnesses[key] = witness_request(request, resource)
        return found

    def evaluate(self, pset: PolicySet, request: Request) -> ScopeResult:
        """Decide a pattern request (``request.resource_match`` ``all`` or ``some``) under ``pset``."""
        try:
            witnesses = self.witness_requests(pset, request)
        except ScopeTooLarge:
            return _too_large(pset, request)
        results = pset.evaluate_many(witnesses)
        decided = [(w.resource, r) for w, r in zip(witnesses, results, strict=True)]
        return summarize(request, decided, pset)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("*", "\\*").replace("?", "\\?")


def witness_request(request: Request, resource: str) -> Request:
    """The concrete request for one resource of a pattern request: the same principal and context.

    A derived ``aws:ResourceAccount`` follows the witness's account.
    """
    context = dict(request.given)
    context.update(request.derived)
    fields = resource.split(":", 5)
    if "aws:resourceaccount" in request.derived and len(fields) == 6 and fields[4] and not request.resource_account:
        context["aws:resourceaccount"] = fields[4]
    return Request(request.action, resource, principal=request.principal, context=context,
                   resource_account=request.resource_account, service_linked_role=request.service_linked_role,
                   management_account=request.management_account,
                   resource_management_account=request.resource_management_account, derive_context=False)


def summarize(request: Request, decided: list[tuple[str, Result]], pset: PolicySet) -> ScopeResult:
    """The ScopeResult of a pattern request under ``pset`` from its witnesses' results.

    Resources AWS owns (semantics.md §4.7: no policy lets a customer change
    them) are left out of "every resource" when the pattern names others too:
    ``iam:CreateRole`` on every role of an account is a question about the
    roles its administrators can create at all.
    """
    owned = [(r, res) for r, res in decided if any(x.startswith("aws-owned-resource") for x in res.reasons)]
    if owned and len(owned) < len(decided):
        decided = [pair for pair in decided if pair not in owned]
    allowed = [(r, res) for r, res in decided if res.allowed]
    denied = [(r, res) for r, res in decided if not res.allowed]
    scope = "none" if not allowed else "all" if not denied else "some"
    mode = request.resource_match or "all"
    ok = scope == "all" or (mode == "some" and scope == "some")
    if ok:
        result = allowed[0][1]
        decision = Decision.ALLOW
    elif denied:
        explicit = [res for _, res in denied if res.decision is Decision.EXPLICIT_DENY]
        result = explicit[0] if explicit else denied[0][1]
        decision = result.decision
    else:  # a pattern no resource matches (an escaped colon in its first fields)
        result = pset.engine.decide.Result(Decision.IMPLICIT_DENY, reasons=("no_resource",))
        decision = Decision.IMPLICIT_DENY
    allowing = tuple(dict.fromkeys(ref for _, res in allowed for ref in res.matched if ref.effect == "Allow"))
    carving = tuple(dict.fromkeys(ref for _, res in denied if res.decision is Decision.EXPLICIT_DENY
                                  for ref in res.matched))
    statements = pset.statements_for(request.action)
    by_ref = {ref: statement for statement, ref in statements}
    patterns: dict[str, None] = {}
    for ref in allowing:
        statement = by_ref.get(ref)
        if statement is not None:
            patterns.update(dict.fromkeys(_entries(statement)))
    considered: dict[str, None] = {}
    for statement, _ in statements:
        if statement.allow:
            considered.update(dict.fromkeys(_entries(statement)))
    return ScopeResult(request, scope, decision, result, allowing, tuple(patterns), carving, tuple(decided),
                       tuple(considered))


def _entries(statement: Any) -> tuple[str, ...]:
    """A statement's Resource entries as written (``NotResource ...`` for a NotResource)."""
    if statement.resources is None:
        return ()
    if statement.not_resource:
        return tuple(f"NotResource {e}" for e in statement.resources.entries)
    return tuple(statement.resources.entries)


def _too_large(pset: PolicySet, request: Request) -> ScopeResult:
    """Fail closed: a pattern whose classes qiam gave up counting is allowed on none of them."""
    note = Diagnostic(Severity.WARNING, "scope-too-large",
                      f"the resources of `{request.resource}` split into too many classes to decide them "
                      f"(over {MAX_STATES:,} states or {MAX_STEPS:,} steps); read as allowed on none",
                      Location(None, ()))
    result = pset.engine.decide.Result(Decision.IMPLICIT_DENY, diagnostics=(note,), warnings=pset.warnings,
                     reasons=("scope-too-large",))
    return ScopeResult(request, "none", Decision.IMPLICIT_DENY, result, (), (), (), ())


def scope_of(pattern: str, allow: Sequence[str], deny: Sequence[str] = ()) -> str:
    """``all``, ``some`` or ``none``: whether the ARNs of ``pattern`` are matched by some ``allow``
    pattern and by no ``deny`` pattern (the pattern algebra alone, for tests and tools)."""
    languages = [ArnLanguage(allow), ArnLanguage(deny)]
    found = classes(ArnLanguage((pattern,)), languages)
    verdicts = {a and not d for a, d in found}
    if verdicts == {True}:
        return "all"
    return "some" if True in verdicts else "none"

