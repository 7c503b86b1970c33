"""``qiam collect``: write an inventory (docs/inventory.md) of what the caller's AWS credentials reach.

With boto3 (``pip install 'qiam[collect]'``) it reads, for the caller's account:
``iam:GetAccountAuthorizationDetails`` (every page, merged into
``iam-ACCOUNT.json``); the organisation's tree and its SCPs and RCPs when the
account may read them (``organization.json``); and the resource policies of
S3 buckets, KMS keys, SQS queues, SNS topics, Lambda functions and Secrets
Manager secrets in each region asked (``resources.json``). A call that is
refused (not in an organisation, not its management account, a resource
whose policy the caller may not read) becomes a warning and the rest goes on.
Nothing is written but the three files, each replaced whole.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import tempfile
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qiam.errors import QiamError
from qiam.inventory import ORGANIZATION_FORMAT, RCP, RESOURCES_FORMAT, SCP

__all__ = ["CollectError", "CollectSummary", "collect"]

_FILTERS = ["User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy"]
_DETAIL_LISTS = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")


class CollectError(QiamError, RuntimeError):
    """Collecting cannot start: no boto3, or no credentials."""

    default_code = "collect-unavailable"


@dataclass(frozen=True, slots=True)
class CollectSummary:
    """What ``collect`` wrote, what it found, and the calls that were refused."""

    account: str
    files: tuple[str, ...]
    counts: dict[str, int]
    warnings: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, object]:
        """The JSON form ``qiam collect --json`` prints."""
        return {"account": self.account, "files": list(self.files), "counts": dict(self.counts),
                "warnings": list(self.warnings)}


def collect(out: str | os.PathLike[str], *, session: object = None, regions: Sequence[str] | None = None
            ) -> CollectSummary:
    """Collect the inventory of the account ``session`` (a ``boto3.session.Session``; default: one from the
    environment) reaches into the folder ``out``."""
    try:
        import boto3  # type: ignore[import-untyped]
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError  # type: ignore[import-untyped]
    except ImportError:
        raise CollectError("collecting needs boto3, which is not installed",
                           hint="pip install 'qiam[collect]'") from None
    aws: Any = session if session is not None else boto3.session.Session()
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    warnings: list[str] = []
    try:
        account = str(aws.client("sts").get_caller_identity()["Account"])
    except NoCredentialsError:
        raise CollectError("no AWS credentials were found", code="collect-no-credentials",
                           hint="configure them (aws configure, AWS_PROFILE, or --profile)") from None
    except (ClientError, BotoCoreError) as exc:
        raise CollectError(f"the credentials do not work: {exc}", code="collect-no-credentials",
                           hint="check the credentials and the network") from None

    def refused(what: str) -> Callable[[Exception], None]:
        def note(exc: Exception) -> None:
            code = getattr(exc, "response", {}).get("Error", {}).get("Code", type(exc).__name__)
            warnings.append(f"{what}: {code}")
        return note

    counts: dict[str, int] = {}
    files = []
    details = _authorization_details(aws.client("iam"))
    for key in _DETAIL_LISTS:
        counts[key] = len(details[key])
    files.append(_write(folder / f"iam-{account}.json", details))
    organization = _organization(aws.client("organizations"), refused, (ClientError, BotoCoreError))
    if organization is not None:
        counts["accounts"] = sum(1 for _ in _accounts(organization["root"]))
        files.append(_write(folder / "organization.json", organization))
    asked = list(regions) if regions else [aws.region_name or "us-east-1"]
    resources = _resources(aws, account, asked, refused, (ClientError, BotoCoreError))
    counts["resources"] = len(resources)
    files.append(_write(folder / "resources.json", {"format": RESOURCES_FORMAT, "resources": resources}))
    return CollectSummary(account, tuple(files), counts, tuple(warnings))


def _plain(value: object) -> object:
    """boto3's answer as JSON: dates as ISO 8601, documents as objects."""
    if isinstance(value, dict):
        return {k: _document(v) if k in ("PolicyDocument", "Document", "AssumeRolePolicyDocument") else _plain(v)
                for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, _dt.datetime):
        return value.isoformat()
    return value


def _document(value: object) -> object:
    if isinstance(value, str):  # (the raw API's URL-encoded JSON; boto3 usually decodes it already)
        try:
            return json.loads(urllib.parse.unquote(value))
        except ValueError:
            return value
    return _plain(value)


def _authorization_details(iam: Any) -> dict[str, Any]:
    merged: dict[str, list[Any]] = {key: [] for key in _DETAIL_LISTS}
    for page in iam.get_paginator("get_account_authorization_details").paginate(Filter=_FILTERS):
        for key in _DETAIL_LISTS:
            merged[key].extend(_plain(page.get(key, [])))  # type: ignore[arg-type]
    return merged


def _organization(org: Any, refused: Callable[[str], Callable[[Exception], None]],
                  errors: tuple[type[Exception], ...]) -> dict[str, Any] | None:
    try:
        described = org.describe_organization()["Organization"]
        root = org.list_roots()["Roots"][0]
    except errors as exc:
        refused("organizations (not in an organisation, or not allowed to read it)")(exc)
        return None
    types = [t["Type"] for t in root.get("PolicyTypes", []) if t.get("Status") == "ENABLED"]
    policies: dict[str, Any] = {}

    def attached(target: str) -> list[str]:
        found: list[str] = []
        for kind in (SCP, RCP):
            if kind not in types:
                continue
            try:
                for page in org.get_paginator("list_policies_for_target").paginate(TargetId=target, Filter=kind):
                    found.extend(p["Id"] for p in page["Policies"])
            except errors as exc:
                refused(f"organizations policies of {target}")(exc)
        for policy_id in found:
            if policy_id not in policies:
                try:
                    policy = org.describe_policy(PolicyId=policy_id)["Policy"]
                    summary = policy["PolicySummary"]
                    policies[policy_id] = {"type": summary["Type"], "name": summary["Name"],
                                           "document": json.loads(policy["Content"])}
                except errors as exc:
                    refused(f"organizations policy {policy_id}")(exc)
        return found

    def node(parent: str, name: str, **fields: Any) -> dict[str, Any]:
        children: list[dict[str, Any]] = []
        for page in org.get_paginator("list_organizational_units_for_parent").paginate(ParentId=parent):
            for ou in page["OrganizationalUnits"]:
                children.append(node(ou["Id"], ou["Name"], id=ou["Id"]))
        for page in org.get_paginator("list_accounts_for_parent").paginate(ParentId=parent):
            for account in page["Accounts"]:
                children.append({"account": account["Id"], "name": account["Name"],
                                 "policies": attached(account["Id"])})
        return {**fields, "name": name, "policies": attached(parent), "children": children}

    tree = node(root["Id"], root.get("Name", "Root"), id=root["Id"])
    return {"format": ORGANIZATION_FORMAT, "id": described["Id"],
            "management_account": described.get("MasterAccountId"), "policy_types": types,
            "policies": policies, "root": tree}


def _accounts(node: dict[str, Any]) -> Iterator[str]:
    if "account" in node:
        yield node["account"]
    for child in node.get("children", []):
        yield from _accounts(child)


def _policy_text(text: object) -> object:
    return json.loads(text) if isinstance(text, str) and text else None


def _resources(aws: Any, account: str, regions: list[str], refused: Callable[[str], Callable[[Exception], None]],
               errors: tuple[type[Exception], ...]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []

    def add(arn: str, kind: str, region: str | None, get_policy: Callable[[], object],
            get_tags: Callable[[], dict[str, str]] | None = None) -> None:
        try:
            policy = get_policy()
        except errors as exc:
            if _code(exc) in _NO_POLICY:
                policy = None
            else:
                refused(f"the policy of {arn}")(exc)
                return
        entry: dict[str, Any] = {"arn": arn, "type": kind, "account": account, "region": region, "policy": policy}
        if get_tags is not None:
            try:
                entry["tags"] = get_tags()
            except errors:
                pass  # (tags are a convenience: a bucket without any answers with an error)
        out.append(entry)

    s3 = aws.client("s3")
    try:
        buckets = s3.list_buckets().get("Buckets", [])
    except errors as exc:
        refused("s3 buckets")(exc)
        buckets = []
    for bucket in buckets:
        name = bucket["Name"]
        try:
            region = s3.get_bucket_location(Bucket=name).get("LocationConstraint") or "us-east-1"
        except errors:
            region = None
        if region is not None and region not in regions:
            continue
        add(f"arn:aws:s3:::{name}", "s3:bucket", region,
            lambda n=name: _policy_text(s3.get_bucket_policy(Bucket=n)["Policy"]),  # type: ignore[misc]
            lambda n=name: {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=n)["TagSet"]})  # type: ignore[misc]
    for region in regions:
        _regional(aws, region, add, refused, errors)
    return out


def _regional(aws: Any, region: str, add: Callable[..., None], refused: Callable[[str], Callable[[Exception], None]],
              errors: tuple[type[Exception], ...]) -> None:
    def each(what: str, listing: Callable[[], Iterator[Any]]) -> Iterator[Any]:
        try:
            yield from listing()
        except errors as exc:
            refused(f"{what} in {region}")(exc)

    kms = aws.client("kms", region_name=region)
    for key in each("kms keys", lambda: (k for p in kms.get_paginator("list_keys").paginate() for k in p["Keys"])):
        add(key["KeyArn"], "kms:key", region,
            lambda k=key["KeyId"]: _policy_text(kms.get_key_policy(KeyId=k, PolicyName="default")["Policy"]))
    sqs = aws.client("sqs", region_name=region)
    for url in each("sqs queues", lambda: iter(sqs.list_queues().get("QueueUrls", []))):
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy", "QueueArn"])["Attributes"]
        add(attributes["QueueArn"], "sqs:queue", region, lambda a=attributes: _policy_text(a.get("Policy")))
    sns = aws.client("sns", region_name=region)
    for topic in each("sns topics", lambda: (t for p in sns.get_paginator("list_topics").paginate()
                                             for t in p["Topics"])):
        arn = topic["TopicArn"]
        add(arn, "sns:topic", region,
            lambda a=arn: _policy_text(sns.get_topic_attributes(TopicArn=a)["Attributes"].get("Policy")))
    functions = aws.client("lambda", region_name=region)
    for function in each("lambda functions", lambda: (f for p in functions.get_paginator("list_functions").paginate()
                                                      for f in p["Functions"])):
        arn = function["FunctionArn"]
        add(arn, "lambda:function", region, lambda a=arn: _policy_text(functions.get_policy(FunctionName=a)["Policy"]))
    secrets = aws.client("secretsmanager", region_name=region)
    for secret in each("secrets", lambda: (s for p in secrets.get_paginator("list_secrets").paginate()
                                           for s in p["SecretList"])):
        arn = secret["ARN"]
        add(arn, "secretsmanager:secret", region,
            lambda a=arn: _policy_text(secrets.get_resource_policy(SecretId=a).get("ResourcePolicy")),
            lambda s=secret: {t["Key"]: t["Value"] for t in s.get("Tags", [])})


# The error codes that say a resource has no policy (not that the caller may not read it).
_NO_POLICY = frozenset({"NoSuchBucketPolicy", "ResourceNotFoundException", "NotFoundException"})


def _code(exc: Exception) -> str:
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))


def _write(path: Path, data: object) -> str:
    """Write JSON to ``path`` whole: a temporary file beside it, then renamed over it."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(data, out, indent=1)
            out.write("\n")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return str(path)
