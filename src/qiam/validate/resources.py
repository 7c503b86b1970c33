"""Resource and NotResource: ARNs, their partitions, services, regions and accounts (semantics.md §1.3, §2.2)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

from qiam import findings, shapes
from qiam.errors import Path
from qiam.validate.shortcuts import _PLAIN_ARNS
from qiam.validate.values import VARIABLE, WILDCARD, check_variable_syntax, variable_in_old_version

if TYPE_CHECKING:
    from qiam.validate.checker import _Checker

PARTITIONS = shapes.PARTITIONS
IAM_RESOURCE_TYPES = shapes.IAM_RESOURCE_TYPES
EXAMPLE_ACCOUNTS = shapes.EXAMPLE_ACCOUNTS
PLACEHOLDER_REGIONS = shapes.PLACEHOLDER_REGIONS

_REGION = shapes.REGION
_ACCOUNT = re.compile(r"[0-9]{12}|aws", re.ASCII)


def check_resources(checker: _Checker, st: Mapping[str, object], path: Path) -> None:
    """A statement's Resource or NotResource: present where the profile wants it, each entry an ARN or `*`."""
    found = checker.pair(st, path, "Resource", findings.resource_and_notresource)
    profile = checker.profile
    if profile.resource == "forbidden":
        if found is not None:
            checker.add(findings.resource_not_allowed(profile.name, found[0]), path + (found[0],), key=True)
        return
    if found is None:
        checker.add(findings.missing_resource(), path)
        return
    element, value = found
    epath = path + (element,)
    # Null members are ignored (semantics.md §1.1), so they are dropped before the emptiness
    # test: a list of only nulls is empty, and an empty Resource would match nothing (so a
    # NotResource would match everything).
    if isinstance(value, list) and not [v for v in value if v is not None]:
        checker.add(findings.empty_resource(element, nulls=bool(value)), epath)
    if checker.plain(value, _PLAIN_ARNS):
        return  # every entry is `*` or an ARN none of the checks below would remark on
    for i, resource in checker.strings(value, epath, element, allow_null=True):
        check_arn(checker, resource, epath if i is None else epath + (i,))


def check_arn(checker: _Checker, resource: str, path: Path) -> None:
    """One resource: `*`, or an ARN of six fields whose service, region, account and resource read."""
    if resource == "*":
        return
    if ":" not in resource:
        checker.add(findings.invalid_arn(resource, "no-colon"), path)
        return
    fields = resource.split(":", 5)
    if fields[0] != "arn" and not WILDCARD.search(fields[0]):
        checker.add(findings.invalid_arn(resource, "no-arn-prefix"), path)
        return
    partition = fields[1]
    if partition not in PARTITIONS and not WILDCARD.search(partition):
        checker.add(findings.invalid_partition(partition, resource), path)
    if len(fields) == 2 or not fields[2]:
        checker.add(findings.arn_missing_service(resource), path)
        return
    if len(fields) < 6:
        short = findings.invalid_arn(resource, "too-few-fields") if "::" in resource else findings.short_arn(resource)
        checker.add(short, path)
        return
    _, _, service, region, account, rest = fields
    reads_variables = checker.reads_variables
    if reads_variables and "${" in ":".join(fields[:5]):
        checker.add(findings.variable_not_allowed("Resource"), path)
    check_placeholders(checker, resource, region, account, path)
    if service != service.lower():
        checker.add(findings.arn_service_case(service), path)
    if WILDCARD.search(service):
        checker.add(findings.wildcard_in_arn_service(resource), path)
    if service == "iam":
        if region:
            checker.add(findings.arn_region_not_allowed("IAM", resource), path)
        if rest != "*" and not rest.startswith(IAM_RESOURCE_TYPES):
            kind = re.split(r"[/:]", rest, maxsplit=1)[0]
            if WILDCARD.search(kind):
                checker.add(findings.wildcard_in_resource_type(resource), path)
            else:
                checker.add(findings.invalid_iam_resource(resource), path)
    elif service == "s3" and region and not account and not WILDCARD.search(region):
        checker.add(findings.arn_region_not_allowed("S3", resource), path)
    if reads_variables and "${" in rest:
        check_variable_syntax(checker, rest, path)
    elif not reads_variables and VARIABLE.search(rest):
        variable_in_old_version(checker, path)


def check_placeholders(checker: _Checker, resource: str, region: str, account: str, path: Path) -> None:
    """Words a document example put where a real region or account belongs."""
    written = region.lower() in PLACEHOLDER_REGIONS or (
        region and not WILDCARD.search(region) and "${" not in region and not _REGION.fullmatch(region))
    if written:
        checker.add(findings.placeholder_in_arn("region", region, resource), path)
    example = account in EXAMPLE_ACCOUNTS
    if example or (account and not WILDCARD.search(account) and "${" not in account
                   and not _ACCOUNT.fullmatch(account)):
        checker.add(findings.placeholder_in_arn("account", account, resource, example=example), path)
