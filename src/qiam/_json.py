"""JSON text that is kept: keys of caches, and answers remembered for repeats.

orjson leaves what ``dumps`` returns in the buffer it wrote into, at least
4 KiB however short the text (``sys.getsizeof`` shows only the text), so a
short key kept in a cache costs ten times its size. Kept text is copied out
to its own size first.
"""

from __future__ import annotations

import orjson


def kept(text: bytes) -> bytes:
    """``text`` in an allocation of its own size (a join of two parts copies; of one, it would not)."""
    return b"".join((text, b""))


def kept_dumps(value: object, option: int | None = None) -> bytes:
    """``orjson.dumps(value, option=option)``, to be kept."""
    return kept(orjson.dumps(value, option=option))
