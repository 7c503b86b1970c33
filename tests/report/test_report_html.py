"""The task-matrix page without a browser: self-contained, its data whole, no name turned into markup."""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import MappingProxyType

from qiam.report import matrix_html, write_matrix_html

from .matrix_sample import sample

EVIL = "</script><img src=x onerror=alert(1)><!--"


def _data(page: str) -> object:
    found = re.search(r'<script type="application/json" id="matrix-data">(.*?)</script>', page, re.S)
    assert found is not None
    return json.loads(found.group(1))


def test_the_page_needs_nothing_from_the_network() -> None:
    page = matrix_html(sample())
    assert "http://" not in page and "https://" not in page
    assert not re.search(r"\b(src|href)\s*=", page)
    assert "<link" not in page and "@import" not in page


def test_the_data_round_trips() -> None:
    matrix = sample()
    assert _data(matrix_html(matrix)) == matrix


def test_a_name_cannot_end_the_data_or_become_markup() -> None:
    matrix = sample(EVIL)
    page = matrix_html(matrix)
    assert page.count("</script>") == 2  # the data's and the code's, no more
    assert "<img" not in page and "<!--" not in page
    assert _data(page) == matrix
    assert "innerHTML" not in page


def test_read_only_mappings_are_written_as_objects(tmp_path: Path) -> None:
    matrix = sample()
    frozen = {**matrix, "summary": MappingProxyType({k: MappingProxyType(v) for k, v in matrix["summary"].items()})}
    assert _data(matrix_html(frozen)) == matrix
    write_matrix_html(frozen, tmp_path / "page.html")
    assert (tmp_path / "page.html").read_text(encoding="utf-8") == matrix_html(matrix)


def test_an_empty_matrix_is_a_page() -> None:
    page = matrix_html({"format": "qiam-task-matrix/1", "tasks": [], "principals": [], "cells": [], "summary": {}})
    assert "0 principals in" in page and page.rstrip().endswith("</html>")
