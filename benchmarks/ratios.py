"""The ratios of one benchmark run, as data: what the report prints and what the check guards.

A run's records come either from pytest-benchmark's session (the report at the
end of a timed run) or from the JSON file ``--benchmark-json`` writes (the check,
``python -m benchmarks.check``). Each ratio is computed from two timings of the
same run, so it holds on a shared, noisy machine where absolute times do not.

``TARGETS`` is the one table of the product's speed targets (design/product.md):
the check prints each ratio beside its target and fails when one misses.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

# The shipped workloads repeat heavily; their nonce copies (benchmarks.nonce) never repeat. Every bulk
# figure is reported for both, and the targets of bulk speed are the nonce copies'.
SHIPPED = ("identity-10k", "layered-10k")
NONCE = tuple(f"{name}-nonce" for name in SHIPPED)
WORKLOADS = SHIPPED + NONCE


@dataclass(frozen=True)
class Record:
    """One benchmark's labels (its ``extra_info``) and its fastest round in seconds."""

    role: str
    workload: str
    twin: str
    case: str
    best: float
    info: Mapping[str, object]

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.role, self.workload, self.twin, self.case)


@dataclass(frozen=True)
class Ratio:
    """A named ratio of one run; ``higher`` says which way is better."""

    name: str
    value: float
    higher: bool
    what: str


@dataclass(frozen=True)
class Target:
    """A bound a ratio must meet: at least ``bound`` if the ratio is better higher, else at most."""

    bound: float
    source: str


# The product's speed targets, by ratio name (design/product.md, "Fast").
TARGETS: dict[str, Target] = {
    "tasks/one-set/layer-vs-engine": Target(1.5, "the task layer at the engine's own cost"),
    "compile/managed/vs-orjson": Target(3.0, "compiling in little more than the time orjson needs to read"),
    "inventory/load/vs-orjson": Target(3.0, "an inventory loaded in little more than orjson reads it"),
    **{f"bulk/{w}/api-from-dicts-vs-pmapper": Target(40.0, "at least 40x PMapper from plain dicts")
       for w in WORKLOADS},
    **{f"bulk/{w}/batch-path-vs-pmapper": Target(300.0, "several hundred times PMapper through the batch path")
       for w in SHIPPED},
    **{f"bulk/{w}/batch-path-vs-pmapper": Target(200.0, "200x PMapper through the batch path, nothing repeating")
       for w in NONCE},
    **{f"bulk/{w}/batch-path-vs-api": Target(3.0, "the batch path 3x a Python loop of evaluate, nothing repeating")
       for w in NONCE},
    "bulk/many-sets/100000-vs-1": Target(1.5, "a pair's cost with 100,000 distinct policy sets within 1.5x of one"),
    **{f"match/prefix-10000-{outcome}/vs-1": Target(3.0, "10,000 prefix patterns within 3x of one")
       for outcome in ("hit", "miss")},
    "startup/version/vs-python": Target(3.0, "qiam --version under 3x python -c pass"),
    "startup/check/vs-python": Target(6.0, "qiam check under 6x python -c pass"),
}


def _record(info: Mapping[str, object], best: float) -> Record:
    return Record(str(info["role"]), str(info.get("workload", "")), str(info.get("twin", "")),
                  str(info.get("case", "")), best, info)


def from_session(benches: Iterable[object]) -> list[Record]:
    """The records of pytest-benchmark's in-process benchmark objects (timed, labelled ones)."""
    out = []
    for bench in benches:
        info = getattr(bench, "extra_info", {})
        stats = getattr(bench, "stats", None)
        if "role" in info and stats is not None and stats.rounds:
            out.append(_record(info, float(stats.min)))
    return out


def from_json(path: Path) -> list[Record]:
    """The records of a ``--benchmark-json`` file."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return [_record(bench["extra_info"], float(bench["stats"]["min"]))
            for bench in data.get("benchmarks", []) if "role" in bench.get("extra_info", {})]


class _Run:
    def __init__(self, records: Iterable[Record]) -> None:
        self.by = {record.key: record for record in records}

    def get(self, role: str, workload: str = "", twin: str = "", case: str = "") -> Record | None:
        return self.by.get((role, workload, twin, case))

    def rate(self, role: str, workload: str, twin: str = "compiled") -> float | None:
        """Requests per second of a whole-workload benchmark."""
        record = self.get(role, workload, "" if role.startswith("pmapper") or role == "requests" else twin)
        return None if record is None else float(str(record.info["requests"])) / record.best


def ratios(records: Iterable[Record]) -> list[Ratio]:
    """Every ratio the run's records allow, named stably so that runs can be compared."""
    run = _Run(records)
    out: list[Ratio] = []

    def add(name: str, value: float | None, higher: bool, what: str) -> None:
        if value is not None:
            out.append(Ratio(name, value, higher, what))

    def over(a: float | None, b: float | None) -> float | None:
        return None if a is None or b is None else a / b

    for workload in WORKLOADS:
        peer = run.rate("pmapper", workload)
        api, path, batch = (run.rate(role, workload) for role in ("api", "batch-path", "batch"))
        built = run.rate("requests", workload)
        add(f"bulk/{workload}/api-vs-pmapper", over(api, peer), True, "PolicySet.evaluate per prebuilt Request")
        if api is not None and built is not None:
            from_dicts = 1 / (1 / api + 1 / built)
            add(f"bulk/{workload}/api-from-dicts-vs-pmapper", over(from_dicts, peer), True,
                "Request.from_json + evaluate")
        add(f"bulk/{workload}/batch-path-vs-pmapper", over(path, peer), True, "one evaluate_pairs call")
        add(f"bulk/{workload}/batch-vs-pmapper", over(batch, peer), True, "BatchRunner over the raw lines")
        add(f"bulk/{workload}/batch-path-vs-api", over(path, api), True, "evaluate_pairs / a loop of evaluate")

    compile_all, loads = run.get("compile-managed", twin="compiled"), run.get("orjson-managed")
    if compile_all is not None and loads is not None:
        add("compile/managed/vs-orjson", compile_all.best / loads.best, False, "compile 1,541 managed / orjson.loads")
        matched = run.get("compile-then-match")
        if matched is not None:
            add("compile/managed-then-match/vs-orjson", matched.best / loads.best, False,
                "compile, then one match per pattern set / orjson.loads")

    one, engine = run.get("tasks-one-set"), run.get("tasks-one-set-engine")
    if one is not None and engine is not None:
        add("tasks/one-set/layer-vs-engine", one.best / engine.best, False, "check_many / evaluate_many")
    many, many_engine = run.get("tasks-many"), run.get("tasks-many-engine")
    if many is not None and many_engine is not None:
        add("tasks/many/layer-vs-engine", many.best / many_engine.best, False,
            "3,000 principals x 7 tasks incl. compile / evaluate_pairs precompiled")

    load_inventory, load_json = run.get("inventory-load"), run.get("inventory-orjson")
    if load_inventory is not None and load_json is not None:
        add("inventory/load/vs-orjson", load_inventory.best / load_json.best, False,
            "load and compile the generated inventory / orjson.loads of its files")
    for role, what in (("who-can", "who-can kms:Decrypt on one key, every principal"),
                       ("can", "can OrgAdmin over the whole catalog"),
                       ("task-matrix", "the task matrix (with explanations) / deciding each request once")):
        qiam_run, naive_run = run.get(role), run.get(f"{role}-naive")
        if qiam_run is not None and naive_run is not None:
            add(f"inventory/{role}/vs-naive", naive_run.best / qiam_run.best, True, f"{what}: naive time / qiam time")

    one_set = run.get("many-sets", case="1")
    for count in (1_000, 100_000):
        many_sets = run.get("many-sets", case=str(count))
        if one_set is not None and many_sets is not None:
            add(f"bulk/many-sets/{count}-vs-1", many_sets.best / one_set.best, False,
                f"evaluate_pairs over 100,000 distinct requests, {count:,} fresh policy sets / one")

    for outcome in ("hit", "miss"):
        single = run.get("prefix-patterns", twin="compiled", case=f"1-{outcome}")
        for count in (100, 10_000, 100_000):
            many_patterns = run.get("prefix-patterns", twin="compiled", case=f"{count}-{outcome}")
            if single is not None and many_patterns is not None:
                add(f"match/prefix-{count}-{outcome}/vs-1", many_patterns.best / single.best, False,
                    f"ArnPatternSet.matches_any, {count:,} bucket-N/* patterns / one")

    python = run.get("startup", case="python")
    for case in ("version", "check", "check-expression"):
        command = run.get("startup", case=case)
        if python is not None and command is not None:
            add(f"startup/{case}/vs-python", float(str(command.info["median"])) / float(str(python.info["median"])),
                False, f"{case}: median wall time of interleaved runs / python -c pass")

    for (role, workload, twin, case), record in sorted(run.by.items()):
        plain = run.get("evaluate", workload, twin, case)
        if role == "explain" and twin == "compiled" and plain is not None:
            add(f"explain/{case}/vs-evaluate", record.best / plain.best, False, "explain / evaluate")
        other = run.get(role, workload, "python", case)
        if twin == "compiled" and other is not None:
            label = "/".join(part for part in (role, workload, case) if part)
            add(f"twin/{label}/python-vs-compiled", other.best / record.best, True,
                "python twin time / compiled time")
    return out


def missed(ratio: Ratio, target: Target) -> bool:
    return ratio.value < target.bound if ratio.higher else ratio.value > target.bound


def regressed(ratio: Ratio, before: Ratio, tolerance: float) -> bool:
    """Whether ``ratio`` is worse than ``before`` by more than ``tolerance`` (0.10: ten per cent)."""
    if ratio.higher:
        return ratio.value < before.value * (1 - tolerance)
    return ratio.value > before.value * (1 + tolerance)
