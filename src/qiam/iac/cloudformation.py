"""CloudFormation templates (JSON or YAML) → the principals, policies and resource policies they make.

Intrinsic functions are resolved with the template's parameters (given, else
their ``Default``), the pseudo-parameters and the template's own resources:
``Ref``, ``Fn::GetAtt``, ``Fn::Sub``, ``Fn::Join``, ``Fn::Select``,
``Fn::Split``, ``Fn::If`` (with ``Conditions``), ``Fn::FindInMap``,
``Fn::Equals`` / ``And`` / ``Or`` / ``Not``, ``Fn::ToJsonString``,
``Fn::Length`` and ``AWS::NoValue``. Anything else (``Fn::ImportValue``,
``Fn::GetAZs``, a parameter without a value, an attribute known only once
deployed) is an ``Unresolved`` placeholder, settled fail-closed by
``qiam.iac._values.settle`` and reported at its line and column.

A resource without its name property gets the name CloudFormation would make
from the stack name and its logical id (``STACK-LogicalId-SUFFIX``, with a
fixed suffix), the same wherever the template refers to it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from typing import cast

from qiam.errors import Path
from qiam.iac._values import Partial, Unresolved, placeholders

__all__ = ["Stack", "PSEUDO_DEFAULTS"]

NO_VALUE = object()  # AWS::NoValue: the property or list entry is left out

# What a pseudo-parameter is when the caller does not say (docs/ci.md).
PSEUDO_DEFAULTS = {
    "AWS::AccountId": "123456789012",
    "AWS::Region": "us-east-1",
    "AWS::StackName": "stack",
    "AWS::URLSuffix": "amazonaws.com",
}

# (type) -> the property that names the resource, and whether CloudFormation's made-up name is lower case.
_NAME_PROPERTY = {
    "AWS::IAM::Role": ("RoleName", False),
    "AWS::IAM::User": ("UserName", False),
    "AWS::IAM::Group": ("GroupName", False),
    "AWS::IAM::ManagedPolicy": ("ManagedPolicyName", False),
    "AWS::IAM::Policy": ("PolicyName", False),
    "AWS::S3::Bucket": ("BucketName", True),
    "AWS::SQS::Queue": ("QueueName", False),
    "AWS::SNS::Topic": ("TopicName", False),
    "AWS::Lambda::Function": ("FunctionName", False),
    "AWS::SecretsManager::Secret": ("Name", False),
}


def partition_of(region: str) -> str:
    """The partition a region is in."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


class Stack:
    """A template's values, resolved on demand.

    Parameters
    ----------
    template : mapping
        The template (``Parameters``, ``Mappings``, ``Conditions``, ``Resources``).
    parameters : mapping
        Parameter and pseudo-parameter values (``AWS::AccountId``, ``AWS::Region``, ...).
    """

    def __init__(self, template: Mapping[str, object], parameters: Mapping[str, object]) -> None:
        self.template = template
        given = dict(parameters)
        self.region = str(given.get("AWS::Region") or PSEUDO_DEFAULTS["AWS::Region"])
        self.account = str(given.get("AWS::AccountId") or PSEUDO_DEFAULTS["AWS::AccountId"])
        self.partition = str(given.get("AWS::Partition") or partition_of(self.region))
        self.stack_name = str(given.get("AWS::StackName") or PSEUDO_DEFAULTS["AWS::StackName"])
        self.pseudo: dict[str, object] = {
            "AWS::AccountId": self.account, "AWS::Region": self.region, "AWS::Partition": self.partition,
            "AWS::StackName": self.stack_name,
            "AWS::URLSuffix": str(given.get("AWS::URLSuffix") or PSEUDO_DEFAULTS["AWS::URLSuffix"]),
        }
        if "AWS::StackId" in given:
            self.pseudo["AWS::StackId"] = given["AWS::StackId"]
        self.given = {k: v for k, v in given.items() if not k.startswith("AWS::")}
        self.resources = _mapping(template.get("Resources"))
        self.parameters = _mapping(template.get("Parameters"))
        self.mappings = _mapping(template.get("Mappings"))
        self.conditions = _mapping(template.get("Conditions"))
        self._condition_values: dict[str, bool | Unresolved] = {}

    # ----- names of the template's resources -----

    def type_of(self, logical_id: str) -> str | None:
        entry = self.resources.get(logical_id)
        kind = entry.get("Type") if isinstance(entry, Mapping) else None
        return kind if isinstance(kind, str) else None

    def properties(self, logical_id: str) -> Mapping[str, object]:
        entry = self.resources.get(logical_id)
        props = entry.get("Properties") if isinstance(entry, Mapping) else None
        return props if isinstance(props, Mapping) else {}

    def name_of(self, logical_id: str) -> object:
        """The physical name: the name property, resolved, else the one CloudFormation would make."""
        kind = self.type_of(logical_id)
        prop, lower = _NAME_PROPERTY.get(kind or "", (None, False))
        path: Path = ("Resources", logical_id, "Properties", prop or "")
        if prop is not None and prop in self.properties(logical_id):
            return self.resolve(self.properties(logical_id)[prop], path)
        suffix = hashlib.sha256(f"{self.stack_name}/{logical_id}".encode()).hexdigest()[:12].upper()
        made = f"{self.stack_name}-{logical_id}-{suffix}"[:64]
        return made.lower() if lower else made

    def iam_path(self, logical_id: str) -> str:
        value = self.resolve(self.properties(logical_id).get("Path", "/"), ("Resources", logical_id, "Properties",
                                                                              "Path"))
        return value if isinstance(value, str) else "/"

    def _arn(self, service: str, region: str, account: str, rest: str) -> str:
        return f"arn:{self.partition}:{service}:{region}:{account}:{rest}"

    def _reference(self, logical_id: str, path: Path) -> object:
        """What ``Ref`` gives for a resource of the template."""
        kind = self.type_of(logical_id)
        if kind == "AWS::IAM::ManagedPolicy":
            return self._attribute(logical_id, "PolicyArn", path)
        if kind in ("AWS::SNS::Topic", "AWS::SecretsManager::Secret"):
            return self._attribute(logical_id, "TopicArn" if kind == "AWS::SNS::Topic" else "Id", path)
        if kind == "AWS::SQS::Queue":
            return self._attribute(logical_id, "QueueUrl", path)
        if kind == "AWS::KMS::Key":
            return self._attribute(logical_id, "KeyId", path)
        if kind in _NAME_PROPERTY and kind != "AWS::IAM::Policy":
            return self.name_of(logical_id)
        return Unresolved(f"Ref {logical_id} (the id of a {kind or 'resource'} is known once deployed)", path)

    def _attribute(self, logical_id: str, attribute: str, path: Path) -> object:
        """What ``Fn::GetAtt`` gives, for the attributes a policy names."""
        kind = self.type_of(logical_id)
        if kind is None:
            return Unresolved(f"Fn::GetAtt {logical_id}.{attribute} (no such resource)", path)
        name = self.name_of(logical_id)

        def made(build: Callable[[str], str]) -> object:
            if isinstance(name, str):
                return build(name)
            return _concat([*_parts_around(build, name)], path)

        account, region = self.account, self.region
        iam_path = self.iam_path(logical_id) if kind.startswith("AWS::IAM::") else "/"
        found: object = None
        if kind == "AWS::IAM::Role" and attribute == "Arn":
            found = made(lambda n: self._arn("iam", "", account, f"role{iam_path}{n}"))
        elif kind == "AWS::IAM::Role" and attribute == "RoleName":
            found = name
        elif kind == "AWS::IAM::User" and attribute == "Arn":
            found = made(lambda n: self._arn("iam", "", account, f"user{iam_path}{n}"))
        elif kind == "AWS::IAM::Group" and attribute == "Arn":
            found = made(lambda n: self._arn("iam", "", account, f"group{iam_path}{n}"))
        elif kind == "AWS::IAM::ManagedPolicy" and attribute == "PolicyArn":
            found = made(lambda n: self._arn("iam", "", account, f"policy{iam_path}{n}"))
        elif kind == "AWS::S3::Bucket" and attribute == "Arn":
            found = made(lambda n: self._arn("s3", "", "", n))
        elif kind == "AWS::S3::Bucket" and attribute == "DomainName":
            found = made(lambda n: f"{n}.s3.amazonaws.com")
        elif kind == "AWS::KMS::Key" and attribute in ("Arn", "KeyId"):
            key_id = _made_key_id(self.stack_name, logical_id)
            found = key_id if attribute == "KeyId" else self._arn("kms", region, account, f"key/{key_id}")
        elif kind == "AWS::SQS::Queue" and attribute == "Arn":
            found = made(lambda n: self._arn("sqs", region, account, n))
        elif kind == "AWS::SQS::Queue" and attribute == "QueueName":
            found = name
        elif kind == "AWS::SQS::Queue" and attribute == "QueueUrl":
            found = made(lambda n: f"https://sqs.{region}.{self.pseudo['AWS::URLSuffix']}/{account}/{n}")
        elif kind == "AWS::SNS::Topic" and attribute == "TopicArn":
            found = made(lambda n: self._arn("sns", region, account, n))
        elif kind == "AWS::SNS::Topic" and attribute == "TopicName":
            found = name
        elif kind == "AWS::Lambda::Function" and attribute == "Arn":
            found = made(lambda n: self._arn("lambda", region, account, f"function:{n}"))
        elif kind == "AWS::SecretsManager::Secret" and attribute == "Id":
            # The ARN ends in six random characters AWS adds: not known before deployment.
            found = Unresolved(f"Ref {logical_id} (a secret's ARN ends in characters AWS picks)", path)
        if found is None:
            return Unresolved(f"Fn::GetAtt {logical_id}.{attribute} (known once deployed)", path)
        return found

    # ----- conditions -----

    def condition(self, name: str, path: Path) -> bool | Unresolved:
        found = self._condition_values.get(name)
        if found is None:
            if name not in self.conditions:
                return Unresolved(f"Condition {name} (not in Conditions)", path)
            self._condition_values[name] = Unresolved(f"Condition {name} (refers to itself)", path)
            found = self._truth(self.conditions[name], ("Conditions", name))
            self._condition_values[name] = found
        return found

    def _truth(self, value: object, path: Path) -> bool | Unresolved:
        if isinstance(value, bool):
            return value
        if isinstance(value, Mapping) and len(value) == 1:
            (key, arg), = value.items()
            inner = (*path, key)
            if key == "Condition" and isinstance(arg, str):
                return self.condition(arg, inner)
            args = arg if isinstance(arg, list) else None
            if key == "Fn::Equals" and args is not None and len(args) == 2:
                a, b = (self.resolve(x, (*inner, i)) for i, x in enumerate(args))
                for side in (a, b):
                    if isinstance(side, (Unresolved, Partial)):
                        return side if isinstance(side, Unresolved) else side.first()
                return _plain(a) == _plain(b)
            if key == "Fn::Not" and args is not None and len(args) == 1:
                one = self._truth(args[0], (*inner, 0))
                return one if isinstance(one, Unresolved) else not one
            if key in ("Fn::And", "Fn::Or") and args:
                truths = [self._truth(x, (*inner, i)) for i, x in enumerate(args)]
                known = [t for t in truths if not isinstance(t, Unresolved)]
                if key == "Fn::And" and False in known:
                    return False
                if key == "Fn::Or" and True in known:
                    return True
                unknown = [t for t in truths if isinstance(t, Unresolved)]
                return unknown[0] if unknown else key == "Fn::And"
        return Unresolved("a condition CloudFormation would not accept", path)

    # ----- values -----

    def resolve(self, value: object, path: Path) -> object:
        """A template value with its intrinsic functions resolved (placeholders where they cannot be)."""
        if isinstance(value, list):
            out = [self.resolve(v, (*path, i)) for i, v in enumerate(value)]
            return [v for v in out if v is not NO_VALUE]
        if not isinstance(value, Mapping):
            return value
        if len(value) == 1:
            (key, arg), = value.items()
            if key == "Ref" or key.startswith("Fn::") or key == "Condition":
                return self._function(key, arg, (*path, key))
        out_map = {}
        for k, v in value.items():
            resolved = self.resolve(v, (*path, k))
            if resolved is not NO_VALUE:
                out_map[k] = resolved
        return out_map

    def _function(self, key: str, arg: object, path: Path) -> object:  # noqa: C901 - one case per function
        if key == "Ref":
            if not isinstance(arg, str):
                return Unresolved("Ref of something that is not a name", path)
            return self._ref(arg, path)
        if key == "Condition":
            return self._truth({key: arg}, path[:-1])
        args = arg if isinstance(arg, list) else None
        if key == "Fn::GetAtt":
            names = args if args is not None else (arg.split(".", 1) if isinstance(arg, str) else None)
            if names is None or len(names) != 2:
                return Unresolved("Fn::GetAtt takes [LogicalId, Attribute]", path)
            target, attribute = (self.resolve(p, (*path, i)) for i, p in enumerate(names))
            if not isinstance(target, str) or not isinstance(attribute, str):
                return Unresolved("Fn::GetAtt of an unknown name", path)
            return self._attribute(target, attribute, path)
        if key == "Fn::Sub":
            return self._sub(arg, path)
        if key == "Fn::Join" and args is not None and len(args) == 2:
            delimiter = self.resolve(args[0], (*path, 0))
            items = self.resolve(args[1], (*path, 1))
            if not isinstance(delimiter, str) or not isinstance(items, list):
                return _first_unknown((delimiter, items), "Fn::Join of something not a list", path)
            parts: list[object] = []
            for i, item in enumerate(items):
                if i:
                    parts.append(delimiter)
                parts.append(item)
            return _concat(parts, path)
        if key == "Fn::Select" and args is not None and len(args) == 2:
            index = self.resolve(args[0], (*path, 0))
            items = self.resolve(args[1], (*path, 1))
            if isinstance(index, str) and index.isdigit():
                index = int(index)
            if isinstance(index, int) and isinstance(items, list) and 0 <= index < len(items):
                return items[index]
            return _first_unknown((index, items), "Fn::Select out of range", path)
        if key == "Fn::Split" and args is not None and len(args) == 2:
            delimiter = self.resolve(args[0], (*path, 0))
            text = self.resolve(args[1], (*path, 1))
            if isinstance(delimiter, str) and isinstance(text, str) and delimiter:
                return text.split(delimiter)
            return _first_unknown((delimiter, text), "Fn::Split of something not a string", path)
        if key == "Fn::If" and args is not None and len(args) == 3 and isinstance(args[0], str):
            truth = self.condition(args[0], (*path, 0))
            if isinstance(truth, Unresolved):
                return Unresolved(f"Fn::If {args[0]}: {truth.what}", path)
            return self.resolve(args[1] if truth else args[2], (*path, 1 if truth else 2))
        if key == "Fn::FindInMap" and args is not None and len(args) in (3, 4):
            names = [self.resolve(a, (*path, i)) for i, a in enumerate(args[:3])]
            if all(isinstance(n, str) for n in names):
                top = _mapping(self.mappings.get(cast(str, names[0])))
                second = _mapping(top.get(cast(str, names[1])))
                if cast(str, names[2]) in second:
                    return self.resolve(second[cast(str, names[2])], ("Mappings", *cast(list[str], names)))
                if len(args) == 4 and isinstance(args[3], Mapping) and "DefaultValue" in args[3]:
                    return self.resolve(args[3]["DefaultValue"], (*path, 3, "DefaultValue"))
            return _first_unknown(tuple(names), "Fn::FindInMap of a key the Mappings do not hold", path)
        if key in ("Fn::Equals", "Fn::And", "Fn::Or", "Fn::Not"):
            return self._truth({key: arg}, path[:-1])
        if key == "Fn::ToJsonString":
            import orjson

            resolved = self.resolve(arg, (*path, 0))
            unknown = _unknowns(resolved)
            return unknown[0] if unknown else orjson.dumps(resolved).decode()
        if key == "Fn::Length":
            resolved = self.resolve(arg, path)
            return len(resolved) if isinstance(resolved, list) else _first_unknown((resolved,), "Fn::Length", path)
        if key == "Fn::Base64":
            return self.resolve(arg, path)
        shown = key if not isinstance(arg, str) else f"{key} {arg}"
        return Unresolved(f"{shown} (known only in the account)", path)

    def _ref(self, name: str, path: Path) -> object:
        if name == "AWS::NoValue":
            return NO_VALUE
        if name.startswith("AWS::"):
            if name in self.pseudo:
                return self.pseudo[name]
            return Unresolved(f"Ref {name} (give it with --parameter {name}=VALUE)", path)
        if name in self.given:
            return self._parameter_value(name, self.given[name])
        if name in self.parameters:
            spec = _mapping(self.parameters[name])
            if "Default" in spec:
                return self._parameter_value(name, spec["Default"])
            return Unresolved(f"Ref {name} (a parameter without a value: give --parameter {name}=VALUE)", path)
        if name in self.resources:
            return self._reference(name, path)
        return Unresolved(f"Ref {name} (neither a parameter nor a resource of the template)", path)

    def _parameter_value(self, name: str, value: object) -> object:
        spec = _mapping(self.parameters.get(name))
        kind = str(spec.get("Type", "String"))
        if isinstance(value, str) and (kind == "CommaDelimitedList" or kind.startswith("List<")):
            return [v.strip() for v in value.split(",")]
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        return value

    def _sub(self, arg: object, path: Path) -> object:
        variables: dict[str, object] = {}
        text = arg
        text_path = path
        if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], Mapping):
            text = arg[0]
            text_path = (*path, 0)
            for name, value in arg[1].items():
                variables[name] = self.resolve(value, (*path, 1, name))
        if not isinstance(text, str):
            return Unresolved("Fn::Sub of something not a string", path)
        parts: list[object] = []
        pos = 0
        while True:
            start = text.find("${", pos)
            if start < 0:
                parts.append(text[pos:])
                break
            end = text.find("}", start)
            if end < 0:
                parts.append(text[pos:])
                break
            parts.append(text[pos:start])
            name = text[start + 2:end]
            if name.startswith("!"):
                parts.append("${" + name[1:] + "}")  # a literal ${...}: an IAM policy variable, say
            elif name in variables:
                parts.append(variables[name])
            elif "." in name and not name.startswith("AWS::"):
                target, _, attribute = name.partition(".")
                parts.append(self._attribute(target, attribute, text_path))
            elif ":" in name and not name.startswith("AWS::"):
                parts.append(Unresolved(f"${{{name}}} in Fn::Sub (write ${{!{name}}} for the policy variable)",
                                        text_path))
            else:
                parts.append(self._ref(name, text_path))
            pos = end + 1
        return _concat(parts, path)


def _made_key_id(stack: str, logical_id: str) -> str:
    """A stand-in for the key id AWS makes (a UUID), the same each time."""
    h = hashlib.sha256(f"{stack}/{logical_id}/key".encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def _parts_around(build: Callable[[str], str], name: object) -> list[object]:
    """The parts of ``build(name)`` for a name that is not all known: the text around it and the name."""
    marker = "\x00"
    before, _, after = build(marker).partition(marker)
    return [before, name, after]


def _concat(parts: list[object], path: Path) -> object:
    """Strings joined; a Partial when a part is unknown; a placeholder when a part is no string at all."""
    flat: list[str | Unresolved] = []
    for part in parts:
        if isinstance(part, str):
            flat.append(part)
        elif isinstance(part, Unresolved):
            flat.append(part)
        elif isinstance(part, Partial):
            flat.extend(part.parts)
        elif isinstance(part, (int, float)) and not isinstance(part, bool):
            flat.append(str(part))
        else:
            return Unresolved("a value joined into a string that is not a string", path)
    if all(isinstance(p, str) for p in flat):
        return "".join(cast(list[str], flat))
    merged: list[str | Unresolved] = []
    for p in flat:
        if isinstance(p, str) and merged and isinstance(merged[-1], str):
            merged[-1] = merged[-1] + p
        elif p != "":
            merged.append(p)
    return Partial(tuple(merged))


def _unknowns(value: object) -> list[Unresolved]:
    return list(placeholders(value))


def _first_unknown(values: tuple[object, ...], what: str, path: Path) -> Unresolved:
    for value in values:
        for found in _unknowns(value):
            return found
    return Unresolved(what, path)


def _plain(value: object) -> object:
    return str(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value


def _mapping(value: object) -> Mapping[str, object]:
    return value if isinstance(value, Mapping) else {}
