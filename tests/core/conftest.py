"""Shared fixtures of the matcher-core tests: the two twins and Hypothesis profiles.

Both twins are imported directly, whatever ``QIAM_IMPLEMENTATION`` says, so every
test runs against the compiled core and against its pure-Python specification.

Profiles: ``dev`` (Hypothesis defaults, loaded unless ``HYPOTHESIS_PROFILE`` names
another) and ``ci`` (1000 examples, no deadline, reproduction blobs printed).
"""

from __future__ import annotations

import os

from hypothesis import settings

import qiam._match
import qiam._match_py

TWINS = [qiam._match, qiam._match_py]
COMPILED, TWIN = TWINS

settings.register_profile("dev")
settings.register_profile("ci", max_examples=1000, deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def examples(n: int) -> settings:
    """At least ``n`` examples, or the loaded profile's count when that is larger."""
    return settings(max_examples=max(n, settings.default.max_examples))


def twin_id(module: object) -> str:
    return "compiled" if module is qiam._match else "python"


def outcome(call: object) -> tuple[object, ...]:
    """What ``call()`` did: ("returned", value) or ("raised", exception type, text)."""
    try:
        return ("returned", call())  # type: ignore[operator]
    except Exception as exc:  # noqa: BLE001 - the point is to compare any failure
        return ("raised", type(exc), str(exc))
