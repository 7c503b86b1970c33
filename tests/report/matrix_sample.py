"""A small task matrix: two accounts, four principals, three tasks; one cell blocked by an SCP, one broken."""

from __future__ import annotations

from typing import Any

DENY = {"policy": "scp[1][0]", "name": "p-denyq", "statement": 0, "sid": "DenyQ", "effect": "Deny", "line": 3,
        "column": 5}
SUGGESTION = {"Version": "2012-10-17", "Statement": [{"Sid": "GrantPlugins", "Effect": "Allow",
                                                      "Action": ["q:CreatePlugin", "q:GetPlugin"], "Resource": "*"}]}


def _cell(task: str, status: str, **more: Any) -> dict[str, Any]:
    return {"task": task, "status": status, "missing_actions": [], "blocked": [], "blockers": [], "suggestion": None,
            "diagnostics": [], **more}


def sample(evil_name: str = "carol") -> dict[str, Any]:
    tasks = [{"name": "plugins", "title": "Configure third-party plugins"},
             {"name": "customizations", "title": "Create and manage customizations"},
             {"name": "developer-console", "title": "Use the Amazon Q Developer console"}]
    principals = [
        {"arn": "arn:aws:iam::111122223333:role/QAdmin", "kind": "role", "name": "QAdmin",
         "account": "111122223333", "broken": False, "diagnostics": []},
        {"arn": "arn:aws:iam::111122223333:user/alice", "kind": "user", "name": "alice",
         "account": "111122223333", "broken": False, "diagnostics": []},
        {"arn": "arn:aws:iam::444455556666:user/bob", "kind": "user", "name": "bob",
         "account": "444455556666", "broken": False, "diagnostics": []},
        {"arn": f"arn:aws:iam::444455556666:user/{evil_name}", "kind": "user", "name": evil_name,
         "account": "444455556666", "broken": True, "diagnostics": ["inventory-dangling-group: group `gone`"]},
    ]
    names = [t["name"] for t in tasks]
    cells = [
        [_cell(n, "allowed") for n in names],
        [_cell("plugins", "denied", missing_actions=["q:CreatePlugin", "q:GetPlugin"], suggestion=SUGGESTION,
               blocked=[{"action": "q:DeletePlugin", "resource": "*", "decision": "explicitDeny",
                         "blocked_by": [DENY]}], blockers=[DENY]),
         _cell("customizations", "allowed"), _cell("developer-console", "denied", missing_actions=["sso:ListInstances"],
                                                   suggestion=SUGGESTION)],
        [_cell(n, "denied", missing_actions=["q:CreatePlugin"]) for n in names],
        [_cell(n, "broken", diagnostics=["inventory-dangling-group: group `gone`"]) for n in names],
    ]
    summary = {n: {"allowed": 0, "denied": 0, "broken": 0} for n in names}
    for row in cells:
        for cell in row:
            summary[cell["task"]][cell["status"]] += 1
    return {"format": "qiam-task-matrix/1", "generated": "2026-12-01T10:00:00Z", "account_count": 2, "tasks": tasks,
            "principals": principals, "cells": cells, "summary": summary, "diagnostics": []}
