"""The version of qiam."""

from __future__ import annotations

__version__ = "0.1.0"
