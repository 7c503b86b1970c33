"""Session fixtures of the benchmark suite, the `twin` fixture and the ratio report.

Everything a benchmark needs is built once per session (parsed workloads, the
library, compiled policy sets, ``Request`` objects), so only the call under test
is timed: criterion's setup/measure split, as in Cedar's benches.

The `twin` fixture runs a benchmark on each matcher core: ``qiam._match`` (the
compiled extension) and ``qiam._match_py`` (its pure-Python twin), both imported
directly whatever ``QIAM_IMPLEMENTATION`` says. For benchmarks above the core
(compile, evaluate, bulk) the test runs under that core's engine
(``qiam._impl.using``), and policies are compiled by it, so the whole pipeline
runs on that core.

``pytest_terminal_summary`` prints the ratios of one run (``_report``), only when
the benchmarks were timed (not under ``--benchmark-disable``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import orjson
import pytest

import qiam
import qiam._decide_py
import qiam._front_py
import qiam._match_py
import qiam.batch
import qiam.explain
from qiam import PolicySet, Request, compile_policies
from qiam._impl import using
from qiam.batch import Library
from qiam.kinds import resource_kind

from .nonce import nonce_lines
from .ratios import WORKLOADS

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("QIAM_SHARED", ROOT.parent / "shared"))

TWINS = ("compiled", "python")
# Rounds of each whole-workload benchmark (a round is 10,000 requests, or all 1,541
# managed policies); the report uses the fastest round.
BULK_ROUNDS = int(os.environ.get("QIAM_BENCH_ROUNDS", "3"))
# The passes that take milliseconds, not seconds (the per-request API, the batch path,
# building requests) run ten times as many rounds: on a shared machine a short round
# meets a pause more rarely, so the fastest of many is as steady as the fastest of a
# few long ones.
FAST_ROUNDS = 10 * BULK_ROUNDS

# The profile each policy of bench/library.json is compiled under, by name prefix.
LIBRARY_PROFILES = (
    ("extra:SCP_", "scp"),
    ("extra:BOUNDARY_", "permissions-boundary"),
    ("extra:RP_", "resource"),
    ("extra:SESSION_", "session"),
    ("", "identity"),
)


def shared_path(*parts: str) -> Path:
    """A file of the shared corpora; fails loudly if it is missing."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.fail(f"{path} is missing: the benchmarks need the project's shared files "
                    "(set QIAM_SHARED)")
    return path


def library_profile(name: str) -> str:
    """The profile a policy of ``library.json`` is validated under."""
    return next(profile for prefix, profile in LIBRARY_PROFILES if name.startswith(prefix))


def tag(benchmark: Any, **info: Any) -> None:
    """Label a benchmark for the ratio report (kept in pytest-benchmark's ``extra_info``)."""
    benchmark.extra_info.update(info)


# ---- the two cores ---------------------------------------------------------------------


def core_module(twin: str) -> ModuleType:
    """``qiam._match`` for "compiled" (skips if not built), ``qiam._match_py`` for "python"."""
    if twin == "python":
        return qiam._match_py
    try:
        import qiam._match as compiled
    except ImportError as exc:
        pytest.skip(f"the compiled core is not built ({exc}): "
                    "run `python setup.py build_ext --inplace`")
    return compiled


def twin_name(module: ModuleType) -> str:
    return "compiled" if module.__name__ == "qiam._match" else "python"


@contextmanager
def using_core(module: ModuleType) -> Iterator[ModuleType]:
    """Run the qiam pipeline on the engine ``module`` belongs to (its matchers, kernel and reader)."""
    with using("cython" if module.__name__ == "qiam._match" else "python"):
        yield module


def built_on(pset: PolicySet) -> str:
    """The module of the core objects a policy set was compiled with (for sanity checks)."""
    policy = next(policy for _, policy in pset.labelled() if policy.statements)
    return type(policy.statements[0].actions).__module__


@pytest.fixture(params=TWINS)
def twin(request: pytest.FixtureRequest) -> Iterator[ModuleType]:
    """The matcher core under test; the qiam pipeline uses it while the test runs."""
    with using_core(core_module(request.param)) as module:
        yield module


# ---- workloads -------------------------------------------------------------------------


@dataclass
class Workload:
    """One 10,000-request stream of bench/: raw lines, parsed lines, expected decisions."""

    name: str
    path: Path
    raw: list[bytes]  # the lines as `qiam batch` reads them, newline included
    lines: list[dict[str, Any]]
    expected: list[str]
    requests: list[Request] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.lines)

    def mismatches(self, decisions: list[str]) -> list[tuple[Any, str, str]]:
        """(id, expected, got) for each decision that differs from the line's ``expect``."""
        triples = zip(self.lines, self.expected, decisions, strict=True)
        return [(line.get("id"), want, got) for line, want, got in triples if want != got]


@pytest.fixture(scope="session")
def shared() -> Path:
    """The shared specification and corpora (``QIAM_SHARED``, or ../shared beside the repo)."""
    return shared_path()


@pytest.fixture(scope="session")
def library_path() -> Path:
    return shared_path("bench", "library.json")


@pytest.fixture(scope="session")
def library_data(library_path: Path) -> dict[str, Any]:
    """``library.json`` as plain JSON: name -> policy document."""
    data: dict[str, Any] = orjson.loads(library_path.read_bytes())
    return data


@pytest.fixture(scope="session")
def workloads() -> dict[str, Workload]:
    """Both workloads and their nonce copies, parsed once, with their ``qiam.Request`` objects built once."""
    out = {}
    for name in WORKLOADS:
        path = shared_path("bench", f"{name.removesuffix('-nonce')}.jsonl")
        raw = [line for line in path.read_bytes().splitlines(keepends=True) if line.strip()]
        if name.endswith("-nonce"):  # the same lines, none repeating (benchmarks/nonce.py)
            raw = [line + b"\n" for line in nonce_lines(raw)]
        lines = [orjson.loads(line) for line in raw]
        expected = [line["expect"]["decision"] for line in lines]
        requests = [Request.from_json(line["request"]) for line in lines]
        out[name] = Workload(name, path, raw, lines, expected, requests)
    return out


@pytest.fixture(scope="session", params=WORKLOADS)
def workload(request: pytest.FixtureRequest, workloads: dict[str, Workload]) -> Workload:
    """Each workload in turn."""
    return workloads[request.param]


# ---- compiled policies, per core -------------------------------------------------------


def resource_profile(request: Request) -> str:
    """The profile of a line's resource policy, chosen as BatchRunner chooses it."""
    return resource_kind(request.action, request.resource).profile


class Compiled:
    """The library and the workloads' policy sets compiled under one core, kept for the session."""

    def __init__(self, module: ModuleType, library_path: Path) -> None:
        self.module = module
        self.library_path = library_path
        self._library: Library | None = None
        self._sets: dict[str, list[PolicySet]] = {}

    @property
    def library(self) -> Library:
        if self._library is None:
            self._library = Library.from_path(self.library_path)
        return self._library

    def policy_set(self, policies: dict[str, Any], request: Request) -> PolicySet:
        """A line's policies (all ``$ref``) as a PolicySet, through the public API."""
        lib = self.library
        rprofile = resource_profile(request)

        def one(item: dict[str, str], profile: str) -> Any:
            return lib.compiled(item["$ref"], profile)

        def many(items: list[dict[str, str]] | None, profile: str) -> list[Any] | None:
            return None if items is None else [one(item, profile) for item in items]

        def levels(items: list[list[dict[str, str]]] | None, profile: str) -> Any:
            return None if items is None else [many(level, profile) or [] for level in items]

        resource = policies.get("resource")
        boundary = policies.get("boundary")
        with using_core(self.module):
            return compile_policies(
                many(policies.get("identity"), "identity") or [],
                resource=None if resource is None else one(resource, rprofile),
                boundary=None if boundary is None else one(boundary, "permissions-boundary"),
                session=many(policies.get("session"), "session"),
                scps=levels(policies.get("scp"), "scp"),
                rcps=levels(policies.get("rcp"), "rcp"),
                resource_profile=rprofile,
            )

    def policy_sets(self, workload: Workload) -> list[PolicySet]:
        """One PolicySet per line, compiled once per distinct line shape, shared between lines."""
        found = self._sets.get(workload.name)
        if found is None:
            by_shape: dict[tuple[bytes, str], PolicySet] = {}
            found = []
            for line, request in zip(workload.lines, workload.requests, strict=True):
                policies = line.get("policies") or {}
                shape = orjson.dumps(policies, option=orjson.OPT_SORT_KEYS)
                key = (shape, resource_profile(request))
                if key not in by_shape:
                    by_shape[key] = self.policy_set(policies, request)
                found.append(by_shape[key])
            assert {built_on(pset) for pset in by_shape.values()} == {self.module.__name__}
            self._sets[workload.name] = found
        return found


@pytest.fixture(scope="session")
def compiled_cache() -> dict[str, Compiled]:
    return {}


@pytest.fixture
def compiled(twin: ModuleType, compiled_cache: dict[str, Compiled],
             library_path: Path) -> Compiled:
    """The library and policy sets compiled under the twin of this test (once per session)."""
    name = twin_name(twin)
    if name not in compiled_cache:
        compiled_cache[name] = Compiled(twin, library_path)
    return compiled_cache[name]


# ---- the ratio report ------------------------------------------------------------------


def _best(bench: Any) -> float:
    """The fastest round, in seconds per call: noise on a shared machine only ever adds time."""
    return float(bench.stats.min)


def _report(benches: list[Any]) -> list[str]:
    """The ratio lines of one run, from pytest-benchmark's records of this session."""
    by: dict[tuple[str, str, str, str], Any] = {}
    for bench in benches:
        info = bench.extra_info
        if "role" in info and bench.stats is not None and bench.stats.rounds:
            by[(info["role"], info.get("workload", ""), info.get("twin", ""),
                info.get("case", ""))] = bench
    lines: list[str] = []

    def rate(role: str, workload: str, twin: str = "compiled") -> float | None:
        bench = by.get((role, workload, "" if role.startswith("pmapper") else twin, ""))
        return None if bench is None else float(bench.extra_info["requests"]) / _best(bench)

    def num(value: float | None) -> str:
        return "-" if value is None else f"{value:,.0f}/s"

    def ratio(a: float | None, b: float | None) -> str:
        return "-" if a is None or b is None else f"{a / b:.2f}x"

    if any(key[0] in ("api", "batch", "pmapper") for key in by):
        lines.append("Requests per second over the 10,000 requests of each workload "
                     "(fastest round; compiled core unless marked):")
        lines.append(f"{'workload':<20}{'qiam API':>12}{'batch path':>12}{'qiam batch':>12}{'PMapper':>12}"
                     f"{'API/PM':>9}{'path/PM':>9}{'batch/PM':>10}{'API, python twin':>18}")
        for workload in WORKLOADS:
            api, batch = rate("api", workload), rate("batch", workload)
            path = rate("batch-path", workload)
            peer, python = rate("pmapper", workload), rate("api", workload, "python")
            lines.append(f"{workload:<20}{num(api):>12}{num(path):>12}{num(batch):>12}{num(peer):>12}"
                         f"{ratio(api, peer):>9}{ratio(path, peer):>9}{ratio(batch, peer):>10}{num(python):>18}")
        lines.append("  qiam API: PolicySet.evaluate per request; batch path: one qiam.evaluate_pairs "
                     "call over the 10,000 (policy set, request) pairs (compiled loop, each distinct "
                     "request of a policy set decided once); qiam batch: the command's runner over the "
                     "raw lines, one process")
        if not any(key[0] == "pmapper" for key in by):
            lines.append("  (no PMapper figures: the peer did not run; see bench_peers.py's skip)")
        for workload in WORKLOADS:
            api, built = rate("api", workload), rate("requests", workload, "")
            if api is not None and built is not None:
                with_requests = 1 / (1 / api + 1 / built)
                lines.append(f"  {workload}: qiam API counting Request.from_json too (PMapper's "
                             f"rate includes its own context preparation) {num(with_requests)}; "
                             f"/ PMapper {ratio(with_requests, rate('pmapper', workload))}")
            peer = by.get(("pmapper", workload, "", ""))
            if peer is not None:
                agree = peer.extra_info.get("agree", 0)
                lines.append(f"  {workload}: PMapper agreed with `expect` on {agree:,} of "
                             f"{peer.extra_info['requests']:,} requests")
            bool_only = rate("pmapper-bool", workload)
            if bool_only is not None:
                lines.append(f"  {workload}: PMapper's allowed-or-not answer alone (no explicit/"
                             f"implicit split) {num(bool_only)}; qiam API / that "
                             f"{ratio(rate('api', workload), bool_only)}")

    compile_all = by.get(("compile-managed", "", "compiled", ""))
    loads = by.get(("orjson-managed", "", "", ""))
    if compile_all is not None and loads is not None:
        info = compile_all.extra_info
        lines.append(
            f"compile all {info['policies']:,} AWS managed policies / orjson.loads of the same "
            f"{info['bytes']:,} bytes: {_best(compile_all) / _best(loads):.1f}x "
            f"({_best(compile_all) * 1e3:,.0f} ms vs {_best(loads) * 1e3:,.1f} ms, compiled core)")
        matched = by.get(("compile-then-match", "", "", ""))
        if matched is not None:
            lines.append(f"  and then one match on every pattern set (each sorts its patterns at its first match): "
                         f"{_best(matched) / _best(loads):.1f}x ({_best(matched) * 1e3:,.0f} ms)")

    memory = by.get(("memory", "", "", ""))
    if memory is not None:
        info = memory.extra_info
        lines.append(f"memory: {info['bytes_per_policy']:,.0f} bytes per compiled AWS managed policy "
                     f"({info['policies']:,} policies, {info['bytes'] / 1e6:,.1f} MB allocated and kept, "
                     "tracemalloc)")

    one, engine = by.get(("tasks-one-set", "", "", "")), by.get(("tasks-one-set-engine", "", "", ""))
    if one is not None and engine is not None:
        info = one.extra_info
        lines.append(f"task layer, one precompiled set x {info['tasks']} tasks ({info['requests']} requests): "
                     f"{info['tasks'] / _best(one):,.0f} tasks/s, {info['requests'] / _best(one):,.0f} "
                     f"requirement evaluations/s; evaluate_many over the same requests "
                     f"{info['requests'] / _best(engine):,.0f}/s; task layer cost / engine cost "
                     f"{_best(one) / _best(engine):.2f}x")
    many, many_engine = by.get(("tasks-many", "", "", "")), by.get(("tasks-many-engine", "", "", ""))
    if many is not None:
        checks = many.extra_info["checks"]
        line = (f"task layer, {checks:,} checks (3,000 principals x 7 tasks, compile included): "
                f"{checks / _best(many):,.0f} tasks/s ({_best(many):.2f} s)")
        if many_engine is not None:
            line += (f"; evaluate_pairs over the same {many_engine.extra_info['requests']:,} pairs, sets "
                     f"precompiled: {_best(many_engine):.2f} s; ratio {_best(many) / _best(many_engine):.1f}x")
        lines.append(line)

    explain = []
    for (role, workload, twin, case), bench in sorted(by.items()):
        plain = by.get(("evaluate", workload, twin, case))
        if role == "explain" and twin == "compiled" and plain is not None:
            explain.append(f"{case} {_best(bench) / _best(plain):.1f}x")
    if explain:
        lines.append("explain / evaluate, same request, compiled core: " + ", ".join(explain))

    speedups = []
    for (role, workload, twin, case), bench in sorted(by.items()):
        other = by.get((role, workload, "python", case))
        if twin == "compiled" and other is not None:
            label = "/".join(part for part in (role, workload, case) if part)
            speedups.append(f"{label} {_best(other) / _best(bench):.2f}x")
    if speedups:
        lines.append("python twin time / compiled core time (above 1: compiled is faster):")
        lines.extend("  " + "; ".join(speedups[i:i + 4]) for i in range(0, len(speedups), 4))
    return lines


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter: Any, exitstatus: int,
                            config: pytest.Config) -> None:
    session = getattr(config, "_benchmarksession", None)  # pytest-benchmark's, when it is active
    if session is None or session.disabled:
        return
    benches = [bench for bench in session.benchmarks if not bench.has_error]
    lines = _report(benches)
    if lines:
        terminalreporter.section("qiam benchmark ratios (same run, same machine)")
        for line in lines:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def inventory_dir(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Path:
    """``inventory_gen``'s organisation (seed 7: 50 accounts, about 6,000 principals; ``--small`` in the smoke
    run, ``--benchmark-disable``), written once per session."""
    from benchmarks.inventory_gen import generate

    out = tmp_path_factory.mktemp("inventory")
    small = bool(request.config.getoption("benchmark_disable", False))
    generate(out, seed=7, **(dict(accounts=5, roles=200, users=50, resources=100) if small else {}))
    return out
