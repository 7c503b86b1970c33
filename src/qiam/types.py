"""The JSON types of qiam's public API.

qiam's rule is no ``Any`` on the public surface: a caller's type checker
should see what a value is, not give up on it. What qiam hands out as JSON
(every ``to_dict()``, the batch format's lines, ``TaskResult.suggestion()``)
is typed with these recursive aliases, so that ``result.to_dict()["decision"]``
is a ``JSON`` value to narrow, not an ``Any`` that silently type-checks
anything. JSON qiam is given (a policy as a mapping, a request context, a
task catalog) is taken as ``Mapping[str, object]``: any mapping a caller
built is accepted, and its values are checked when read.

>>> from qiam.types import JSON, JSONObject
>>> out: JSONObject = {"decision": "allowed", "matched": [], "line": None}
"""

from __future__ import annotations

from typing import TypeAlias

__all__ = ["JSON", "JSONObject"]

JSON: TypeAlias = "None | bool | int | float | str | list[JSON] | dict[str, JSON]"
"""Any JSON value, as ``json.loads`` or ``orjson.loads`` gives it."""

JSONObject: TypeAlias = "dict[str, JSON]"
"""A JSON object: what every ``to_dict()`` returns."""
