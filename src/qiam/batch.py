"""The batch line format: one JSON request per line in, one JSON result per line out.

``Library`` holds named policies (``{"$ref": NAME}``), each parsed and compiled
once per profile however many lines use it. ``BatchRunner`` turns input lines
into output objects, in order; ``qiam batch`` and the conformance tests both
go through it. The format itself is described in the project's spec
(batch-format.md).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path as FilePath
from typing import Any

import orjson

from qiam import limits
from qiam._impl import current
from qiam._json import kept
from qiam._source import Source
from qiam.compile import CompiledPolicy, Compiler
from qiam.errors import PolicyError, QiamError, RequestError
from qiam.evaluate import PolicySet, Result
from qiam.kinds import PolicyKind, Shape, resource_kind
from qiam.limits import max_library_bytes, max_policy_bytes, read_bounded
from qiam.request import Request
from qiam.scope import ScopeAnalyzer, ScopeResult
from qiam.types import JSONObject

SLOTS = PolicyKind.slots()
_SLOT_SET = frozenset(SLOTS)
# Read once: an enum member read through its class is a lookup through the enum's metaclass, per line.
_ONE, _MANY, _LEVELS = Shape.ONE, Shape.MANY, Shape.LEVELS
_IDENTITY = PolicyKind.IDENTITY
_SPELLINGS = 65_536  # spellings of the policies of a line kept, at the most
_SET_KINDS = tuple((kind.field, kind) for kind in PolicyKind.of_set())  # (PolicySet field, kind), in order


class LibraryError(QiamError, ValueError):
    """A policy library that cannot be read."""

    default_code = "invalid-library"


class Library:
    """Named policies, compiled once per profile on first use.

    Parameters
    ----------
    policies : mapping of name to (policy JSON object or text)
    origins : mapping of name to (lines, columns), optional
        For policies given as pieces of a library file's text: where each
        starts in the file, so that positions point into it.
    where : str, optional
        Where the library was read from, for messages.
    """

    def __init__(self, policies: Mapping[str, object], origins: Mapping[str, tuple[int, int]] | None = None,
                 where: str | None = None) -> None:
        self._policies: dict[str, Any] = dict(policies)  # policies as given: compiling says what is not one
        self._origins = dict(origins or {})
        self.where = where
        self._compiled: dict[tuple[str, str], CompiledPolicy | PolicyError] = {}
        self.compiler = Compiler()

    def __contains__(self, name: object) -> bool:
        return name in self._policies

    def __len__(self) -> int:
        return len(self._policies)

    def names(self) -> list[str]:
        """The names, in library order."""
        return list(self._policies)

    @classmethod
    def from_path(cls, path: str | FilePath) -> Library:
        """Read a library: a JSON file mapping names to policies, or a directory of ``NAME.json``.

        A file's policies are each read from their own piece of its text: the
        size quota, the character set and every check see one policy, and
        positions point into the file.
        """
        path = FilePath(path)
        if path.is_dir():
            limit = max_policy_bytes()
            return cls({p.stem: _read_text(p, limit, "the policy", "QIAM_MAX_POLICY_BYTES")
                        for p in sorted(path.glob("*.json"))}, where=str(path))
        text = _read_text(path, max_library_bytes(), "the library", "QIAM_MAX_LIBRARY_BYTES")
        data = text.encode("utf-8")
        try:
            mapping = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise LibraryError(f"{path}:{exc.lineno}:{exc.colno}: the library is not JSON: {exc.msg}",
                               hint="a library is a JSON object mapping names to policies") from None
        if not isinstance(mapping, dict):
            raise LibraryError(f"{path}: a library is a JSON object mapping names to policies, not a "
                               f"{type(mapping).__name__}", hint='write {"NAME": {"Version": ...}, ...}')
        source = Source(str(path), text)
        match = current().match
        if match.json_member_count(data) != match.decoded_member_count(mapping):
            # A name given twice breaks the library (a repeat inside a policy breaks only that policy,
            # when it is read from its piece of the text).
            for dup_path, offset in source.duplicates():
                if len(dup_path) == 1:
                    line, column = source.line_column(offset)
                    raise LibraryError(f"{path}:{line}:{column}: the name `{dup_path[0]}` is given twice",
                                       hint="each name of a library stands for one policy")
        pieces: dict[str, Any] = {}
        origins: dict[str, tuple[int, int]] = {}
        decoder = json.JSONDecoder()
        for name, document in mapping.items():
            start = source.offset((name,))
            if start is None or not isinstance(document, (dict, str)):
                pieces[name] = document
                continue
            try:
                end = decoder.raw_decode(text, start)[1]
            except ValueError:  # pragma: no cover - orjson read the whole text
                pieces[name] = document
                continue
            line, column = source.line_column(start)
            # A string member is a policy's text, itself JSON: read as such, where it stands.
            pieces[name] = text[start:end] if isinstance(document, dict) else document
            origins[name] = (line - 1, column - 1) if isinstance(document, dict) else (0, 0)
        return cls(pieces, origins, where=str(path))

    def compiled(self, name: str, profile: str) -> CompiledPolicy:
        """The named policy compiled under ``profile`` (cached); raises its PolicyError if it has one."""
        key = (name, profile)
        found = self._compiled.get(key)
        if found is None:
            found = self._compile(name, profile)
            self._compiled[key] = found
        if isinstance(found, PolicyError):
            raise found
        return found

    def _compile(self, name: str, profile: str) -> CompiledPolicy | PolicyError:
        document = self._policies[name]
        try:
            return self.compiler.compile(document, profile, name=name, origin=self._origins.get(name, (0, 0)))
        except PolicyError as exc:
            return exc

    def missing(self, name: str) -> tuple[str, str]:
        """The message and hint for a reference to a name the library does not hold."""
        if self.where is None:
            return f"no policy `{name}`: no library was given", "give the library with --library"
        if not self._policies:
            return f"no policy `{name}`: the library {self.where} holds no policies", \
                "a library is a JSON object of named policies, or a directory of NAME.json files"
        import difflib  # (only for a mistake: start-up does not pay for it)

        close = difflib.get_close_matches(name, self.names(), n=1)
        hint = f"did you mean `{close[0]}`?" if close else f"its names: {', '.join(self.names()[:5])}" + \
            (", ..." if len(self._policies) > 5 else "")
        return f"no policy `{name}` in the library {self.where}", hint


def _read_text(path: FilePath, limit: int, what: str, setting: str) -> str:
    try:
        return read_bounded(path, limit, what, setting).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LibraryError(f"{path}: byte {exc.start} is not valid UTF-8", code="invalid-utf8",
                           hint="save the library as UTF-8") from None
    except OSError as exc:
        raise LibraryError(f"cannot read the library {path}: {exc.strerror or exc}", code="unreadable-file",
                           hint="give a JSON file of named policies, or a directory of NAME.json files") from None


class _LineError(Exception):
    """Stops one line; carries the error object to print."""

    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(error.get("message"))
        self.error = error


# How many rendered answers a runner keeps before starting afresh.
_ANSWERS_LIMIT = 1 << 16
_RESAMPLE = 1 << 16  # lines after which a runner that stopped keying lines samples them again
_INLINE_POLICIES = 4_096  # inline policies compiled by one compiler before the next


def _error(code: str, message: str, *, policy: str | None = None, name: str | None = None, path: str = "",
           line: int | None = None, column: int | None = None, hint: str | None = None) -> dict[str, Any]:
    """A line's error object: always these keys (batch-format.md)."""
    return {"code": code, "message": message, "policy": policy, "name": name, "path": path, "line": line,
            "column": column, "hint": hint}


def _internal_error(exc: Exception) -> dict[str, Any]:
    return _error("internal-error", f"internal error: {exc!r}", hint="this is a bug in qiam: please report it")


def _read_line(line: str | bytes, number: int) -> tuple[Any, dict[str, Any] | None, dict[str, Any] | None]:
    """The line's id, and its JSON object or the error object when it is not one."""
    try:
        data = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        if isinstance(line, bytes) and "UTF-8" in exc.msg:
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as bad:
                return None, None, _error("invalid-line", f"line {number} is not valid UTF-8 (byte {bad.start + 1})",
                                          line=number, column=bad.start + 1, hint="write the requests as UTF-8")
        return None, None, _error("invalid-line", f"line {number} is not JSON: {exc.msg}", line=number,
                                  column=exc.colno, hint="one JSON object per line (batch-format.md)")
    if not isinstance(data, dict):
        return None, None, _error("invalid-line", f"line {number} is not a JSON object", line=number, column=1,
                                  hint="one JSON object per line (batch-format.md)")
    return data.get("id"), data, None


def _content_key(data: dict[str, Any]) -> bytes | None:
    """What decides a line's answer, as bytes: its policies and its request."""
    try:
        return orjson.dumps((data.get("policies"), data.get("request")))
    except (TypeError, orjson.JSONEncodeError):
        return None


def _error_dict(exc: QiamError, slot: str | None, name: str | None = None) -> dict[str, Any]:
    found: dict[str, Any] = exc.to_dict()  # the fields QiamError.to_dict gives, of the types _error takes
    return _error(exc.code, exc.message, policy=slot, name=name or found.get("policy"), path=found["path"],
                  line=found["line"], column=found["column"], hint=exc.hint)


def numbered_lines(data: bytes, first: int, limit: int) -> list[tuple[int, bytes | None]]:
    """The non-blank lines of ``data`` (whole lines as read), numbered from ``first``; None stands for a
    line over ``limit`` bytes (what ``BatchRunner.run_numbered`` takes)."""
    out: list[tuple[int, bytes | None]] = []
    for number, line in enumerate(data.split(b"\n"), first):
        if len(line) > limit:
            out.append((number, None))
        elif line.strip():
            out.append((number, line))
    return out


class BatchRunner:
    """Evaluates batch lines; compiled policy sets of library references are reused across lines.

    ``derive_context``: derive the context AWS supplies for every line whose
    request does not say (batch-format.md); by default a line is evaluated
    exactly as given. ``form``: ``jsonl`` (the batch format's output) or
    ``aws`` (the AWS policy simulator's result shape, with the line's id).
    """

    def __init__(self, library: Library | None = None, *, derive_context: bool = False, form: str = "jsonl"
                 ) -> None:
        self.library = library if library is not None else Library({})
        self.derive_context = derive_context
        self.form = form
        self._scope = ScopeAnalyzer()
        self._sets: dict[tuple[Any, ...], PolicySet] = {}
        self._spelled: dict[tuple[bytes, str], PolicySet] = {}  # the same sets, by the text of a line's policies
        # Rendered answers by the JSON of a line's policies and request: bulk input repeats itself.
        self._answers: dict[bytes, tuple[str, bytes]] = {}
        self._inline = Compiler()
        self._inline_count = 0
        self._keying = True  # whether lines are looked up by their content key (see _key_of)
        self._lines = 0
        self._repeats = 0

    def run(self, lines: Iterable[str | bytes]) -> Iterator[JSONObject]:
        """One output object per non-blank input line, in order."""
        for number, line in enumerate(lines, 1):
            if line.strip():
                yield self.run_line(line, number)

    def run_line(self, line: str | bytes, number: int = 1) -> JSONObject:
        """Evaluate one input line."""
        line_id, prepared = self._prepare(line, number)
        if isinstance(prepared, dict):
            return {"id": line_id, "error": prepared}
        policy_set, request = prepared
        try:
            found = self._decide([request], policy_set)[0]
        except Exception as exc:  # a bug must cost one line its answer, never the stream or a grant
            return {"id": line_id, "error": _internal_error(exc)}
        out: dict[str, Any] = {"id": line_id}
        out.update(_output(request, found, policy_set, self.form))
        return out

    def _decide(self, requests: list[Request], policy_set: PolicySet) -> list[Result | ScopeResult]:
        """The answers of requests under one policy set: concrete ones in one call into the kernel,
        pattern requests (``resource_match``) by their scope."""
        if all(r.resource_match is None for r in requests):
            return list(policy_set.evaluate_many(requests))
        return [self._scope.evaluate(policy_set, r) if r.resource_match is not None else policy_set.evaluate(r)
                for r in requests]

    def run_bytes(self, lines: Iterable[str | bytes], *, first: int = 1, chunk: int = 2048
                  ) -> Iterator[tuple[str, bytes]]:
        """Output lines (bytes, newline included), in order, for input lines numbered from ``first``.

        Each comes with what it says: ``allowed``, ``denied`` or ``error``.
        Lines are taken a chunk at a time: the requests of each policy set go to
        the decision kernel together, and a line whose policies and request were
        met before gets the answer rendered then.
        """
        batch: list[tuple[int, str | bytes]] = []
        for number, line in enumerate(lines, first):
            if line.strip():
                batch.append((number, line))
                if len(batch) >= chunk:
                    yield from self._run_chunk(batch)
                    batch = []
        if batch:
            yield from self._run_chunk(batch)

    def run_numbered(self, batch: list[tuple[int, bytes | None]]) -> list[tuple[str, bytes]]:
        """The output lines of numbered input lines, in order; None stands for a line over the size limit."""
        out: list[tuple[str, bytes]] = []
        lines: list[tuple[int, str | bytes]] = []
        for number, line in batch:
            if line is None:
                out.extend(self._run_chunk(lines))
                lines = []
                error = _error("line-too-long", f"line {number} is over the size limit", line=number,
                               hint="raise it with --max-line-bytes (or QIAM_MAX_LINE_BYTES)")
                out.append(("error", b'{"id":null,' + orjson.dumps({"error": error})[1:] + b"\n"))
            else:
                lines.append((number, line))
        out.extend(self._run_chunk(lines))
        return out

    def _run_chunk(self, batch: list[tuple[int, str | bytes]]) -> Iterator[tuple[str, bytes]]:
        answers = self._answers
        outputs: list[tuple[Any, str, bytes]] = [(None, "", b"")] * len(batch)  # (id, status, body)
        work: dict[int, tuple[PolicySet, list[tuple[int, Any, Request, bytes | None]]]] = {}
        for position, (number, line) in enumerate(batch):
            line_id, data, error = _read_line(line, number)
            if data is None:
                outputs[position] = (line_id, "error", orjson.dumps({"error": error}))
                continue
            key = self._key_of(data)
            known = answers.get(key) if key is not None else None
            if known is not None:
                self._repeats += 1
                outputs[position] = (line_id, *known)
                continue
            prepared = self._prepare_data(data)
            if isinstance(prepared, dict):
                body = orjson.dumps({"error": prepared})
                self._remember(key, ("error", body))
                outputs[position] = (line_id, "error", body)
                continue
            policy_set, request = prepared
            work.setdefault(id(policy_set), (policy_set, []))[1].append((position, line_id, request, key))
        for policy_set, items in work.values():
            try:
                results: list[Any] = self._decide([request for _, _, request, _ in items], policy_set)
            except Exception:  # isolate the line that fails, one at a time
                results = []
                for _, _, request, _ in items:
                    try:
                        results.append(self._decide([request], policy_set)[0])
                    except Exception as exc:
                        results.append(exc)
            rendered: dict[int, tuple[str, bytes]] = {}  # a result met twice is rendered once
            for (position, line_id, request, key), result in zip(items, results, strict=True):
                if isinstance(result, Exception):
                    outputs[position] = (line_id, "error", orjson.dumps({"error": _internal_error(result)}))
                    continue
                answer = rendered.get(id(result))
                if answer is None:
                    answer = rendered[id(result)] = ("allowed" if result.allowed else "denied",
                                                     orjson.dumps(_output(request, result, policy_set, self.form)))
                self._remember(key, answer)
                outputs[position] = (line_id, *answer)
        for line_id, status, body in outputs:
            yield status, b'{"id":' + orjson.dumps(line_id) + b"," + body[1:] + b"\n"

    def _key_of(self, data: dict[str, Any]) -> bytes | None:
        """The line's content key while keying lines pays (as in evaluate_pairs, qiam.limits.REPEAT_SAMPLE):
        input that does not repeat stops paying for it, and is sampled again every _RESAMPLE lines."""
        self._lines += 1
        if self._lines == limits.REPEAT_SAMPLE:
            self._keying = self._repeats * limits.REPEAT_SHARE >= self._lines
        elif self._lines >= _RESAMPLE:
            self._lines = self._repeats = 0
            self._keying = True
        return _content_key(data) if self._keying else None

    def _remember(self, key: bytes | None, answer: tuple[str, bytes]) -> None:
        if key is None:
            return
        if len(self._answers) >= _ANSWERS_LIMIT:
            self._answers.clear()
        self._answers[kept(key)] = (answer[0], kept(answer[1]))

    def _prepare(self, line: str | bytes, number: int) -> tuple[Any, dict[str, Any] | tuple[PolicySet, Request]]:
        """The line's id, and its policy set and request, or the error object to print for it."""
        line_id, data, error = _read_line(line, number)
        if data is None:
            assert error is not None
            return line_id, error
        return line_id, self._prepare_data(data)

    def _prepare_data(self, data: dict[str, Any]) -> dict[str, Any] | tuple[PolicySet, Request]:
        try:
            given = data.get("request")
            if self.derive_context and isinstance(given, dict) and "derive_context" not in given:
                given = {**given, "derive_context": True}
            request = Request.from_json(given)
            return self._policy_set(data.get("policies"), request), request
        except RequestError as exc:
            return _error_dict(exc, None)
        except _LineError as exc:
            return exc.error
        except Exception as exc:  # a bug must cost one line its answer, never the stream or a grant
            return _internal_error(exc)

    def _policy_set(self, policies: Any, request: Request) -> PolicySet:
        if policies is None:
            policies = {}
        if not isinstance(policies, dict):
            raise _LineError(_error("invalid-line", "`policies` must be a JSON object", path="/policies"))
        if not _SLOT_SET.issuperset(policies):
            unknown = set(policies) - _SLOT_SET
            raise _LineError(_error("invalid-line", f"unknown policy slot `{sorted(unknown)[0]}`", path="/policies",
                                    hint="slots: " + ", ".join(SLOTS)))
        resource = resource_kind(request.action, request.resource)
        # Lines of one shape spell their policies alike: their text finds the set without a walk.
        try:
            spelled: tuple[bytes, str] | None = (orjson.dumps(policies), resource.profile)
        except TypeError:  # (not JSON: the walk below says what is wrong)
            spelled = None
        found = self._spelled.get(spelled) if spelled is not None else None
        if found is not None:
            return found
        key = _refs_key(policies, resource.profile)
        if key is not None:
            cached = self._sets.get(key)
            if cached is not None:
                if spelled is not None and len(self._spelled) < _SPELLINGS:
                    self._spelled[kept(spelled[0]), spelled[1]] = cached
                return cached
        fields: dict[str, Any] = {}
        for name, kind in _SET_KINDS:
            if name == "resource":
                kind = resource
            value = policies.get(kind.slot)
            if kind.shape is _ONE:
                fields[name] = None if value is None else self._one(value, kind.profile, kind.slot)
            elif kind.shape is _MANY:
                fields[name] = () if value is None and kind is _IDENTITY else \
                    None if value is None else self._many(value, kind.profile, kind.slot)
            else:
                fields[name] = self._levels(value, kind.profile)
        built = PolicySet(**fields)
        if key is not None:  # (only sets of library references are kept: an inline policy's positions are its line's)
            self._sets[key] = built
            if spelled is not None and len(self._spelled) < _SPELLINGS:
                self._spelled[kept(spelled[0]), spelled[1]] = built
        return built

    def _many(self, items: Any, profile: str, label: str) -> tuple[CompiledPolicy, ...]:
        if items is None:
            return ()
        if not isinstance(items, list):
            raise _LineError(_error("invalid-line", f"`{label}` must be a list of policies", policy=label))
        return tuple(self._one(item, profile, f"{label}[{i}]") for i, item in enumerate(items))

    def _levels(self, levels: Any, profile: str) -> tuple[tuple[CompiledPolicy, ...], ...] | None:
        if levels is None:
            return None
        if not isinstance(levels, list):
            raise _LineError(_error("invalid-line", f"`{profile}` must be a list of levels", policy=profile,
                                    hint="one list of policies per organization level, root first"))
        return tuple(self._many(level, profile, f"{profile}[{n}]") for n, level in enumerate(levels))

    def _inline_compiler(self) -> Compiler:
        """The compiler of the lines' own policies: a fresh one every ``_INLINE_POLICIES`` of them, since a
        compiler keeps every element it met, and a stream of distinct inline policies would grow it
        without end (the library's compiler meets only the library)."""
        self._inline_count += 1
        if self._inline_count > _INLINE_POLICIES:
            self._inline = Compiler()
            self._inline_count = 1
        return self._inline

    def _one(self, item: Any, profile: str, label: str) -> CompiledPolicy:
        ref = _ref_name(item)
        try:
            if ref is not None:
                if ref not in self.library:
                    message, hint = self.library.missing(ref)
                    raise _LineError(_error("unknown-policy-ref", message, policy=label, name=ref, hint=hint))
                return self.library.compiled(ref, profile)
            if isinstance(item, (dict, str)):
                return self._inline_compiler().compile(item, profile, name=label)
            raise _LineError(_error("invalid-line", "a policy is a JSON object, text or a $ref", policy=label))
        except PolicyError as exc:
            raise _LineError(_error_dict(exc, label, ref)) from None


def _output(request: Request, found: Result | ScopeResult, policy_set: PolicySet, form: str = "jsonl"
            ) -> dict[str, Any]:
    """A line's output fields: the result's, and the derived context keys when there are some; or, in the
    ``aws`` form, the AWS policy simulator's result shape."""
    if form == "aws":
        from qiam.formats import simulation

        result = found.result if isinstance(found, ScopeResult) else found
        return simulation([(request, result)], policy_set)
    out = found.to_dict()
    if request.derived:
        out["derived"] = {k: list(v) if isinstance(v, tuple) else v for k, v in request.derived.items()}
    return out


def _ref_name(item: Any) -> str | None:
    if isinstance(item, dict) and len(item) == 1 and "$ref" in item:
        ref = item["$ref"]
        return ref if isinstance(ref, str) else None
    return None


def _refs_key(policies: dict[str, Any], resource_profile: str) -> tuple[Any, ...] | None:
    """A cache key when every policy of the line is a library reference, else None."""
    parts: list[Any] = [resource_profile]
    for _, kind in _SET_KINDS:
        value = policies.get(kind.slot)
        if value is None:
            parts.append(None)
            continue
        if kind.shape is _ONE:
            ref = _ref_name(value)
            if ref is None:
                return None
            parts.append(ref)
            continue
        if not isinstance(value, list):
            return None
        if kind.shape is _LEVELS:
            levels = []
            for level in value:
                if not isinstance(level, list):
                    return None
                refs = tuple(_ref_name(v) for v in level)
                if None in refs:
                    return None
                levels.append(refs)
            parts.append(tuple(levels))
        else:
            refs = tuple(_ref_name(v) for v in value)
            if None in refs:
                return None
            parts.append(refs)
    return tuple(parts)
