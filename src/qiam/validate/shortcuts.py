"""What the checks have nothing to say about, seen at a glance: the fast paths through them.

Each shortcut proves a whole element (or the whole outline of a policy)
clean with one test; False says only that the checks must look, and the
checks remain the reference. The compiler's statement loop (``qiam._front``)
leans on the same shortcuts.
"""

from __future__ import annotations

import re
from typing import Any

from qiam import shapes
from qiam.keys import global_key
from qiam.model import VERSION_2012, Policy
from qiam.operators import FAMILY_RULES, NULL, Operator, parse_bool
from qiam.validate.profiles import Profile

# What the per-entry checks have nothing to say about: proved for a whole list with one
# match over its entries joined by newlines (the checks remain the reference).
_PLAIN_ACTIONS = shapes.PLAIN_ACTIONS
_PLAIN_ARNS = shapes.PLAIN_ARNS


def _all_plain(value: Any, plain: re.Pattern[str]) -> bool:
    """Whether a string-or-list element holds only strings, all plain (and no ``${``)."""
    if isinstance(value, str):
        return "${" not in value and plain.fullmatch(value) is not None
    if not isinstance(value, list) or not value:
        return False
    try:
        joined = "\n".join(value)
    except TypeError:  # an entry that is not a string
        return False
    return (joined.count("\n") == len(value) - 1 and "${" not in joined
            and plain.fullmatch(joined) is not None)


def escapes_may_refuse(text: str) -> bool:
    """Whether the text's escapes may decode to a character IAM does not store: only ``\\u``, ``\\b``
    and ``\\f`` can (one character is found much faster than two, so a backslash is looked for first)."""
    return "\\" in text and ("\\u" in text or "\\b" in text or "\\f" in text)


def _plain_outline(policy: Policy, profile: Profile) -> bool:
    """Whether the outline's checks have nothing to say, seen at a glance: only Version 2012-10-17 and
    Statement, text in ASCII without escapes of a character IAM refuses, within the quota."""
    raw = policy.raw
    source = policy.source
    if len(raw) != 2 or "Statement" not in raw or raw.get("Version") != VERSION_2012 or source.rendered:
        return False
    text = source.text
    return (text is not None and text.isascii() and not escapes_may_refuse(text)
            and (profile.quota is None or len(text) <= profile.quota))


def plain_condition_key(operator: Operator, key: str, values: str | tuple[str, ...]) -> bool:
    """Whether one key of a String, Arn, Bool or Null operator is clean, by a shortcut through the checks.

    A key with a service prefix and no ``${``, and at least one value, none with ``${``; no
    ``*`` or ``?`` where the operator reads them literally, ``true`` or
    ``false`` (one value for Bool) where it wants a boolean; and a set prefix
    exactly when a global key is multivalued (or, for Null, never on a
    single-valued one): ``check_condition_key`` has nothing to say about it.
    False says only that the checks must look.
    """
    family = operator.spec.family
    rules = FAMILY_RULES[family]
    # The families the compiled loop serves: those without a reader, and the boolean ones.
    if not rules.front_kind or (rules.read is not None and rules.read is not parse_bool):
        return False
    if ":" not in key or "${" in key or not values:
        return False
    texts = (values,) if isinstance(values, str) else values
    joined = "".join(texts)
    if "${" in joined:
        return False
    if rules.literal and ("*" in joined or "?" in joined):
        return False
    if rules.read is not None and ((rules.one_value and len(texts) > 1)
                                   or any(rules.read(t) is None for t in texts)):
        return False
    key_type = global_key(key)
    if key_type is None:
        return True
    if operator.set_prefix:
        return key_type.multivalued
    return family is NULL or not key_type.multivalued
