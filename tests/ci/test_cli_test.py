"""``qiam test``: exit codes, text, the documented JSON shape, and JUnit XML that the JUnit schema accepts."""

from __future__ import annotations

import json
import shutil
import subprocess
from importlib.resources import files
from pathlib import Path

import jsonschema
import pytest
import xmlschema

from qiam.cli import main
from tests.conftest import ROOT

EXAMPLES = ROOT / "examples" / "ci"
JUNIT = xmlschema.XMLSchema(str(ROOT / "tests" / "data" / "junit" / "junit.xsd"))
REPORT = json.loads((files("qiam") / "data" / "test-report.schema.json").read_text())


def _files() -> list[str]:
    return [str(p) for p in sorted(EXAMPLES.glob("iam-tests/*.yaml"))] + [str(EXAMPLES / "reports.iam.json")]


def _failing(tmp_path: Path) -> list[str]:
    project = tmp_path / "ci"
    shutil.copytree(EXAMPLES, project)
    subprocess.run(["git", "apply", "must-fail.patch"], cwd=project, check=True)
    return [str(project / "iam-tests" / "template.yaml")]


def test_every_expectation_holds_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["test", *_files()]) == 0
    out = capsys.readouterr().out
    assert "21 passed, 0 failed" in out and out.count("PASS ") == 21


def test_one_fails_exit_1_with_the_explanation(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["test", *_failing(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "12 passed, 1 failed" in out
    assert "FAIL " in out and "Allow statement 0 (UploadArtifacts) of identity[0] at" in out
    assert "template.yaml:95:17" in out


def test_a_file_that_cannot_be_read_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "x.iam.yaml"
    bad.write_text("policies: {files: [nothing.json]}\nexpect: [{request: 's3:GetObject on *'}]\n")
    assert main(["test", str(bad), *_files()]) == 2
    captured = capsys.readouterr()
    assert f"{bad}:1:20: `policies.files`: no file `nothing.json` [unreadable-file]" in captured.err
    assert main(["test", str(tmp_path / "missing.iam.yaml")]) == 2


def test_json_output_holds_to_the_documented_shape(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "x.iam.yaml"
    bad.write_text("policies: {files: [nothing.json]}\nexpect: [{request: 's3:GetObject on *'}]\n")
    for argv, code in (([*_files()], 0), (_failing(tmp_path), 1), ([str(bad)], 2)):
        assert main(["test", "--format", "json", *argv]) == code
        report = json.loads(capsys.readouterr().out)
        jsonschema.validate(report, REPORT)
        assert report["summary"]["failed"] == (1 if code == 1 else 0)
    docs = (ROOT / "docs" / "ci.md").read_text()
    assert "qiam-test-report/1" in docs and "src/qiam/data/test-report.schema.json" in docs


def test_junit_output_validates_against_the_junit_schema(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                                         ) -> None:
    bad = tmp_path / "x.iam.yaml"
    bad.write_text("policies: {files: [nothing.json]}\nexpect: [{request: 's3:GetObject on *'}]\n")
    for argv, code in (([*_files()], 0), ([*_failing(tmp_path), str(bad)], 2)):
        assert main(["test", "--format", "junit", *argv]) == code
        out = capsys.readouterr().out
        JUNIT.validate(out)
        root = JUNIT.to_dict(out)
        assert root is not None
    assert '<failure message="expected never allowed: s3:Delete*' in out
    assert 'type="unreadable-file"' in out
    # (the schema is not a rubber stamp)
    with pytest.raises(xmlschema.XMLSchemaValidationError):
        JUNIT.validate('<testsuites><testsuite name="x"><testcase/></testsuite></testsuites>')


def test_k_selects(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["test", "-k", "never", *_files()]) == 0
    assert "4 passed, 0 failed" in capsys.readouterr().out
