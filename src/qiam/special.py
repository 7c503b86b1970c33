"""The decision procedure's special rules, one table each: calls that need no permission, resources
AWS owns, and where a resource's own policy must allow (semantics.md §4.4 and §4.7).

Both decision kernels read these tables (the compiled one matches the ARN
shapes at C level, the twin with the regular expressions made here), and the
scope analysis (``qiam.scope``) reads the same shapes as ARN patterns, because
whether a rule applies depends on the resource. Adding a rule is a line here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qiam.kinds import TRUST_ACTIONS

__all__ = ["AWS_OWNED", "ArnShape", "KMS_KEY", "NO_PERMISSION_NEEDED", "OwnedRule", "ROLE",
           "discriminating_shapes", "owned_rule"]

ACCOUNT_ANY, ACCOUNT_ID, ACCOUNT_AWS = 0, 1, 2  # [^:]*, [0-9]{12}, aws


@dataclass(frozen=True, slots=True)
class ArnShape:
    """ARNs that start ``arn:<partition>:<service>:<region>:<account>:<prefix>``.

    The partition is any non-empty text; the region is empty when
    ``empty_region``, else any; the account is ``ACCOUNT_ANY``, ``ACCOUNT_ID``
    (twelve digits) or ``ACCOUNT_AWS`` (``aws``).
    """

    service: str
    empty_region: bool
    account: int
    prefix: str

    @property
    def regex(self) -> re.Pattern[str]:
        """The shape as a regular expression (matched at the start of the ARN)."""
        account = {ACCOUNT_ANY: "[^:]*", ACCOUNT_ID: "[0-9]{12}", ACCOUNT_AWS: "aws"}[self.account]
        region = "" if self.empty_region else "[^:]*"
        return re.compile(f"arn:[^:]+:{re.escape(self.service)}:{region}:{account}:{re.escape(self.prefix)}")

    @property
    def pattern(self) -> str:
        """The shape as a core ARN pattern (``qiam.scope`` reads it; twelve ``?`` stand for an account ID)."""
        account = {ACCOUNT_ANY: "*", ACCOUNT_ID: "?" * 12, ACCOUNT_AWS: "aws"}[self.account]
        prefix = self.prefix.replace("\\", "\\\\").replace("*", "\\*").replace("?", "\\?")
        return f"arn:?*:{self.service}:{'' if self.empty_region else '*'}:{account}:{prefix}*"


@dataclass(frozen=True, slots=True)
class OwnedRule:
    """Resources AWS owns: no policy lets a customer do ``actions`` (folded) on them."""

    reason: str
    shape: ArnShape
    actions: frozenset[str]


# Calls that need no permission, with the reason a result gives (semantics.md §4.7).
NO_PERMISSION_NEEDED = {
    # STS API reference, GetCallerIdentity: no permission needed; a deny does not stop it.
    "sts:getcalleridentity": "no-permission-needed",
}

# Resources that AWS owns (semantics.md §4.7), each from the page the spec cites.
AWS_OWNED = (
    # AWS managed policies cannot be changed.
    OwnedRule("aws-owned-resource:aws-managed-policy", ArnShape("iam", True, ACCOUNT_AWS, "policy/"), frozenset({
        "iam:createpolicy", "iam:createpolicyversion", "iam:deletepolicy", "iam:deletepolicyversion",
        "iam:setdefaultpolicyversion", "iam:tagpolicy", "iam:untagpolicy"})),
    # IAM Identity Center's roles can only be changed through Identity Center.
    OwnedRule("aws-owned-resource:aws-reserved-role", ArnShape("iam", True, ACCOUNT_ID, "role/aws-reserved/"),
              frozenset({
                  "iam:attachrolepolicy", "iam:createrole", "iam:createservicelinkedrole", "iam:deleterole",
                  "iam:deleterolepermissionsboundary", "iam:deleterolepolicy", "iam:deleteservicelinkedrole",
                  "iam:detachrolepolicy", "iam:passrole", "iam:putrolepermissionsboundary", "iam:putrolepolicy",
                  "iam:tagrole", "iam:untagrole", "iam:updateassumerolepolicy", "iam:updaterole",
                  "iam:updateroledescription"})),
    # Aliases under alias/aws/ are reserved for AWS managed keys.
    OwnedRule("aws-owned-resource:aws-managed-key-alias", ArnShape("kms", False, ACCOUNT_ID, "alias/aws/"),
              frozenset({"kms:createalias", "kms:deletealias", "kms:updatealias"})),
)

# Where the resource's own policy must allow, even in the same account (semantics.md §4.4):
# a role's trust policy for the trust actions, a KMS key's key policy for KMS actions.
ROLE = ArnShape("iam", True, ACCOUNT_ANY, "role/")
KMS_KEY = ArnShape("kms", False, ACCOUNT_ANY, "key/")


def owned_rule(action: str) -> OwnedRule | None:
    """The rule that guards ``action`` (folded), if one does."""
    for rule in AWS_OWNED:
        if action in rule.actions:
            return rule
    return None


def requires_resource_policy_shape(action: str) -> ArnShape | None:
    """The shape of resources whose own policy must allow ``action`` (folded), if any."""
    if action in TRUST_ACTIONS:
        return ROLE
    if action.startswith("kms:"):
        return KMS_KEY
    return None


def discriminating_shapes(action: str) -> tuple[str, ...]:
    """The ARN patterns of the special rules that look at the resource of ``action`` (folded)."""
    found = []
    shape = requires_resource_policy_shape(action)
    if shape is not None:
        found.append(shape.pattern)
    rule = owned_rule(action)
    if rule is not None:
        found.append(rule.shape.pattern)
    return tuple(found)
