"""The task-matrix page in a real headless Chromium: the summary, a click on a cell, the filters, the sort.

Chromium and its driver come from the distribution's packages (Debian's chromium and chromium-driver):
found on the machine, or installed by this test when apt-get can. The screenshot goes to
build/report/report.png.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from qiam.report import write_matrix_html

from .matrix_sample import sample

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
    if subprocess.run(install, env=env, capture_output=True, timeout=900).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True, timeout=600)
        subprocess.run(install, env=env, capture_output=True, timeout=900, check=True)


@pytest.fixture(scope="module")
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


def test_clicking_a_cell_shows_what_is_missing_and_the_fix(browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    page = tmp_path / "report.html"
    write_matrix_html(sample(), page)
    browser.get(page.as_uri())
    numbers = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#summary .numbers")]
    assert numbers[0] == "1 allowed, 2 denied, 1 broken"
    assert not browser.find_element(By.ID, "detail").is_displayed()

    browser.find_element(By.CSS_SELECTOR, 'td.cell[data-principal="1"][data-task="plugins"]').click()
    assert browser.find_element(By.ID, "detail").is_displayed()
    assert browser.find_element(By.ID, "detail-title").text == "Configure third-party plugins"
    assert browser.find_element(By.ID, "detail-principal").text == "arn:aws:iam::111122223333:user/alice"
    assert browser.find_element(By.ID, "detail-status").text == "denied"
    missing = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#detail-missing li")]
    assert missing == ["q:CreatePlugin", "q:GetPlugin"]
    blockers = browser.find_element(By.ID, "detail-blockers").text
    assert "q:DeletePlugin" in blockers and "scp[1][0]" in blockers and "DenyQ" in blockers and "line 3" in blockers
    assert '"GrantPlugins"' in browser.find_element(By.ID, "detail-suggestion").text
    shot = ROOT / "build" / "report" / "report.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(shot))

    Select(browser.find_element(By.ID, "account-filter")).select_by_value("444455556666")
    shown = [r for r in browser.find_elements(By.CSS_SELECTOR, "#matrix-body tr") if r.is_displayed()]
    assert [r.get_attribute("data-account") for r in shown] == ["444455556666"] * 2
    Select(browser.find_element(By.ID, "account-filter")).select_by_value("")

    browser.find_element(By.CSS_SELECTOR, 'th[data-sort="name"]').click()
    names = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#matrix-body td.name")]
    assert names == sorted(names) and names != ["QAdmin", "alice", "bob", "carol"][::-1]
    browser.find_element(By.CSS_SELECTOR, 'th[data-sort="name"]').click()
    assert [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#matrix-body td.name")] == names[::-1]


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
