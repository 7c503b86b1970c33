"""Output in the formats of the tools users already have: the AWS policy simulator's result shape.

``simulation(results)`` gives what ``aws iam simulate-custom-policy`` and
``simulate-principal-policy`` print: ``EvaluationResults`` with
``EvalActionName``, ``EvalResourceName``, ``EvalDecision``,
``MatchedStatements`` (``SourcePolicyId``, ``SourcePolicyType``,
``StartPosition`` / ``EndPosition``), ``MissingContextValues``,
``OrganizationsDecisionDetail``, ``PermissionsBoundaryDecisionDetail`` and
``EvalDecisionDetails``, so that scripts written for the simulator read
qiam's answers. (The IAM API reference, data types EvaluationResult,
Statement, Position, OrganizationsDecisionDetail, PermissionsBoundaryDecisionDetail.)
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from qiam.decision import Decision, Result, StatementRef
from qiam.policyset import PolicySet
from qiam.request import Request
from qiam.types import JSONObject

__all__ = ["evaluation_result", "simulation"]

_DECODER = json.JSONDecoder()


def _policy_id(ref: StatementRef) -> tuple[str, str]:
    """The simulator's SourcePolicyId and SourcePolicyType of a statement's policy."""
    label = ref.policy
    kind = ref.policy_type
    index = label[label.rfind("[") + 1:-1] if label.endswith("]") else "0"
    number = int(index) + 1 if index.isdigit() else 1
    if kind == "identity":
        return f"PolicyInputList.{number}", "none"
    if kind == "resource":
        return "ResourcePolicy", "resource"
    if kind == "boundary":
        return "PermissionsBoundaryPolicyInputList.1", "none"
    if kind == "session":
        return f"SessionPolicyInputList.{number}", "none"
    return ref.name or label, "none"  # SCP and RCP levels: their names (the simulator uses their ids)


def _positions(ref: StatementRef) -> tuple[dict[str, int], dict[str, int]] | None:
    """The statement's start and end (Line, Column) in its policy's text."""
    location = ref.location
    source = location.source
    if source is None or source.text is None:
        return None
    start = source.offset(location.path)
    if start is None:
        return None
    try:
        end = _DECODER.raw_decode(source.text, start)[1]
    except ValueError:
        end = start + 1
    line, column = source.line_column(start)
    end_line, end_column = source.line_column(end - 1)
    return {"Line": line, "Column": column}, {"Line": end_line, "Column": end_column + 1}


def _statement(ref: StatementRef) -> dict[str, Any]:
    policy_id, policy_type = _policy_id(ref)
    out: dict[str, Any] = {"SourcePolicyId": policy_id, "SourcePolicyType": policy_type}
    positions = _positions(ref)
    if positions is not None:
        out["StartPosition"], out["EndPosition"] = positions
    return out


def evaluation_result(request: Request, result: Result, pset: PolicySet | None = None) -> JSONObject:
    """One EvaluationResult of the simulator for a request and its Result (under ``pset``, whose SCPs and
    boundary say whether the organization and boundary details belong in it)."""
    decision = result.decision.value
    out: dict[str, Any] = {
        "EvalActionName": request.action,
        "EvalResourceName": request.resource,
        "EvalDecision": decision,
        "MatchedStatements": [_statement(ref) for ref in result.matched],
        "MissingContextValues": list(result.missing_context_keys),
    }
    denied_by = {ref.policy_type for ref in result.matched if result.decision is Decision.EXPLICIT_DENY}
    if pset is not None and pset.scps is not None:
        blocked = "scp" in denied_by or any(r.startswith("scp[") for r in result.reasons)
        out["OrganizationsDecisionDetail"] = {"AllowedByOrganizations": not blocked}
    if pset is not None and pset.boundary is not None:
        blocked = "boundary" in denied_by or "boundary" in result.reasons
        out["PermissionsBoundaryDecisionDetail"] = {"AllowedByPermissionsBoundary": not blocked}
    if request.resource != "*":
        details: dict[str, str] = {}
        if not result.same_account:
            explicit = result.decision is Decision.EXPLICIT_DENY
            details = {
                "IAM Policy": decision if explicit or "cross_account_principal_side" in result.reasons else "allowed",
                "Resource Policy": decision if explicit or "cross_account_resource_side" in result.reasons
                else "allowed"}
        out["EvalDecisionDetails"] = details
    return out


def simulation(answers: Iterable[tuple[Request, Result]], pset: PolicySet | None = None) -> JSONObject:
    """The simulator's whole response for (request, result) pairs, in order."""
    return {"EvaluationResults": [evaluation_result(r, res, pset) for r, res in answers], "IsTruncated": False}
