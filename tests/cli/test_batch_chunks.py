"""How ``qiam batch`` cuts its input into chunks: every line once, in order, numbered as a plain split
numbers it, whatever the read sizes and the chunk size (hypothesis against the naive split)."""

from __future__ import annotations

import io
import os
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qiam.cli import batch as cli_batch
from qiam.limits import InputTooLarge

LIMIT = 12


def _naive(data: bytes, limit: int) -> list[tuple[int, bytes | None]]:
    """Every non-blank line of the input, numbered from 1; None for one over the limit."""
    out: list[tuple[int, bytes | None]] = []
    for number, line in enumerate(data.split(b"\n"), 1):
        if len(line) > limit:
            out.append((number, None))
        elif line.strip():
            out.append((number, line))
    return out


def _read(source: io.BufferedIOBase | io.BytesIO, limit: int) -> list[tuple[int, bytes | None]]:
    out: list[tuple[int, bytes | None]] = []
    for chunk in cli_batch._chunks(source, limit):  # type: ignore[arg-type]
        assert chunk.data is None or len(chunk.data) <= cli_batch.CHUNK_BYTES or chunk.data.count(b"\n") <= 1
        out.extend(chunk.numbered())
    return out


_lines = st.lists(st.one_of(st.text("ab{} ", max_size=3 * LIMIT).map(str.encode), st.just(b""), st.just(b"  ")),
                  max_size=40)


@settings(max_examples=400, deadline=None)
@given(lines=_lines, read=st.integers(1, 40), chunk=st.integers(1, 60), ended=st.booleans())
def test_chunks_number_every_line_as_a_plain_split_does(lines: list[bytes], read: int, chunk: int, ended: bool,
                                                        ) -> None:
    data = b"\n".join(lines) + (b"\n" if ended and lines else b"")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cli_batch, "_READ", read)
        patch.setattr(cli_batch, "CHUNK_BYTES", chunk)
        assert _read(io.BytesIO(data), LIMIT) == _naive(data, LIMIT)


def test_chunks_from_a_pipe_are_the_lines_as_they_come() -> None:
    """A stream written a little at a time: each chunk ends where the input made the reader wait."""
    lines = [b'{"n": %d}' % i for i in range(200)]
    there, here = os.pipe()
    written = threading.Event()

    def write() -> None:
        with os.fdopen(here, "wb", buffering=0) as sink:
            for i in range(0, len(lines), 50):
                sink.write(b"\n".join(lines[i:i + 50]) + b"\n")
                written.wait(0.05)

    writer = threading.Thread(target=write)
    writer.start()
    with os.fdopen(there, "rb", buffering=0) as source:
        chunks = list(cli_batch._chunks(source, 1 << 20))  # type: ignore[arg-type]
    writer.join()
    numbered = [item for chunk in chunks for item in chunk.numbered()]
    assert numbered == [(i + 1, line) for i, line in enumerate(lines)]
    assert any(chunk.waited for chunk in chunks)


def test_a_line_that_never_ends_is_reported_and_then_ends_the_run() -> None:
    source = io.BytesIO(b'{"ok": 1}\n' + b"x" * (cli_batch.RUN_ON * LIMIT + 100))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cli_batch, "_READ", 16)
        found = []
        with pytest.raises(InputTooLarge):
            for chunk in cli_batch._chunks(source, LIMIT):  # type: ignore[arg-type]
                found.extend(chunk.numbered())
    assert found == [(1, b'{"ok": 1}'), (2, None)]
