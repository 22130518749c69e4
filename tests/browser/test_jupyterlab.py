"""The notebooks with widgets, run in JupyterLab in a real browser (Debian's Chromium, driven by playwright).

    make test-browser        # needs `apt-get install chromium`; CI installs it (.ci/run)

Each notebook is run with Run All in a JupyterLab server (offline profile, the test harness's network guard in
its kernels, widgets live); then: no error and no stderr output, every widget rendered (no "Loading widget",
no "Error displaying widget"), and the sliders and the upload box answer. Screenshots of every notebook go to
``build/screenshots/``. Skipped unless ``COURSE_BROWSER=1`` (``make test-browser`` sets it); with it set, a
missing Chromium or playwright is a failure, not a skip.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent.parent
CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = REPO / "build" / "screenshots"
RUN_TIMEOUT_S = int(os.environ.get("COURSE_BROWSER_TIMEOUT", "300"))

pytestmark = pytest.mark.skipif(os.environ.get("COURSE_BROWSER") != "1",
                                reason="the browser test runs with `make test-browser` (COURSE_BROWSER=1)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _settings(folder: Path) -> Path:
    """JupyterLab settings for the test: no autosave, every cell rendered (no windowing)."""
    overrides = {
        "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
        "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    }  # no news pop-up: the app settings `make lab` installs (_app_settings) switch it off
    for name, values in overrides.items():
        plugin, file = name.split(".jupyterlab-settings")[0].rsplit("/", 1)
        path = folder / plugin / f"{file}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    return folder


def _app_settings(folder: Path) -> Path:
    """JupyterLab's app settings as `make lab` installs them: the course's overrides.json (no news pop-up)."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "scripts" / "jupyterlab_overrides.json", folder / "overrides.json")
    return folder


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on a copy of notebooks/ (so nothing is saved into the repository); yields its URL."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `apt-get install chromium` (CI installs it in .ci/run)")
    root = tmp_path_factory.mktemp("lab")
    for notebook in (REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"):
        shutil.copy(notebook, root)
    token, port = secrets.token_hex(16), _free_port()
    env = {**os.environ, "COURSE_PROFILE": "offline", "COURSE_HEADLESS": "0",
           "JUPYTERLAB_SETTINGS_DIR": str(_settings(root / ".settings"))}
    env.pop("PYTEST_CURRENT_TEST", None)
    for test_only in ("COURSE_DETERMINISTIC", "MPLBACKEND"):  # a learner's run: inline figures, no op determinism
        env.pop(test_only, None)
    log = open(root / "lab.log", "w")
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "jupyter"), "lab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}", "--allow-root",
         f"--LabApp.app_settings_dir={_app_settings(root / '.app-settings')}"],
        env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=1)
            break
        except OSError:
            time.sleep(0.5)
    else:
        server.terminate()
        pytest.fail(f"JupyterLab did not start:\n{(root / 'lab.log').read_text()[-3000:]}")
    yield url, token
    server.terminate()
    server.wait(timeout=30)


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is missing: pip install -r requirements-browser.txt (make test-browser does it)")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        yield chromium
        chromium.close()


PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"
"""The notebook on screen (JupyterLab keeps other tabs in the page, hidden)."""
PROMPTS = f"[...document.querySelectorAll('{PANEL} .jp-CodeCell .jp-InputPrompt')].map(e => e.textContent)"
STARTED = f"() => {PROMPTS}.some(t => /\\[(\\*|\\d+)\\]/.test(t))"
ALL_DONE = f"""() => {{
  const prompts = {PROMPTS};
  const done = prompts.length > 0 && prompts.every(t => /\\[\\d+\\]/.test(t));
  const failed = document.querySelector("{PANEL} [data-mime-type='application/vnd.jupyter.stderr']") !== null;
  return done || (failed && !prompts.some(t => t.includes('*')));
}}"""


def run_all(browser, lab, notebook: str):
    """Open ``notebook`` in JupyterLab, Run All, wait until every code cell has run (or one failed)."""
    url, token = lab
    page = browser.new_page(viewport={"width": 1400, "height": 1800})
    page.goto(f"{url}/lab/tree/{notebook}?token={token}&reset")  # reset: no tabs restored from a previous test
    page.wait_for_selector(f"{PANEL} .jp-CodeCell", timeout=60_000)
    page.wait_for_timeout(1500)
    dialog = page.locator(".jp-Dialog")
    if dialog.count():  # JupyterLab asks only when the notebook's kernel (python3) is not the obvious choice
        pytest.fail(f"JupyterLab asked for a kernel: {dialog.inner_text()[:300]!r}; the notebooks ask for python3, "
                    "which must be this environment's own kernel")
    page.get_by_text(re.compile(r"Python 3 \(ipykernel\) \| Idle")).wait_for(timeout=120_000)
    assert page.get_by_text("official Jupyter news").count() == 0, "JupyterLab asks about news: see `make lab`"
    for _ in range(5):  # a Run All sent while the kernel is still connecting is dropped: send it again
        page.locator(".lm-MenuBar-itemLabel", has_text=re.compile("^Run$")).click()
        page.locator(".lm-Menu-itemLabel", has_text=re.compile("^Run All Cells$")).click()
        try:
            page.wait_for_function(STARTED, timeout=20_000, polling=500)
            break
        except Exception:  # noqa: BLE001
            continue
    try:
        page.wait_for_function(ALL_DONE, timeout=RUN_TIMEOUT_S * 1000, polling=1000)
    except Exception:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{Path(notebook).stem}_timeout.png"), full_page=True)
        prompts = page.locator(f"{PANEL} .jp-CodeCell .jp-InputPrompt").all_inner_texts()
        raise AssertionError(f"{notebook} did not finish in {RUN_TIMEOUT_S} s; prompts: {prompts}") from None
    page.wait_for_timeout(2000)  # the last widget views render after the kernel is idle
    return page


def screenshot_outputs(page, notebook: str) -> None:
    """A picture of every code cell with its output, ``build/screenshots/<notebook>/cell-NN.png``, to look at."""
    folder = SCREENSHOTS / notebook
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    cells = page.locator(f"{PANEL} .jp-Cell")
    for i in range(cells.count()):
        cell = cells.nth(i)
        if cell.locator(".jp-OutputArea-output").count():
            cell.scroll_into_view_if_needed()
            cell.screenshot(path=str(folder / f"cell-{i:02d}.png"))


def check_clean(page, notebook: str) -> None:
    """No error or stderr output, every widget rendered; screenshots in build/screenshots/."""
    screenshot_outputs(page, notebook)
    stderr = page.locator(f"{PANEL} .jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    assert stderr.count() == 0, f"{notebook}: stderr or error output:\n" + "\n".join(
        stderr.nth(i).text_content() or "" for i in range(stderr.count()))[:3000]
    for text in ("Loading widget", "Error displaying widget", "Error rendering", "Model not found"):
        assert page.get_by_text(text).count() == 0, f"{notebook}: a widget shows {text!r}"


def upload(page, path: Path) -> None:
    """Choose ``path`` in the notebook's upload box, as a learner does (click the button, pick the file)."""
    with page.expect_file_chooser() as chooser:
        page.locator(f"{PANEL} .widget-upload").last.click()
    chooser.value.set_files(str(path))


def slider_key(page, slider, key: str = "ArrowRight") -> None:
    """Move an ipywidgets slider one step with the keyboard, as a learner would."""
    handle = slider.locator(".noUi-handle, .ui-slider-handle").first
    handle.focus()
    handle.press(key)
    page.wait_for_timeout(1500)


def test_notebook_05_runs_clean_and_its_image_browser_answers(browser, lab):
    page = run_all(browser, lab, "05_train_the_new_head.ipynb")
    check_clean(page, "05")
    browser_box = page.locator(".widget-vbox").filter(has=page.locator(".widget-slider")).filter(
        has_text="Image #")
    assert browser_box.count() == 1 and browser_box.get_by_text(re.compile(r"#0 · true:")).count() == 1, \
        "the image browser is rendered"
    slider_key(page, browser_box.locator(".widget-slider"))
    assert browser_box.get_by_text(re.compile(r"#1 · true:")).count() == 1, "the slider moves the caption on"
    page.close()


def test_notebook_06_runs_clean_its_slider_previews_and_its_upload_box_classifies(browser, lab, tmp_path):
    page = run_all(browser, lab, "06_fine_tune.ipynb")
    check_clean(page, "06")
    counts = page.get_by_text(re.compile(r"^N = (\d+): trainable params"))
    assert counts.count() == 1, "the unfreeze slider shows its counts"
    before = counts.inner_text()
    slider_key(page, page.locator(".widget-slider").filter(has=page.get_by_text("N", exact=True)))
    assert counts.inner_text() != before, "the slider's counts follow it"
    from PIL import Image

    photo = tmp_path / "photo.png"
    Image.new("RGB", (90, 60), (200, 120, 40)).save(photo)
    upload(page, photo)
    page.get_by_text(re.compile(r"photo\.png: prediction")).wait_for(timeout=30_000)
    assert page.locator(".widget-image img, img.widget-image").count() >= 1, "the photo is shown"
    page.screenshot(path=str(SCREENSHOTS / "06_after_upload.png"), full_page=True)
    page.close()


def test_notebook_10_runs_clean_and_its_upload_box_classifies_a_photo(browser, lab, tmp_path):
    page = run_all(browser, lab, "10_your_own_images.ipynb")
    check_clean(page, "10")
    from PIL import Image

    photo = tmp_path / "my photo.jpg"
    Image.new("RGB", (120, 80), (30, 160, 90)).save(photo)
    upload(page, photo)
    page.get_by_text(re.compile(r"my photo\.jpg: prediction")).wait_for(timeout=30_000)
    page.close()
