"""Match: the matcher core alone (Glob, GlobSet, ArnPatternSet), on each twin.

Patterns are real ones: action wildcards of the seed policies
(``kms:GenerateDataKey*``, ``s3:GetObject*``), the action list of the AWS managed
``ReadOnlyAccess`` policy (thousands of ``service:Describe*`` style patterns), the
resource ARNs of the migration policy, and every distinct resource ARN pattern of
the 1,541 AWS managed policies. Action sets fold case, as ``compile`` builds them;
the evaluator passes them the lower-cased action. Each benchmark is one call;
pytest-benchmark picks the number of iterations per round.

The exact-string path of ``GlobSet`` is ``frozenset`` membership on both twins
(house style §3.11), so the interesting compiled-versus-python ratios are those of
the wildcard cases.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import orjson
import pytest

from qiam.variables import pattern_text

from .conftest import shared_path, tag, twin_name

match = pytest.mark.benchmark(group="match", max_time=0.25)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    statements = document.get("Statement", [])
    return statements if isinstance(statements, list) else [statements]


@pytest.fixture(scope="session")
def managed_documents() -> dict[str, dict[str, Any]]:
    folder = shared_path("corpus", "aws-managed")
    return {path.stem: orjson.loads(path.read_bytes())
            for path in sorted(Path(folder).glob("*.json"))}


@pytest.fixture(scope="session")
def patterns(managed_documents: dict[str, dict[str, Any]],
             library_data: dict[str, Any]) -> dict[str, list[str]]:
    """Named pattern lists, as ``compile`` hands them to the core."""
    read_only = [a for st in _statements(managed_documents["ReadOnlyAccess"])
                 for a in _strings(st.get("Action"))]
    arns = sorted({r for doc in managed_documents.values() for st in _statements(doc)
                   for r in _strings(st.get("Resource")) + _strings(st.get("NotResource"))
                   if r.startswith("arn:") and "${" not in r})
    mgn = [r for st in _statements(library_data["extra:P7c_mgn_concrete"])
           for r in _strings(st.get("Resource"))]
    seed = [a for name, doc in library_data.items() if name.startswith("seed:")
            for st in _statements(doc) for a in _strings(st.get("Action"))]
    return {
        "seed-actions": [pattern_text(p) for p in dict.fromkeys(seed)],
        "readonly-actions": [pattern_text(p) for p in read_only],
        "exact-actions": [pattern_text(p) for p in dict.fromkeys(seed)
                          if "*" not in p and "?" not in p],
        "mgn-arns": [pattern_text(p) for p in mgn if p != "*"],
        "managed-arns": [pattern_text(p) for p in arns],
    }


GLOBS = {
    # id: (pattern, fold_case, text, expected)
    "action-suffix-hit": ("kms:GenerateDataKey*", True,
                          "kms:generatedatakeypairwithoutplaintext", True),
    "action-suffix-miss": ("kms:GenerateDataKey*", True, "kms:generaterandom", False),
    "arn-infix-hit": ("arn:aws:s3:::q-*-logs/*/2025/??/*.gz", False,
                      "arn:aws:s3:::q-prod-logs/AWSLogs/111122223333/2025/06/part-0001.gz", True),
    "arn-infix-miss": ("arn:aws:s3:::q-*-logs/*/2025/??/*.gz", False,
                       "arn:aws:s3:::q-prod-logs/AWSLogs/111122223333/2024/06/part-0001.gz", False),
}


@match
@pytest.mark.parametrize("case", list(GLOBS))
def test_glob(benchmark: Any, twin: ModuleType, case: str) -> None:
    pattern, fold_case, text, expected = GLOBS[case]
    glob = twin.Glob(pattern, fold_case=fold_case)
    tag(benchmark, role="glob", twin=twin_name(twin), case=case)
    assert benchmark(glob.matches, text) is expected


GLOBSETS = {
    # id: (pattern list, text, expected)
    "seed-hit": ("seed-actions", "kms:generatedatakeypair", True),
    "seed-miss": ("seed-actions", "kms:scheduledeletion", False),
    "readonly-hit": ("readonly-actions", "ec2:describeinstances", True),
    "readonly-miss": ("readonly-actions", "ec2:runinstances", False),
    "exact-hit": ("exact-actions", "sso:createapplication", True),
    "exact-miss": ("exact-actions", "sso:deletepermissionset", False),
}


@match
@pytest.mark.parametrize("case", list(GLOBSETS))
def test_globset_matches_any(benchmark: Any, twin: ModuleType, case: str,
                             patterns: dict[str, list[str]]) -> None:
    source, text, expected = GLOBSETS[case]
    globset = twin.GlobSet(patterns[source], fold_case=True)
    tag(benchmark, role="globset", twin=twin_name(twin), case=case, patterns=len(globset))
    assert benchmark(globset.matches_any, text) is expected


ARNSETS = {
    # id: (pattern list, ARN, expected)
    "mgn-hit": ("mgn-arns", "arn:aws:ec2:us-east-1:111122223333:security-group/sg-0a1b2c3d", True),
    "mgn-miss": ("mgn-arns", "arn:aws:ec2:us-east-1:111122223333:instance/i-0a1b2c3d", False),
    "managed-hit": ("managed-arns", "arn:aws:s3:::aws-glue-scripts-111122223333/etl/job.py", True),
    "managed-miss": ("managed-arns",
                     "arn:aws:qbusiness:us-east-1:111122223333:application/a-0/index/i-1", False),
}


@match
@pytest.mark.parametrize("case", list(ARNSETS))
def test_arnpatternset_matches_any(benchmark: Any, twin: ModuleType, case: str,
                                   patterns: dict[str, list[str]]) -> None:
    source, arn, expected = ARNSETS[case]
    arnset = twin.ArnPatternSet(patterns[source])
    tag(benchmark, role="arnset", twin=twin_name(twin), case=case, patterns=len(arnset))
    assert benchmark(arnset.matches_any, arn) is expected


@match
def test_arnpatternset_first_match(benchmark: Any, twin: ModuleType,
                                   patterns: dict[str, list[str]]) -> None:
    arnset = twin.ArnPatternSet(patterns["managed-arns"])
    arn = "arn:aws:s3:::aws-glue-scripts-111122223333/etl/job.py"
    tag(benchmark, role="arnset-first", twin=twin_name(twin), case="managed-hit",
        patterns=len(arnset))
    assert benchmark(arnset.first_match, arn) >= 0


@match
def test_globset_build(benchmark: Any, twin: ModuleType, patterns: dict[str, list[str]]) -> None:
    """Building the ReadOnlyAccess action set and its first match: the core's part of compiling a large
    policy (the compiled set sorts its patterns at its first match, the twin when made)."""
    source = patterns["readonly-actions"]
    tag(benchmark, role="globset-build", twin=twin_name(twin), case="readonly",
        patterns=len(source))

    def build() -> Any:
        built = twin.GlobSet(source, fold_case=True)
        built.matches_any("s3:GetObject")
        return built

    built = benchmark(build)
    assert len(built) == len(source)


PREFIX_COUNTS = (1, 100, 10_000, 100_000)


@match
@pytest.mark.parametrize("hit", [True, False], ids=["hit", "miss"])
@pytest.mark.parametrize("count", PREFIX_COUNTS)
def test_arnpatternset_prefix_patterns(benchmark: Any, twin: ModuleType, count: int, hit: bool) -> None:
    """``bucket-N/*`` patterns, 1 to 100,000 in one Resource list, hit on the last or missed: the
    prefix table decides them by one cut per prefix length, not by a scan of the list."""
    arnset = twin.ArnPatternSet([f"arn:aws:s3:::bucket-{n}/*" for n in range(count)])
    arn = f"arn:aws:s3:::bucket-{count - 1 if hit else count}/logs/app.log"
    arnset.matches_any(arn)  # the set is built at its first match: time the matching alone
    tag(benchmark, role="prefix-patterns", twin=twin_name(twin), case=f"{count}-{'hit' if hit else 'miss'}",
        patterns=count)
    assert benchmark(arnset.matches_any, arn) is hit


@match
@pytest.mark.parametrize("text_length", [1_000, 100_000])
@pytest.mark.parametrize("run", [10, 1_000, 10_000])
def test_glob_question_mark_run(benchmark: Any, twin: ModuleType, run: int, text_length: int) -> None:
    """``*a`` + ``?``*m + ``b*c`` against ``a``*n + ``c`` (a miss): the curve in m and n of finding a
    segment with ``?``, which a matcher trying every alignment pays m x n for."""
    glob = twin.Glob("*a" + "?" * run + "b*c")
    text = "a" * text_length + "c"
    tag(benchmark, role="question-run", twin=twin_name(twin), case=f"m{run}-n{text_length}")
    assert benchmark.pedantic(glob.matches, (text,), rounds=3, iterations=1) is False
