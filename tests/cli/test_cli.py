"""The command line contract: exit codes, output formats, error rendering."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from qiam.cli import main
from tests.conftest import shared_path

ALLOW_GET = {"Version": "2012-10-17", "Statement": [
    {"Sid": "Read", "Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::b/*"},
    {"Sid": "NoSecrets", "Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::b/secret/*"},
]}


@pytest.fixture
def policy_file(tmp_path: Path) -> Path:
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(ALLOW_GET, indent=2))
    return path


def run(capsys: Any, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_check_allowed_exits_0(capsys: Any, policy_file: Path) -> None:
    code, out, _ = run(capsys, "check", "-p", str(policy_file), "s3:GetObject on arn:aws:s3:::b/k")
    assert code == 0
    assert out.startswith("allowed")
    assert "statement 0 (Read)" in out
    assert f"{policy_file}:4:" in out  # the statement's line in the indented file


def test_check_explicit_deny_exits_1(capsys: Any, policy_file: Path) -> None:
    code, out, _ = run(capsys, "check", "-p", str(policy_file), "s3:GetObject on arn:aws:s3:::b/secret/k")
    assert code == 1
    assert out.startswith("explicitDeny")
    assert "(NoSecrets)" in out


def test_check_implicit_deny_exits_1(capsys: Any, policy_file: Path) -> None:
    code, out, _ = run(capsys, "check", "-p", str(policy_file), "s3:PutObject on arn:aws:s3:::b/k")
    assert code == 1
    assert out.startswith("implicitDeny")


def test_check_json_output(capsys: Any, policy_file: Path) -> None:
    code, out, _ = run(capsys, "check", "--json", "-p", str(policy_file),
                       "s3:GetObject on arn:aws:s3:::b/k with aws:SourceIp=10.0.0.1 and aws:TagKeys=[a,b]")
    data = json.loads(out)
    assert code == 0
    assert data["decision"] == "allowed"
    assert data["matched"][0]["sid"] == "Read"
    assert data["matched"][0]["line"] == 4


def test_check_inline_policy(capsys: Any) -> None:
    code, out, _ = run(capsys, "check", "-p", json.dumps(ALLOW_GET), "s3:GetObject on arn:aws:s3:::b/k")
    assert code == 0


def test_check_explain_names_the_failing_element(capsys: Any, policy_file: Path) -> None:
    code, out, _ = run(capsys, "check", "--explain", "-p", str(policy_file), "s3:PutObject on arn:aws:s3:::b/k")
    assert code == 1
    assert "statement 0 (Read) Allow does not apply: Action" in out
    assert "statement 1 (NoSecrets) Deny does not apply: Resource" in out


def test_check_bad_expression_shows_a_caret(capsys: Any, policy_file: Path) -> None:
    code, _, err = run(capsys, "check", "-p", str(policy_file), "s3:GetObject on arn:aws:s3:::b/k wiht x=1")
    assert code == 2
    lines = err.splitlines()
    assert "invalid-expression" in lines[0]
    caret_line = lines[-1]
    expr_line = lines[-2]
    assert expr_line.strip().startswith("s3:GetObject")
    assert caret_line.index("^") == expr_line.index("wiht")


def test_check_missing_policy_file_exits_2(capsys: Any, tmp_path: Path) -> None:
    code, _, err = run(capsys, "check", "-p", str(tmp_path / "nope.json"), "s3:GetObject")
    assert code == 2
    assert "cannot read" in err


def test_check_invalid_policy_exits_2_with_position(capsys: Any, tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"Version": "2012-10-17",\n "Statement": {"Effect": "allow", "Action": "s3:*", "Resource": "*"}}')
    code, _, err = run(capsys, "check", "-p", str(path), "s3:GetObject")
    assert code == 2
    assert f"{path}:2:" in err
    assert "invalid-effect" in err
    assert "hint:" in err


def test_validate_valid_and_invalid(capsys: Any, policy_file: Path) -> None:
    code, out, _ = run(capsys, "validate", str(policy_file))
    assert code == 0
    assert f"{policy_file}: valid (0 errors, 0 warnings)" in out
    seed_txt = shared_path("corpus", "seed", "q-subscription-console.txt")
    code, out, _ = run(capsys, "validate", str(seed_txt))
    assert code == 1
    assert ":1:1923: error:" in out
    assert "[json-syntax]" in out
    assert f"{seed_txt}: INVALID (1 error, 0 warnings)" in out


def test_validate_json_output(capsys: Any, tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*",'
                    ' "Resource": "*", "Condition": {"StringEqual": {"aws:username": "a"}}}]}')
    code, out, _ = run(capsys, "validate", "--json", str(path))
    assert code == 1
    [report] = json.loads(out)
    [diag] = [d for d in report["diagnostics"] if d["severity"] == "error"]
    assert diag["code"] == "unknown-operator"
    assert diag["path"] == "/Statement/0/Condition/StringEqual"
    assert diag["hint"] == "did you mean `StringEquals`?"
    assert (diag["line"], diag["column"]) == (1, 110)


def test_validate_storage_profile_makes_quota_an_error(capsys: Any, tmp_path: Path) -> None:
    resources = [f"arn:aws:s3:::bucket-{i:05d}/*" for i in range(300)]
    path = tmp_path / "big.json"
    path.write_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": resources}]}))
    assert run(capsys, "validate", str(path))[0] == 0
    code, out, _ = run(capsys, "validate", "--profile", "iam-identity-managed", str(path))
    assert code == 1
    assert "policy-too-large" in out


def test_validate_unreadable_file_exits_2(capsys: Any, tmp_path: Path) -> None:
    assert run(capsys, "validate", str(tmp_path / "missing.json"))[0] == 2


def test_batch_streams_results_in_order(capsys: Any, tmp_path: Path) -> None:
    library = tmp_path / "lib.json"
    library.write_text(json.dumps({"read": ALLOW_GET}, indent=1))
    lines = [
        {"id": "a", "policies": {"identity": [{"$ref": "read"}]},
         "request": {"action": "s3:GetObject", "resource": "arn:aws:s3:::b/k"}},
        {"id": "b", "policies": {"identity": [{"$ref": "read"}]},
         "request": {"action": "s3:GetObject", "resource": "arn:aws:s3:::b/secret/k"}},
        {"id": "c", "policies": {"identity": [{"$ref": "missing"}]},
         "request": {"action": "s3:GetObject", "resource": "*"}},
    ]
    requests = tmp_path / "in.jsonl"
    requests.write_text("\n".join(json.dumps(x) for x in lines) + "\nnot json\n")
    code, out, _ = run(capsys, "batch", "--library", str(library), str(requests))
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 2  # lines c and 4 could not be evaluated
    assert [r.get("id") for r in rows] == ["a", "b", "c", None]
    assert rows[0]["decision"] == "allowed"
    assert rows[0]["matched"][0]["line"] == 5  # positions point into the library file
    assert rows[1]["decision"] == "explicitDeny"
    assert rows[2]["error"]["code"] == "unknown-policy-ref"
    assert rows[3]["error"]["code"] == "invalid-line"


def test_batch_fail_on_deny(capsys: Any, tmp_path: Path) -> None:
    requests = tmp_path / "in.jsonl"
    requests.write_text(json.dumps({"id": "x", "policies": {"identity": [ALLOW_GET]},
                                    "request": {"action": "s3:PutObject", "resource": "*"}}) + "\n")
    assert run(capsys, "batch", str(requests))[0] == 0
    assert run(capsys, "batch", "--fail-on-deny", str(requests))[0] == 1


def test_batch_reports_policy_errors_per_line(capsys: Any, tmp_path: Path) -> None:
    requests = tmp_path / "in.jsonl"
    text_policy = ('{"Version": "2012-10-17",\n"Statement": [{"Effect": "Allow", "Effect": "Deny", '
                   '"Action": "*", "Resource": "*"}]}')
    requests.write_text(json.dumps({"id": "dup", "policies": {"identity": [text_policy]},
                                    "request": {"action": "s3:GetObject", "resource": "*"}}) + "\n")
    code, out, _ = run(capsys, "batch", str(requests))
    row = json.loads(out)
    assert code == 2
    assert row["error"]["code"] == "duplicate-key"
    assert row["error"]["policy"] == "identity[0]"
    assert (row["error"]["line"], row["error"]["column"]) == (2, 35)


def test_no_command_is_a_usage_error(capsys: Any) -> None:
    assert run(capsys, )[0] == 2
    assert run(capsys, "frobnicate")[0] == 2


def test_module_entry_point_runs_in_a_subprocess() -> None:
    done = subprocess.run([sys.executable, "-m", "qiam", "--version"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    assert done.stdout.startswith("qiam ")


@pytest.mark.parametrize("workload", ["identity-10k", "layered-10k"])
def test_batch_jobs_keep_order_and_every_answer(tmp_path: Path, workload: str) -> None:
    """The bench workloads through `qiam batch --jobs 2` score 10,000/10,000, in input order."""
    source = shared_path("bench", f"{workload}.jsonl")
    out = tmp_path / "out.jsonl"
    done = subprocess.run([sys.executable, "-m", "qiam", "batch", "--jobs", "2", "--library",
                           str(shared_path("bench", "library.json")), "-o", str(out), str(source)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in source.read_text().splitlines() if line.strip()]
    results = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in results] == [line["id"] for line in lines]
    assert [r["decision"] for r in results] == [line["expect"]["decision"] for line in lines]


def test_batch_jobs_one_and_many_write_the_same(capsys: Any, tmp_path: Path) -> None:
    source = shared_path("spec", "cases.jsonl")
    big = tmp_path / "big.jsonl"
    big.write_text(source.read_text() * 25)  # several chunks of work
    code_one, out_one, _ = run(capsys, "batch", "--jobs", "1", str(big))
    code_two, out_two, _ = run(capsys, "batch", "--jobs", "2", str(big))
    assert code_one == code_two == 2  # the invalid cases
    assert out_one == out_two
    assert len(out_one.splitlines()) == 194 * 25


def test_version_names_the_default_engine_without_loading_it() -> None:
    import qiam._choice
    import qiam._impl

    assert qiam._choice.default_name() == qiam._impl.default().name
    probe = ("import sys\nfrom qiam.cli import main\nmain(['--version'])\n"
             "print(sorted(m for m in ('qiam._decide', 'qiam._decide_py', 'qiam.compile', 'pyparsing')"
             " if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    line, loaded = done.stdout.splitlines()
    assert line.startswith("qiam ") and "core: " in line
    assert loaded == "[]"  # the version line loads no engine, no pipeline, no parser


@pytest.mark.parametrize(("setting", "core"), [("python", "core: python"), ("bogus", "core: none (")])
def test_version_follows_the_engine_setting(setting: str, core: str) -> None:
    done = subprocess.run([sys.executable, "-m", "qiam", "--version"], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "QIAM_IMPLEMENTATION": setting})
    assert done.returncode == 0 and core in done.stdout
