"""The shapes of policy text, defined once: service prefixes, partitions, regions, accounts, IAM resource
types, and the "plain" Action and Resource entries that no check remarks on.

The validator reports what departs from these shapes; the compiler's
statement loop (``qiam._front_py``) and document reader (``qiam._front``,
which builds its byte tables from the constants here at import) take the
plain entries without asking the validator. The tests hold the three equal.
"""

from __future__ import annotations

import re

__all__ = ["EXAMPLE_ACCOUNTS", "IAM_RESOURCE_TYPES", "PARTITIONS", "PLACEHOLDER_REGIONS", "PLAIN_ACTION",
           "PLAIN_ACTIONS", "PLAIN_ARN", "PLAIN_ARNS", "PLAIN_PARTITIONS", "REGION", "VENDOR", "VENDOR_CHARS"]

# A service prefix (the "vendor" of IAM's messages): letters, digits, `.` and `-`.
VENDOR_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-"
VENDOR = re.compile(f"[{re.escape(VENDOR_CHARS)}]+")

PARTITIONS = frozenset({"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f",
                        "aws-eusc"})
# The partitions of a plain ARN (the others are worth a look), and `*`.
PLAIN_PARTITIONS = ("aws", "aws-cn", "aws-us-gov", "*")

# us-east-1, ap-southeast-2, us-gov-west-1.
REGION_SHAPE = r"[a-z]{2}(?:-[a-z]+)+-[0-9]+"
REGION = re.compile(REGION_SHAPE, re.ASCII)

# The resource types an IAM ARN's resource part starts with.
IAM_RESOURCE_TYPES = (
    "user/", "role/", "group/", "policy/", "instance-profile/", "mfa/", "server-certificate/",
    "saml-provider/", "oidc-provider/", "federated-user/", "sms-mfa/", "report/", "access-report/",
    "root", "u2f/", "signing-certificate/", "ssh-public-key/", "service-specific-credential/",
    "delegation-request/",
)

# What documentation examples write where an account or a region belongs.
EXAMPLE_ACCOUNT = "123456789012"
EXAMPLE_ACCOUNTS = frozenset({EXAMPLE_ACCOUNT, "account-id", "account", "accountid", "account_id",
                              "your-account-id", "aws-account-id"})
PLACEHOLDER_REGIONS = frozenset({"region", "your-region", "aws-region", "region-name"})

# Plain entries: `*` or vendor:name; `*` or an ARN of a plain partition, a region and an account of the
# usual shapes (not the documentation's example account) and, for IAM and S3, which have rules of their
# own, no region and (IAM) a resource of a known type. Nowhere a `${` (checked apart) or a line break.
_ACTION = rf"(?:\*|[{re.escape(VENDOR_CHARS)}]+:[^:\n]*)"
_ACCOUNT = rf"(?:|\*|aws|(?!{EXAMPLE_ACCOUNT}:)[0-9]{{12}})"
_ARN = (r"(?:\*|arn:(?:" + "|".join(map(re.escape, PLAIN_PARTITIONS)) + r"):(?:"
        r"(?!iam:|s3:)[a-z0-9][a-z0-9.\-]*:(?:|\*|" + REGION_SHAPE + r"):" + _ACCOUNT + r":[^\n]*"
        r"|s3::" + _ACCOUNT + r":[^\n]*"
        r"|iam::" + _ACCOUNT + r":(?:\*|(?:" + "|".join(map(re.escape, IAM_RESOURCE_TYPES)) + r")[^\n]*)))")
PLAIN_ACTION = re.compile(_ACTION, re.ASCII)
PLAIN_ARN = re.compile(_ARN, re.ASCII)
# Whole lists at once, entries joined by line breaks (which no plain entry holds).
PLAIN_ACTIONS = re.compile(rf"{_ACTION}(?:\n{_ACTION})*", re.ASCII)
PLAIN_ARNS = re.compile(rf"{_ARN}(?:\n{_ARN})*", re.ASCII)
