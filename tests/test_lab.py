"""JupyterLab for analysts (`make lab`), as an analyst uses it: in a browser.

JupyterLab starts headless on a free port (a token, no browser, its own runtime, config and
data folders), serves a copy of a section notebook, and Debian's Chromium, driven by
Playwright, opens it, runs all cells from the Run menu and waits for the kernel to go idle.
The section's output is there and no cell failed. The server, and its kernels, are stopped
afterwards within a bounded time.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = "03_onboarding"
CAPTION = "Onboarding by body"  # the caption of the section's table of bodies
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
START_TIMEOUT = 90  # seconds for the server to answer
RUN_TIMEOUT = 180  # seconds for all cells to run
STOP_TIMEOUT = 20  # seconds for the server to stop after SIGTERM, before SIGKILL

pytestmark = pytest.mark.slow

# Lab settings for the test: every cell in the page (no virtual scrolling hides outputs), no news
# or update checks (nothing leaves the machine).
SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false", "checkForUpdates": False},
}


def _require(module: str) -> None:
    """Skip when ``module`` is missing, except in the repository's own .venv, where `make setup` installs it."""
    if importlib.util.find_spec(module) is None:
        if Path(sys.prefix).resolve() == (ROOT / ".venv").resolve():
            pytest.fail(f"{module} is missing from .venv: run make setup (it installs requirements-test.txt)")
        pytest.skip(f"{module} is not installed here (make setup installs it)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str, timeout: float = 5) -> dict | list:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.loads(response.read())


class Lab:
    """A JupyterLab server in its own process group, serving ``root``."""

    def __init__(self, root: Path, home: Path):
        self.port = _free_port()
        self.token = secrets.token_hex(16)
        self.base = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ)
        for name in ("runtime", "config", "data", "ipython", "cache"):
            (home / name).mkdir(parents=True, exist_ok=True)
        env.update(
            JUPYTER_RUNTIME_DIR=str(home / "runtime"),
            JUPYTER_CONFIG_DIR=str(home / "config"),
            JUPYTER_DATA_DIR=str(home / "data"),
            IPYTHONDIR=str(home / "ipython"),
            AUDIT_PIPELINE_CACHE=str(home / "cache"),
            JUPYTER_PLATFORM_DIRS="1",
        )
        settings = home / "config" / "lab" / "user-settings"
        for name, values in SETTINGS.items():
            path = settings / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values), encoding="utf-8")
        self.log = (home / "lab.log").open("w+b")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jupyterlab",
                "--no-browser",
                "--ServerApp.ip=127.0.0.1",
                f"--ServerApp.port={self.port}",
                "--ServerApp.port_retries=0",
                f"--IdentityProvider.token={self.token}",
                f"--ServerApp.root_dir={root}",
                f"--LabApp.user_settings_dir={settings}",
                f"--LabApp.workspaces_dir={home / 'workspaces'}",
                "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
                "--LabApp.extension_manager=readonly",
                *(["--allow-root"] if os.geteuid() == 0 else []),
            ],
            cwd=root,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"JupyterLab exited with {self.process.returncode}:\n{self.output()}")
            try:
                _get(f"{self.base}/api/status?token={self.token}", timeout=2)
                return
            except OSError:
                time.sleep(0.5)
        pytest.fail(f"JupyterLab did not answer within {START_TIMEOUT} s:\n{self.output()}")

    def kernels(self) -> list[dict]:
        """The server's kernels; none while it cannot say (it answers 500 now and then as a kernel starts)."""
        try:
            return _get(f"{self.base}/api/kernels?token={self.token}")
        except OSError:  # urllib's HTTPError and URLError included
            return []

    def output(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-4000:]

    def stop(self) -> None:
        """SIGTERM (the server shuts its kernels down), then SIGKILL to the whole group if it lingers."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=STOP_TIMEOUT)
        with contextlib.suppress(ProcessLookupError):  # the group: any kernel that outlived the server
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=STOP_TIMEOUT)
        self.log.close()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    _require("jupyterlab")
    root = tmp_path_factory.mktemp("lab-notebooks")
    for suffix in (".ipynb", ".py"):  # a copy: running cells in the lab never touches the real notebooks
        shutil.copy2(ROOT / "notebooks" / f"{NOTEBOOK}{suffix}", root)
    server = Lab(root, tmp_path_factory.mktemp("lab-home"))
    try:
        server.wait_ready()
        yield server
    finally:
        started = time.monotonic()
        server.stop()
        assert time.monotonic() - started < 2 * STOP_TIMEOUT + 5


@pytest.fixture(scope="module")
def page(lab):
    _require("playwright")
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: sudo apt-get install -y chromium (make test does this as root)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(60_000)
            yield page
        finally:
            browser.close()


def _prompts(page) -> list[str]:
    return page.eval_on_selector_all(".jp-CodeCell .jp-InputPrompt", "els => els.map(e => e.textContent.trim())")


def test_lab_runs_a_section_notebook(lab, page):
    page.goto(f"{lab.base}/lab/tree/{NOTEBOOK}.ipynb?token={lab.token}")
    code_cells = sum(c.cell_type == "code" for c in nbformat.read(ROOT / "notebooks" / f"{NOTEBOOK}.ipynb", 4).cells)
    page.locator(".jp-NotebookPanel .jp-CodeCell").nth(code_cells - 1).wait_for()
    page.wait_for_function(
        "n => document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell').length === n", arg=code_cells
    )

    deadline = time.monotonic() + START_TIMEOUT  # the kernel starts; Run All before it is ready runs nothing
    while not any(k["execution_state"] == "idle" for k in lab.kernels()):
        if time.monotonic() > deadline:
            pytest.fail(f"the notebook's kernel was not ready within {START_TIMEOUT} s: {lab.kernels()}")
        page.wait_for_timeout(500)

    page.locator(".lm-MenuBar-item", has_text="Run").first.click()
    page.locator('.lm-Menu-item[data-command="runmenu:run-all"]').click()

    deadline = time.monotonic() + RUN_TIMEOUT
    while time.monotonic() < deadline:
        prompts = _prompts(page)
        kernels = lab.kernels()
        ran = len(prompts) == code_cells and all(p not in ("[ ]:", "[*]:", "") for p in prompts)
        if ran and kernels and all(k["execution_state"] == "idle" for k in kernels):
            break
        page.wait_for_timeout(500)
    else:
        pytest.fail(f"cells did not finish within {RUN_TIMEOUT} s: prompts {_prompts(page)}, kernels {lab.kernels()}")

    outputs = page.locator(".jp-NotebookPanel .jp-OutputArea-output")
    errors = [
        text
        for text in page.eval_on_selector_all(
            '.jp-NotebookPanel .jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]',
            "els => els.map(e => e.textContent)",
        )
        if "Traceback" in text or "Error" in text
    ]
    assert errors == [], "\n\n".join(errors)
    captions = page.eval_on_selector_all(
        ".jp-NotebookPanel .jp-OutputArea-output caption", "els => els.map(e => e.textContent)"
    )
    assert any(CAPTION in c for c in captions), captions
    assert page.locator(".jp-NotebookPanel .jp-OutputArea-output img").count() >= 1  # the onboarding chart
    assert outputs.count() >= 4  # the text, the chart and the two tables
    assert [p for p in _prompts(page) if not p.startswith("[")] == []
