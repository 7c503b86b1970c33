"""Every test here runs once per engine (the compiled cores and their pure-Python twins)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module", autouse=True)
def _engine(every_engine: str) -> str:
    return every_engine
