"""The global ``aws:`` condition keys: their value types, and which carry several values.

The service-specific keys come from the action catalog; the global keys are not
in it, so they are listed here (from the IAM User Guide's page on global
condition context keys). Whether a key is single- or multivalued matters to
the set operators (semantics.md §3.5).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class KeyType:
    """A condition key's value type, as the service authorization reference spells it."""

    name: str
    type: str  # String, ARN, Numeric, Date, Bool, IPAddress, ArrayOfString, ArrayOfARN

    @property
    def multivalued(self) -> bool:
        """Whether a request carries a set of values for this key."""
        return self.type.startswith("ArrayOf")


_GLOBAL = {
    "aws:AssumedRoot": "Bool",
    "aws:CalledVia": "ArrayOfString",
    "aws:CalledViaFirst": "String",
    "aws:CalledViaLast": "String",
    "aws:ChatbotSourceArn": "ARN",
    "aws:CurrentTime": "Date",
    "aws:Ec2InstanceSourcePrivateIPv4": "IPAddress",
    "aws:Ec2InstanceSourceVpc": "String",
    "aws:EpochTime": "Date",
    "aws:FederatedProvider": "String",
    "aws:MultiFactorAuthAge": "Numeric",
    "aws:MultiFactorAuthPresent": "Bool",
    "aws:PrincipalAccount": "String",
    "aws:PrincipalArn": "ARN",
    "aws:PrincipalIsAWSService": "Bool",
    "aws:PrincipalOrgID": "String",
    "aws:PrincipalOrgPaths": "ArrayOfString",
    "aws:PrincipalServiceName": "String",
    "aws:PrincipalServiceNamesList": "ArrayOfString",
    "aws:PrincipalType": "String",
    "aws:Referer": "String",
    "aws:RequestedRegion": "String",
    "aws:ResourceAccount": "String",
    "aws:ResourceOrgID": "String",
    "aws:ResourceOrgPaths": "ArrayOfString",
    "aws:SecureTransport": "Bool",
    "aws:SourceAccount": "String",
    "aws:SourceArn": "ARN",
    "aws:SourceIdentity": "String",
    "aws:SourceIp": "IPAddress",
    "aws:SourceOrgID": "String",
    "aws:SourceOrgPaths": "ArrayOfString",
    "aws:SourceVpc": "String",
    "aws:SourceVpcArn": "ARN",
    "aws:SourceVpce": "String",
    "aws:TagKeys": "ArrayOfString",
    "aws:TokenIssueTime": "Date",
    "aws:UserAgent": "String",
    "aws:userid": "String",
    "aws:username": "String",
    "aws:ViaAWSService": "Bool",
    "aws:VpcSourceIp": "IPAddress",
}

# Keys that end in a tag key or other name chosen by the user.
_GLOBAL_PREFIXES = {
    "aws:PrincipalTag/": "String",
    "aws:RequestTag/": "String",
    "aws:ResourceTag/": "String",
}

_FOLDED_PREFIXES = tuple((prefix, prefix.lower(), type_) for prefix, type_ in _GLOBAL_PREFIXES.items())

GLOBAL_KEYS: dict[str, KeyType] = {
    name.lower(): KeyType(name, type_) for name, type_ in _GLOBAL.items()
}


def global_key(name: str) -> KeyType | None:
    """The type of a global ``aws:`` key (any case), or None if it is not one."""
    folded = name.lower()
    found = GLOBAL_KEYS.get(folded)
    if found is not None:
        return found
    if not folded.startswith("aws:"):
        return None
    for prefix, folded_prefix, type_ in _FOLDED_PREFIXES:
        if folded.startswith(folded_prefix) and len(folded) > len(prefix):
            return KeyType(prefix + name[len(prefix) :], type_)
    return None
