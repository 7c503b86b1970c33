"""Kept JSON text costs its own size: orjson's ``dumps`` leaves short text in a 4 KiB buffer, and
caches that keep such text (batch's remembered answers, request keys) would grow by that much."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable

import orjson

from qiam import Request
from qiam._json import kept, kept_dumps


def _allocated(make: Callable[[], object]) -> int:
    """Bytes allocated by ``make()`` and still held by what it returns."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        made = make()
        after = tracemalloc.get_traced_memory()[0]
        del made
        return after - before
    finally:
        tracemalloc.stop()


def test_kept_text_is_the_same_text_in_its_own_size() -> None:
    value = {"action": "s3:GetObject", "resource": "arn:aws:s3:::bucket/key"}
    assert kept_dumps(value) == orjson.dumps(value)
    assert kept_dumps(value, option=orjson.OPT_SORT_KEYS) == orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    text = orjson.dumps(value)
    assert kept(text) == text
    assert _allocated(lambda: kept_dumps(value)) < len(text) + 256


def test_a_request_key_costs_about_its_length() -> None:
    request = Request(principal="arn:aws:iam::111122223333:role/R", action="s3:GetObject",
                      resource="arn:aws:s3:::bucket/key")
    key = request.key
    assert key == Request(principal="arn:aws:iam::111122223333:role/R", action="s3:GetObject",
                          resource="arn:aws:s3:::bucket/key").key
    fresh = Request(principal="arn:aws:iam::111122223333:role/R", action="s3:GetObject",
                    resource="arn:aws:s3:::bucket/other")
    assert _allocated(lambda: fresh.key) < len(key) + 512
