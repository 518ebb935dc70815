"""A throwaway JupyterLab server for the browser tests that open notebooks in Lab.

Lab runs as ``make lab`` starts it, on 127.0.0.1 with no token, its settings,
workspaces and runtime files in a test's own folder, and settings that render
every cell (no virtual scrolling) and show no news pop-up.
"""

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from . import browser

SETTINGS = {  # every cell rendered (no virtual scrolling), no news pop-up
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_settings(folder):
    """SETTINGS as Lab reads them from JUPYTERLAB_SETTINGS_DIR=``folder``."""
    for plugin, values in SETTINGS.items():
        package, name = plugin.rsplit("/", 1)
        path = folder / package / f"{name}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))


def _up(url):
    try:
        urllib.request.urlopen(f"{url}/api/status", timeout=2)
        return True
    except OSError:
        return False


@contextlib.contextmanager
def running(work, root_dir, *options):
    """Yield the URL of a Lab serving ``root_dir``; ``work`` holds its files.

    ``options``: more command-line options. The test fails, with Lab's log, if
    Lab does not answer within 90 s. Lab is stopped on exit.
    """
    write_settings(work / "settings")
    port = free_port()
    env = dict(
        os.environ,
        JUPYTERLAB_SETTINGS_DIR=str(work / "settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(work / "workspaces"),
        JUPYTER_RUNTIME_DIR=str(work / "runtime"),
    )
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}",
        "--ServerApp.ip=127.0.0.1", "--ServerApp.token=", "--ServerApp.password=",
        f"--ServerApp.root_dir={root_dir}", "--allow-root", *options,
    ]  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    log_path = work / "lab.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            command, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            deadline = time.time() + 90
            while not _up(url) and time.time() < deadline:
                time.sleep(0.5)
            if not _up(url):
                pytest.fail(f"JupyterLab did not start: {log_path.read_text()}")
            yield url
        finally:
            server.terminate()
            server.wait(timeout=30)


def wait(driver, condition, seconds=60):
    """The first truthy ``condition()``, polled every 0.2 s (Lab is slow to render)."""
    return browser.wait(driver, condition, seconds, poll=0.2)
