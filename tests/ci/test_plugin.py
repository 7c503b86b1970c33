"""The pytest plugin, run as users run it: expectation files become items, the must-fail change fails with
the statement and its template line, mistakes are collection errors with line and column, the assertions'
messages survive pytest's assertion rewriting, and the fixtures load once per session."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

EXAMPLES = ROOT / "examples" / "ci"

pytestmark = pytest.mark.slow


def _pytest(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def _copy_examples(tmp_path: Path) -> Path:
    target = tmp_path / "ci"
    shutil.copytree(EXAMPLES, target)
    return target


def test_pytest_runs_the_example_expectations_as_items_and_passes() -> None:
    run = _pytest("examples/ci", "-q", cwd=ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "21 passed" in run.stdout
    listed = _pytest("examples/ci", "--collect-only", "-q", cwd=ROOT)
    ids = [line for line in listed.stdout.splitlines() if "::" in line]
    assert len(ids) == 21
    assert "examples/ci/iam-tests/template.yaml::the pipeline uploads artifacts" in ids
    assert "examples/ci/reports.iam.json::reports are read-only" in ids


def test_k_selects_expectations_by_name() -> None:
    run = _pytest("examples/ci", "-q", "-k", "deploy and never", cwd=ROOT)
    assert run.returncode == 0 and "3 passed" in run.stdout and "18 deselected" in run.stdout, run.stdout


def test_p_no_qiam_turns_the_plugin_off() -> None:
    run = _pytest("examples/ci", "-q", "-p", "no:qiam", cwd=ROOT)
    assert run.returncode == 5 and "no tests ran" in run.stdout, run.stdout


def test_the_must_fail_change_fails_naming_the_statement_and_its_template_line(tmp_path: Path) -> None:
    project = _copy_examples(tmp_path)
    subprocess.run(["git", "apply", "must-fail.patch"], cwd=project, check=True)
    run = _pytest(".", "-q", "--junitxml", str(tmp_path / "junit.xml"), cwd=project)
    assert run.returncode == 1, run.stdout
    out = run.stdout
    assert "1 failed, 20 passed" in out
    assert "iam-tests/template.yaml:26:5: the deploy role never deletes data" in out
    assert "expected never allowed: s3:Delete*, s3:PutBucketPolicy, kms:ScheduleKeyDeletion" in out
    assert "Allow statement 0 (UploadArtifacts) of identity[0] at template.yaml:95:17" in out
    import xmlschema

    xmlschema.XMLSchema(str(ROOT / "tests" / "data" / "junit" / "junit.xsd")).validate(str(tmp_path / "junit.xml"))
    assert "UploadArtifacts" in (tmp_path / "junit.xml").read_text()


def test_a_mistake_in_a_file_is_a_collection_error_with_line_and_column(tmp_path: Path) -> None:
    project = _copy_examples(tmp_path)
    broken = project / "iam-tests" / "broken.yaml"
    broken.write_text("policies:\n  templates: [../template.yaml]\nexpect:\n  - principal: DeployRole\n"
                      "    requets: s3:GetObject on *\n")
    run = _pytest("iam-tests/broken.yaml", "-q", cwd=project)
    assert run.returncode == 2, run.stdout
    assert "iam-tests/broken.yaml:4:5: an expectation has one of `request`" in run.stdout, run.stdout
    assert "Traceback" not in run.stdout


def test_assertion_messages_survive_assertion_rewriting(tmp_path: Path) -> None:
    (tmp_path / "deny.json").write_text('{\n  "Version": "2012-10-17",\n  "Statement": [\n    {"Sid": "NoDeletes", '
                                        '"Effect": "Deny", "Action": "s3:Delete*", "Resource": "*"},\n'
                                        '    {"Effect": "Allow", "Action": "s3:*", "Resource": "*",\n'
                                        '     "Condition": {"StringEquals": {"aws:PrincipalTag/team": "data"}}}\n'
                                        '  ]\n}\n')
    (tmp_path / "test_perms.py").write_text(
        "from qiam import testing\n\n"
        "def test_delete():\n"
        "    testing.assert_allowed(['deny.json'], 's3:DeleteObject on arn:aws:s3:::b/k')\n\n"
        "def test_get():\n"
        "    testing.assert_allowed(['deny.json'], 's3:GetObject on arn:aws:s3:::b/k')\n\n"
        "def test_task():\n"
        "    testing.assert_task_allowed(['deny.json'], 'plugins')\n")
    run = _pytest("-q", cwd=tmp_path)
    out = run.stdout
    assert run.returncode == 1 and "3 failed" in out, out
    assert "expected allowed" in out
    assert "s3:DeleteObject on arn:aws:s3:::b/k: explicitDeny" in out
    assert "Deny statement 0 (NoDeletes) of identity[0] at deny.json:4:5" in out
    assert "s3:GetObject on arn:aws:s3:::b/k: implicitDeny" in out
    assert "missing context keys: aws:PrincipalTag/team" in out
    assert "task plugins (Configure third-party plugins): not allowed" in out
    assert "missing permissions: q:CreatePlugin" in out
    assert "a statement that grants it:" in out and '"Effect": "Allow"' in out


def test_the_fixtures_load_the_inventory_once_per_session(tmp_path: Path) -> None:
    project = _copy_examples(tmp_path)
    (project / "pytest.ini").write_text("[pytest]\nqiam_inventory = template.yaml\n"
                                        "qiam_parameters =\n    AWS::AccountId=111122223333\n"
                                        "    AWS::Region=eu-west-1\nqiam_policies = policies/*.json\n")
    (project / "test_fixtures.py").write_text(
        "from qiam import testing\n\nSEEN = []\n\n"
        "def test_deploy(qiam_principal, qiam_inventory):\n"
        "    SEEN.append(id(qiam_inventory))\n"
        "    testing.assert_allowed(qiam_principal('DeployRole'), "
        "'s3:PutObject on arn:aws:s3:::example-app-prod-data/x')\n"
        "    testing.assert_never_allowed(qiam_principal('DeployRole'), 's3:Delete*')\n\n"
        "def test_app(qiam_principal, qiam_inventory):\n"
        "    SEEN.append(id(qiam_inventory))\n"
        "    assert len(set(SEEN)) == 1\n"
        "    testing.assert_resources(qiam_principal('AppRole'), 'kms:Decrypt', "
        "[a for a in qiam_inventory.resources if ':kms:' in a])\n\n"
        "def test_policies(qiam_policies):\n"
        "    testing.assert_denied(qiam_policies, 's3:GetObject on arn:aws:s3:::example-reports/k', "
        "'implicitDeny')\n")
    run = _pytest("test_fixtures.py", "-q", cwd=project)
    assert run.returncode == 0 and "3 passed" in run.stdout, run.stdout + run.stderr
