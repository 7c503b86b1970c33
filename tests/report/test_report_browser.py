"""The task-matrix page in a real headless Chromium: the summary, a click on a cell, the filters, the sort.

Chromium and its driver come from the distribution's packages (Debian's chromium and chromium-driver):
found on the machine, or installed by this test when apt-get can. The screenshot goes to
build/report/report.png.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from qiam.report import write_matrix_html

from .matrix_sample import SUGGESTION, sample

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
DRIVER = "/usr/bin/chromedriver"


def _found() -> tuple[str, str] | None:
    browser = next((p for p in CHROMIUM if os.access(p, os.X_OK)), shutil.which("chromium"))
    driver = DRIVER if os.access(DRIVER, os.X_OK) else shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


def _install() -> None:
    """Debian's chromium and chromium-driver (the package lists are fetched again if the install fails)."""
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", "chromium", "chromium-driver"]
    if subprocess.run(install, env=env, capture_output=True, timeout=600).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True, timeout=600)
        done = subprocess.run(install, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, f"apt-get install chromium chromium-driver failed:\n{done.stderr[-2000:]}"


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    webdriver = pytest.importorskip("selenium.webdriver")
    found = _found()
    if found is None:
        if shutil.which("apt-get") is None or os.geteuid() != 0:
            pytest.skip("no Chromium here, and no apt-get run as root to install the distribution's")
        _install()
        found = _found()
        assert found is not None, "chromium and chromium-driver were installed but are not found"
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = found[0]
    # No background traffic: the machines this runs on have no network but the package registries.
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1400,900",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium')}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(found[1]), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def big_sample(principals: int, tasks: int) -> dict[str, Any]:
    """A matrix of the size of a large organisation: every third cell denied, one principal in 97 broken."""
    names = [f"t{t}" for t in range(tasks)]
    people = [{"arn": f"arn:aws:iam::{100000000000 + i % 50}:role/role-{i:04d}", "kind": "role",
               "name": f"role-{i:04d}", "account": str(100000000000 + i % 50), "broken": i % 97 == 0,
               "diagnostics": []}
              for i in range(principals)]
    cells = [[{"task": n, "status": "broken" if i % 97 == 0 else "denied" if (i + t) % 3 == 0 else "allowed",
               "missing_actions": ["q:CreatePlugin"] * ((i + t) % 3 == 0), "blocked": [], "blockers": [],
               "suggestion": SUGGESTION if (i + t) % 3 == 0 else None, "diagnostics": []}
              for t, n in enumerate(names)] for i in range(principals)]
    summary = {n: {"allowed": 0, "denied": 0, "broken": 0} for n in names}
    for row in cells:
        for cell in row:
            summary[cell["task"]][cell["status"]] += 1
    return {"format": "qiam-task-matrix/1", "generated": "2026-12-01T10:00:00Z", "account_count": 50,
            "tasks": [{"name": n, "title": f"Task {n}"} for n in names], "principals": people, "cells": cells,
            "summary": summary, "diagnostics": []}


def _texts(browser: Any, css: str) -> list[str]:
    from selenium.webdriver.common.by import By

    return [e.text for e in browser.find_elements(By.CSS_SELECTOR, css) if e.is_displayed()]


def test_clicking_a_cell_shows_what_is_missing_and_the_fix(browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    page = tmp_path / "report.html"
    write_matrix_html(sample(), page)
    browser.get(page.as_uri())
    assert _texts(browser, "#summary b") == ["Configure third-party plugins", "Create and manage customizations",
                                            "Use the Amazon Q Developer console"]
    assert _texts(browser, "#summary .numbers") == ["1 allowed, 2 denied, 1 broken", "2 allowed, 1 denied, 1 broken",
                                                   "1 allowed, 2 denied, 1 broken"]
    assert browser.find_element(By.ID, "shown").text == "4 of 4 principals shown"
    assert not browser.find_element(By.ID, "detail").is_displayed()

    browser.find_element(By.CSS_SELECTOR, 'td.cell[data-principal="1"][data-task="plugins"]').click()
    assert browser.find_element(By.ID, "detail").is_displayed()
    assert browser.find_element(By.ID, "detail-title").text == "Configure third-party plugins"
    assert browser.find_element(By.ID, "detail-principal").text == "arn:aws:iam::111122223333:user/alice"
    assert browser.find_element(By.ID, "detail-where").text == "user in account 111122223333"
    assert browser.find_element(By.ID, "detail-status").text == "denied"
    assert _texts(browser, "#detail-missing li") == ["q:CreatePlugin", "q:GetPlugin"]
    assert _texts(browser, "#detail-blockers li") == [
        "q:DeletePlugin on * (explicitDeny): scp[1][0] p-denyq statement 0 (Sid DenyQ; line 3, column 5)"]
    assert json.loads(browser.find_element(By.ID, "detail-suggestion").text) == SUGGESTION
    assert not browser.find_element(By.ID, "detail-problems").is_displayed()
    shot = ROOT / "build" / "report" / "report.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(shot))

    # A broken cell: its diagnostics, nothing to grant.
    browser.find_element(By.CSS_SELECTOR, 'td.cell[data-principal="3"][data-task="customizations"]').click()
    assert browser.find_element(By.ID, "detail-status").text == "broken"
    assert _texts(browser, "#detail-diagnostics li") == ["inventory-dangling-group: group `gone`"]
    assert browser.find_element(By.ID, "detail-suggestion").text == "(none needed)"

    account = Select(browser.find_element(By.ID, "account-filter"))
    assert [o.text for o in account.options] == ["all", "111122223333", "444455556666"]
    account.select_by_value("444455556666")
    assert _texts(browser, "#matrix-body td.name") == ["bob", "carol"]
    assert browser.find_element(By.ID, "shown").text == "2 of 4 principals shown"
    account.select_by_value("")
    task = Select(browser.find_element(By.ID, "task-filter"))
    task.select_by_value("customizations")
    assert _texts(browser, "#matrix-head th.task") == ["Create and manage customizations"]
    assert {c.get_attribute("data-task") for c in browser.find_elements(By.CSS_SELECTOR, "td.cell")
            if c.is_displayed()} == {"customizations"}
    task.select_by_value("")
    assert len(_texts(browser, "#matrix-head th.task")) == 3
    browser.find_element(By.ID, "text-filter").send_keys("444455556666:user/b")
    assert _texts(browser, "#matrix-body td.name") == ["bob"]
    browser.find_element(By.ID, "text-filter").clear()
    browser.execute_script("document.getElementById('text-filter').dispatchEvent(new Event('input'))")
    assert len(_texts(browser, "#matrix-body td.name")) == 4

    # Sorting: names case-blind, then reversed; a task by status, then by how much is missing.
    assert _texts(browser, "#matrix-body td.name") == ["QAdmin", "alice", "bob", "carol"]
    browser.find_element(By.CSS_SELECTOR, 'th[data-sort="name"]').click()
    assert _texts(browser, "#matrix-body td.name") == ["alice", "bob", "carol", "QAdmin"]
    browser.find_element(By.CSS_SELECTOR, 'th[data-sort="name"]').click()
    assert _texts(browser, "#matrix-body td.name") == ["QAdmin", "carol", "bob", "alice"]
    browser.find_element(By.CSS_SELECTOR, 'th[data-task="plugins"]').click()
    assert _texts(browser, "#matrix-body td.name") == ["QAdmin", "bob", "alice", "carol"]


def test_six_thousand_principals_load_scroll_filter_and_sort(browser: Any, tmp_path: Path) -> None:
    """An organisation-sized matrix (6,000 principals x 7 tasks): only the rows in view are drawn, scrolling
    draws the others, and filtering and sorting answer at once."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    page = tmp_path / "big.html"
    write_matrix_html(big_sample(6000, 7), page)
    started = time.perf_counter()
    browser.get(page.as_uri())
    assert browser.find_element(By.ID, "shown").text == "6000 of 6000 principals shown"
    loaded = time.perf_counter() - started
    drawn = browser.execute_script("return document.querySelectorAll('#matrix-body tr[data-index]').length")
    assert 20 < drawn < 300
    browser.execute_script("const s = document.getElementById('matrix-scroll'); s.scrollTop = s.scrollHeight")
    WebDriverWait(browser, 5).until(lambda b: b.find_elements(By.CSS_SELECTOR, 'tr[data-index="5999"]'))
    browser.find_element(By.CSS_SELECTOR, 'td.cell[data-principal="5999"][data-task="t6"]').click()
    assert browser.find_element(By.ID, "detail-principal").text.endswith("role/role-5999")

    started = time.perf_counter()
    browser.find_element(By.ID, "text-filter").send_keys("role-059")
    assert browser.find_element(By.ID, "shown").text == "10 of 6000 principals shown"
    browser.find_element(By.CSS_SELECTOR, 'th[data-sort="name"]').click()
    browser.find_element(By.CSS_SELECTOR, 'th[data-sort="name"]').click()
    assert _texts(browser, "#matrix-body td.name") == [f"role-{i:04d}" for i in range(599, 589, -1)]
    answered = time.perf_counter() - started
    assert loaded < 8 and answered < 5, (loaded, answered)


def test_a_name_that_is_markup_shows_as_text(browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    evil = "</script><img src=x onerror=alert(1)><!--"
    page = tmp_path / "evil.html"
    write_matrix_html(sample(evil), page)
    browser.get(page.as_uri())  # (an alert would fail every command after this one)
    assert browser.execute_script("return document.querySelectorAll('img, #matrix-body script').length") == 0
    assert _texts(browser, "#matrix-body td.name")[-1] == evil
    browser.find_element(By.CSS_SELECTOR, 'td.cell[data-principal="3"][data-task="plugins"]').click()
    assert browser.find_element(By.ID, "detail-principal").text.endswith(evil)


def test_a_real_inventory_page_opens_and_answers(browser: Any, tmp_path: Path) -> None:
    """`qiam tasks --inventory --html` on the bundled example: the page loads, and a cell shows its detail."""
    from selenium.webdriver.common.by import By

    from qiam.inventory import load
    from qiam.queries import task_matrix

    page = tmp_path / "inventory.html"
    write_matrix_html(task_matrix(load([ROOT / "examples" / "inventory"])), page)
    browser.get(page.as_uri())
    cells = browser.find_elements(By.CSS_SELECTOR, 'td.cell[data-status="denied"]')
    assert cells
    cells[0].click()
    assert browser.find_element(By.ID, "detail-missing").text
