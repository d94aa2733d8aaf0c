"""A minimal WebDriver client (urllib only) driving Debian's headless Chromium.

Used by the browser tests and by ``tests/report_screenshot.py``. Why WebDriver and not
``chromium --dump-dom``: scripts run through WebDriver are not subject to the page's
Content-Security-Policy (the report forbids every script), and chromedriver hands back the
browser's own console log, CSP violations and failed loads included.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
#: Without the background-networking ones Chromium waits on the closed network and hangs.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars"]


def chromedriver() -> str | None:
    """The chromedriver matching Debian's Chromium (package chromium-driver), if installed."""
    return shutil.which("chromedriver") or next(
        (p for p in ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver") if os.path.exists(p)), None)


def browser_missing() -> str | None:
    """Why the browser cannot run here (None when it can)."""
    if not CHROMIUM.exists():
        return "/usr/bin/chromium is absent (apt-get install chromium chromium-driver)"
    if chromedriver() is None:
        return "chromedriver is absent (apt-get install chromium-driver)"
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Browser:
    """One headless Chromium session: ``open(path)``, ``run(js)``, ``console()``,
    ``screenshot()``; use as a context manager so the browser always quits."""

    def __init__(self, width: int = 1280, height: int = 1600, timeout: float = 60.0) -> None:
        self.timeout = timeout
        self.port = _free_port()
        self.profile = tempfile.mkdtemp(prefix="crowdkit-chromium-")
        self.driver = subprocess.Popen([chromedriver() or "chromedriver", f"--port={self.port}"],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.session = ""
        try:
            self._wait_ready()
            options = {"binary": str(CHROMIUM), "args": [
                *FLAGS, f"--user-data-dir={self.profile}", f"--window-size={width},{height}"]}
            reply = self._call("POST", "/session", {"capabilities": {"alwaysMatch": {
                "browserName": "chrome", "goog:chromeOptions": options,
                "goog:loggingPrefs": {"browser": "ALL"}}}})
            self.session = reply["sessionId"]
        except BaseException:
            self.close()
            raise

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            try:
                if self._call("GET", "/status").get("ready"):
                    return
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.1)
        raise TimeoutError("chromedriver did not start")

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=data,
                                         method=method, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                reply = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            raise RuntimeError(f"WebDriver {method} {path}: {exc.read()[:500]!r}") from None
        value = reply.get("value", reply)
        return value if path != "/session" else value

    def _session_call(self, method: str, path: str, body: Any = None) -> Any:
        return self._call(method, f"/session/{self.session}{path}", body)

    def open(self, path: str | os.PathLike[str]) -> None:
        """Load a local file and wait for its load event."""
        self._session_call("POST", "/url", {"url": Path(path).resolve().as_uri()})

    def run(self, script: str, *args: Any) -> Any:
        """The value of ``script`` (a function body) run in the page."""
        return self._session_call("POST", "/execute/sync", {"script": script, "args": list(args)})

    def console(self) -> list[dict[str, Any]]:
        """The browser's console entries since the last call (level, message)."""
        return self._session_call("POST", "/se/log", {"type": "browser"})

    def resize(self, width: int, height: int) -> None:
        """Set the window size (e.g. to the page's full height before a screenshot)."""
        self._session_call("POST", "/window/rect", {"width": width, "height": height})

    def full_height(self) -> int:
        """Height of the whole document in CSS pixels."""
        return int(self.run("return document.documentElement.scrollHeight;"))

    def screenshot(self) -> bytes:
        """PNG of the viewport."""
        return base64.b64decode(self._session_call("GET", "/screenshot"))

    def close(self) -> None:
        if self.session:
            try:
                self._session_call("DELETE", "")
            except Exception:
                pass
            self.session = ""
        self.driver.terminate()
        try:
            self.driver.wait(10)
        except subprocess.TimeoutExpired:
            self.driver.kill()
            self.driver.wait()
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> "Browser":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


#: For every <img>: whether it decoded (naturalWidth) and has a visible box on the page.
IMAGE_CHECK = """
return Array.from(document.images).map(function (img) {
  var box = img.getBoundingClientRect();
  var style = window.getComputedStyle(img);
  return {alt: img.alt, complete: img.complete, naturalWidth: img.naturalWidth,
          width: box.width, height: box.height,
          visible: style.visibility !== 'hidden' && style.display !== 'none'};
});
"""
