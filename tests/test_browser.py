"""A real browser (Debian chromium, headless) against a real Datasette server.

Searches 解約, opens a clause page, follows a reference link; screenshots go to test-artifacts/.
Skipped when /usr/bin/chromium or chromedriver is missing (install: chromium chromium-driver
fonts-noto-cjk; .ci/run does it).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from versions.cli.serve_cmd import datasette_args
from versions.kb.build import ROOT, build
from versions.sources.corpus import DEFAULT_CORPUS

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
ARTIFACTS = ROOT / "test-artifacts"

if not CHROMIUM.exists() or not Path(CHROMEDRIVER).exists():
    pytest.skip("needs Debian chromium and chromedriver", allow_module_level=True)

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    path = tmp_path_factory.getbasetemp() / "kb" / "yakkan.db"
    path.parent.mkdir(exist_ok=True)
    build(DEFAULT_CORPUS, path)
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "datasette", *datasette_args(path, "127.0.0.1", port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):  # up to ~30 s: the site loads the embedding model at startup
            try:
                urllib.request.urlopen(url + "/-/yakkan", timeout=1).read()
                break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError(proc.stderr.read().decode() if proc.stderr else "") from None
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    profile = tempfile.mkdtemp(prefix="yakkan-chromium-")
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--window-size=1280,1600",
        "--lang=ja",
    ):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(CHROMEDRIVER))
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def shot(driver: Any, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    driver.save_screenshot(str(path))
    return path


def test_search_open_clause_follow_reference(server: str, browser: Any) -> None:
    browser.get(server + "/-/yakkan")
    box = browser.find_element(By.NAME, "q")
    box.send_keys("解約")
    box.submit()
    WebDriverWait(browser, 10).until(lambda d: "/-/yakkan/search" in d.current_url)
    hits = browser.find_elements(By.CSS_SELECTOR, "a.hit-link")
    assert hits, "searching 解約 returns clauses"
    marks = browser.find_elements(By.CSS_SELECTOR, ".snippet mark")
    assert any(m.text == "解約" for m in marks)
    shot(browser, "browser-search.png")
    urls = [h.get_attribute("href") for h in hits]
    for url in urls:  # the first hit whose clause page cites another clause
        browser.get(url)
        refs = browser.find_elements(By.CSS_SELECTOR, "ul.refs-from a.ref")
        if refs:
            break
    else:
        pytest.fail("no clause found by 解約 cites another clause")
    heading = browser.find_element(By.TAG_NAME, "h1").text
    assert heading
    shot(browser, "browser-clause.png")
    target = refs[0].get_attribute("href")
    refs[0].click()
    WebDriverWait(browser, 10).until(lambda d: d.current_url == target)
    assert "/-/yakkan/clause/" in browser.current_url
    assert browser.find_element(By.TAG_NAME, "h1").text
    assert browser.find_elements(By.CSS_SELECTOR, "ul.refs-to a.ref"), (
        "the target lists who cites it"
    )
    assert shot(browser, "browser-reference.png").stat().st_size > 10_000


def test_diff_form_pickers_do_not_overlap(server: str, browser: Any) -> None:
    # Datasette's `form label {width: 15%}` squeezed the 改正前/改正後 pickers over each other.
    browser.set_window_size(1300, 900)
    browser.get(server + "/-/yakkan/diff?old=toreru-camera@2023-12-01&new=toreru-camera@2024-10-01")
    old, new = browser.find_elements(By.CSS_SELECTOR, "form select")
    checkbox = browser.find_element(By.CSS_SELECTOR, "form input[type=checkbox]")
    boxes = [(e.rect["x"], e.rect["x"] + e.rect["width"]) for e in (old, new, checkbox)]
    assert boxes[0][1] <= boxes[1][0] and boxes[1][1] <= boxes[2][0], boxes
    for select in (old, new):  # the whole version id is visible
        assert select.rect["width"] >= 200, select.rect
    shot(browser, "browser-diff-form.png")


def test_legal_path_home_document_taiyo_article_history(server: str, browser: Any) -> None:
    """home → document → 新旧対照表 (the pickers' defaults: previous → latest) → a changed article
    → its history, by clicking only."""
    browser.set_window_size(1280, 1600)
    browser.get(server + "/-/yakkan")
    browser.find_element(By.LINK_TEXT, "「クラウド型カメラとれ～る」利用規約").click()
    WebDriverWait(browser, 10).until(lambda d: "/-/yakkan/doc/toreru-camera" in d.current_url)
    form = browser.find_element(By.CSS_SELECTOR, "form.yk-taiyo")
    form.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    WebDriverWait(browser, 10).until(lambda d: "/-/yakkan/diff" in d.current_url)
    url = browser.current_url
    assert "old=toreru-camera%402023-12-01" in url and "new=toreru-camera%402024-10-01" in url
    assert browser.find_elements(By.CSS_SELECTOR, "table.taiyo tbody tr")
    shot(browser, "browser-legal-taiyo.png")
    article = next(
        a
        for a in browser.find_elements(By.CSS_SELECTOR, "a.changed-article")
        if a.text.startswith("第20条")
    )
    article.click()
    WebDriverWait(browser, 10).until(lambda d: d.current_url.endswith("@2024-10-01/art_20"))
    assert "".join(browser.find_element(By.TAG_NAME, "h1").text.split()).startswith("第20条")
    compare = browser.find_element(By.CSS_SELECTOR, "a.compare-previous")
    assert "old=toreru-camera@2023-12-01" in str(compare.get_attribute("href"))
    compare.click()  # the 新旧対照表 again, scrolled to 第20条's row (a text fragment)
    WebDriverWait(browser, 10).until(lambda d: "/-/yakkan/diff" in d.current_url)
    WebDriverWait(browser, 10).until(lambda d: d.execute_script("return window.scrollY") > 0)
    shot(browser, "browser-legal-compare.png")
    browser.back()
    WebDriverWait(browser, 10).until(lambda d: d.current_url.endswith("@2024-10-01/art_20"))
    browser.find_element(By.CSS_SELECTOR, "a.clause-history").click()
    WebDriverWait(browser, 10).until(lambda d: "/-/yakkan/history" in d.current_url)
    rows = browser.find_elements(By.CSS_SELECTOR, "table tbody tr")
    assert len(rows) == 4  # the four versions of toreru-camera
    assert all("第20条" in "".join(r.text.split()) for r in rows)
    assert "modified" in rows[1].text  # 2021-05-11: 書面 → 5営業日前
    assert shot(browser, "browser-legal-history.png").stat().st_size > 10_000
