"""YAML read with the place of every value: templates and expectation files give line and column.

PyYAML composes the node tree (every node carries its start mark); this module
builds the values from it, noting each JSON path's character offset, so that a
``Source.positioned`` locates a policy inside a template as it does inside JSON.
CloudFormation's short intrinsic tags (``!Sub``, ``!Ref``, ``!GetAtt``, ...) become
their long forms (``{"Fn::Sub": ...}``); a timestamp-looking plain scalar
(``Version: 2012-10-17``) stays the string it is in the text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml

from qiam.errors import Path

__all__ = ["Positioned", "YamlError", "read_yaml"]

# The plain-scalar types YAML reads other than as text (timestamps are kept as text: IAM reads strings).
_TYPED = {"tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null"}
_PLAIN_STYLE = None


class YamlError(ValueError):
    """Text that is not YAML, or not the YAML a template holds: a message and its 1-based line and column."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.line = line
        self.column = column


@dataclass(slots=True)
class Positioned:
    """A YAML document's value and the character offset of each path's value and key."""

    value: object
    values: dict[Path, int] = field(default_factory=dict)
    keys: dict[Path, int] = field(default_factory=dict)
    duplicates: list[tuple[Path, int]] = field(default_factory=list)


def read_yaml(text: str, *, intrinsic_tags: bool = True) -> Positioned:
    """Read one YAML document (an empty text is ``None``); raises YamlError."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "not YAML"
        raise YamlError(f"not YAML: {problem}", mark.line + 1 if mark else 1, mark.column + 1 if mark else 1
                        ) from None
    except yaml.YAMLError as exc:
        raise YamlError(f"not YAML: {exc}", 1, 1) from None
    out = Positioned(None)
    if node is not None:
        out.value = _Builder(out, intrinsic_tags).build(node, ())
    return out


class _Builder:
    def __init__(self, out: Positioned, intrinsic_tags: bool) -> None:
        self.out = out
        self.intrinsic_tags = intrinsic_tags
        self.resolver = yaml.resolver.Resolver()
        self.constructor = yaml.SafeLoader("")

    def build(self, node: yaml.Node, path: Path) -> object:
        # Iterative over mappings and sequences would be needed only past Python's recursion limit, which
        # no template nears; PyYAML's own composer recurses as deep.
        self.out.values[path] = node.start_mark.index
        tag = node.tag
        if tag.startswith("!") and not tag.startswith("!!"):
            if not self.intrinsic_tags:
                raise _error(f"the tag `{tag}` is not read here", node)
            name = tag[1:]
            if name == "GetAtt" and isinstance(node, yaml.ScalarNode):
                target, _, attribute = str(node.value).partition(".")
                long_key = "Fn::GetAtt"
                self.out.values[(*path, long_key)] = node.start_mark.index
                return {long_key: [target, attribute]}
            long_key = name if name in ("Ref", "Condition") else f"Fn::{name}"
            inner = (*path, long_key)
            if isinstance(node, yaml.ScalarNode):
                self.out.values[inner] = node.start_mark.index
                return {long_key: node.value}
            return {long_key: self._container(node, inner)}
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node)
        return self._container(node, path)

    def _container(self, node: yaml.Node, path: Path) -> object:
        self.out.values[path] = node.start_mark.index
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        if isinstance(node, yaml.MappingNode):
            mapping: dict[str, object] = {}
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    raise _error("YAML merge keys (`<<`) are not read in templates", key_node)
                if not isinstance(key_node, yaml.ScalarNode):
                    raise _error("a mapping key that is not a plain string", key_node)
                key = str(key_node.value)
                child = (*path, key)
                if key in mapping:
                    self.out.duplicates.append((child, key_node.start_mark.index))
                    raise _error(f"duplicate key `{key}`", key_node)
                self.out.keys[child] = key_node.start_mark.index
                mapping[key] = self.build(value_node, child)
            return mapping
        return self._scalar(node)

    def _scalar(self, node: yaml.Node) -> object:
        value = node.value
        if not isinstance(node, yaml.ScalarNode) or node.style is not _PLAIN_STYLE:
            return value
        tag = self.resolver.resolve(yaml.ScalarNode, value, (True, False))  # type: ignore[no-untyped-call]
        if tag in _TYPED:
            return self.constructor.construct_object(yaml.ScalarNode(tag, value))
        return value


def _error(message: str, node: yaml.Node) -> YamlError:
    return YamlError(message, node.start_mark.line + 1, node.start_mark.column + 1)
