"""How much input qiam reads: the largest policy document, batch line and policy library.

Over a limit is a coded error (``input-too-large``), never a MemoryError or a
machine without memory. The defaults leave room for any real policy (the
largest AWS managed policies are under 200 KB; a 10 MB policy still reads)
and can be raised:

====================  ==========================  =================================
limit                 default                     set with
====================  ==========================  =================================
a policy document     32 MiB                      ``QIAM_MAX_POLICY_BYTES``
a batch line          64 MiB                      ``qiam batch --max-line-bytes``,
                                                  ``QIAM_MAX_LINE_BYTES``
a policy library      1 GiB                       ``QIAM_MAX_LIBRARY_BYTES``
====================  ==========================  =================================

The decision kernels keep one plan (the statements an action can meet) per
action and per service of a policy set: ``ACTION_PLANS`` holds the whole
action catalog (about 22,000 actions) with room to spare, so that a sweep of
every action runs at the cached speed; past it (a stream of made-up names)
a plan is built for the request and not kept, so memory stays bounded.
"""

from __future__ import annotations

import os
from pathlib import Path

from qiam.errors import QiamError

__all__ = ["ACTION_PLANS", "REPEAT_SAMPLE", "REPEAT_SHARE", "SERVICE_PLANS", "InputTooLarge", "check_settings",
           "max_library_bytes", "max_line_bytes",
           "max_policy_bytes", "read_bounded"]

_MIB = 1 << 20

ACTION_PLANS = 65_536  # plans kept per policy set, by action
SERVICE_PLANS = 4_096  # plans kept per policy set, by service
# evaluate_pairs decides a request once per policy set by its key while that pays: after this many
# requests of the call, under whatever sets, it stops keying if fewer than one in REPEAT_SHARE was a
# repeat (keying a request costs about as much as deciding it: a workload that does not repeat must not
# pay it).
REPEAT_SAMPLE = 1_024
REPEAT_SHARE = 8


class InputTooLarge(QiamError, ValueError):
    """Input over one of qiam's limits."""

    default_code = "input-too-large"


def _setting(name: str, default: int) -> int:
    text = os.environ.get(name)
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        raise InputTooLarge(f"{name} must be a number of bytes, not `{text}`", code="bad-setting",
                            hint="e.g. 67108864 for 64 MiB") from None
    if value <= 0:
        raise InputTooLarge(f"{name} must be positive, not {value}", code="bad-setting")
    return value


def max_policy_bytes() -> int:
    """The largest policy document read (``QIAM_MAX_POLICY_BYTES``, default 32 MiB)."""
    return _setting("QIAM_MAX_POLICY_BYTES", 32 * _MIB)


def max_line_bytes() -> int:
    """The largest batch line read (``QIAM_MAX_LINE_BYTES``, default 64 MiB)."""
    return _setting("QIAM_MAX_LINE_BYTES", 64 * _MIB)


def max_library_bytes() -> int:
    """The largest policy library read (``QIAM_MAX_LIBRARY_BYTES``, default 1 GiB)."""
    return _setting("QIAM_MAX_LIBRARY_BYTES", 1024 * _MIB)


def check_settings() -> None:
    """Read every limit's setting once, so that a bad one is an error before any work (InputTooLarge)."""
    max_policy_bytes()
    max_line_bytes()
    max_library_bytes()


def read_bounded(path: str | Path, limit: int, what: str, setting: str) -> bytes:
    """The bytes of a file, or InputTooLarge if it holds more than ``limit``; OSError as reading raises it.

    Reads at most ``limit + 1`` bytes, so that ``/dev/zero`` or a huge file
    costs no more memory than the limit.
    """
    with open(path, "rb") as stream:
        data = stream.read(limit + 1)
    if len(data) > limit:
        raise InputTooLarge(f"{path}: {what} is over {limit:,} bytes", hint=f"raise the limit with {setting}")
    return data
