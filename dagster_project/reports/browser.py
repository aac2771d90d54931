"""Opens a report in Debian's headless Chromium, as a reader would, and says what happened.

Used by the report's browser test and to take the screenshot in docs/:

    python -m dagster_project.reports.browser warehouse/reports/2023-Q4/index.html docs/report-2023-Q4.png

It speaks the Chrome DevTools protocol over a websocket (the `websockets`
package comes with dagster-webserver), so it needs no driver: it collects
console errors, uncaught exceptions, error log entries (a blocked or failed
load is one) and every request the page makes, then evaluates expressions in
the page and captures a full-page screenshot.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from websockets.sync.client import ClientConnection, connect

CHROMIUM = Path("/usr/bin/chromium")
WINDOW_WIDTH, WINDOW_HEIGHT = 1280, 900
STARTUP_TIMEOUT = 30.0  # seconds: a cold start on a small CI machine
REPLY_TIMEOUT = 60.0
QUIET_PERIOD = 0.5  # seconds without events after the load event: the page has settled
LOCAL_SCHEMES = ("file:", "data:", "about:")


class BrowserError(RuntimeError):
    """Chromium did not start, or answered a command with an error."""


@dataclasses.dataclass
class PageVisit:
    """What happened while a page loaded: its errors and the addresses it requested."""

    url: str
    errors: list[str] = dataclasses.field(default_factory=list)
    requests: list[str] = dataclasses.field(default_factory=list)

    @property
    def remote_requests(self) -> list[str]:
        """The requests that would leave the machine: anything but file:, data: and about:."""
        return [url for url in self.requests if not url.startswith(LOCAL_SCHEMES)]


class HeadlessChromium:
    """One headless Chromium process with one tab, driven over the DevTools protocol. Use as a context manager."""

    def __init__(self, executable: Path = CHROMIUM):
        self.executable = executable
        self._profile = Path(tempfile.mkdtemp(prefix="bts-chromium-"))
        self._process: subprocess.Popen[bytes] | None = None
        self._socket: ClientConnection | None = None
        self._connections = contextlib.ExitStack()
        self._session: str | None = None
        self._next_id = 0
        self._events: list[dict[str, Any]] = []

    def __enter__(self) -> "HeadlessChromium":
        log = open(self._profile / "chromium.log", "wb")  # noqa: SIM115 - closed with the process in __exit__
        self._process = subprocess.Popen(
            [
                str(self.executable), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-extensions", "--remote-debugging-port=0", f"--user-data-dir={self._profile}",
                f"--window-size={WINDOW_WIDTH},{WINDOW_HEIGHT}", "about:blank",
            ],
            stdout=log,
            stderr=log,
        )
        log.close()
        try:
            # proxy=None: the DevTools socket is on this machine, never behind a proxy from the environment.
            self._socket = self._connections.enter_context(
                connect(self._devtools_url(), max_size=None, proxy=None, open_timeout=STARTUP_TIMEOUT)
            )
            target = self._command("Target.createTarget", {"url": "about:blank"})
            self._session = self._command("Target.attachToTarget", {"targetId": target["targetId"], "flatten": True})[
                "sessionId"
            ]
            for domain in ("Runtime", "Log", "Network", "Page"):
                self._command(f"{domain}.enable")
            self._command("Emulation.setDeviceMetricsOverride",
                          {"width": WINDOW_WIDTH, "height": WINDOW_HEIGHT, "deviceScaleFactor": 1, "mobile": False})
        except BaseException:
            self.__exit__(*sys.exc_info())
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._connections.close()
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        shutil.rmtree(self._profile, ignore_errors=True)

    def _devtools_url(self) -> str:
        """Chromium writes its DevTools port and path to a file in the profile once it listens."""
        port_file = self._profile / "DevToolsActivePort"
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                break
            lines = port_file.read_text().split() if port_file.exists() else []
            if len(lines) >= 2:
                return f"ws://127.0.0.1:{lines[0]}{lines[1]}"
            time.sleep(0.1)
        log = (self._profile / "chromium.log").read_text(errors="replace")[-2000:]
        raise BrowserError(f"{self.executable} did not open its DevTools port within {STARTUP_TIMEOUT:.0f} s:\n{log}")

    def _command(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Sends one command and returns its result; events that arrive meanwhile are kept."""
        assert self._socket is not None
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if self._session and not method.startswith("Target."):
            message["sessionId"] = self._session
        self._socket.send(json.dumps(message))
        while True:
            reply = json.loads(self._socket.recv(timeout=REPLY_TIMEOUT))
            if reply.get("id") != self._next_id:
                self._events.append(reply)
                continue
            if "error" in reply:
                raise BrowserError(f"{method}: {reply['error'].get('message')}")
            return reply.get("result", {})

    def _wait_for(self, event: str) -> None:
        assert self._socket is not None
        deadline = time.monotonic() + REPLY_TIMEOUT
        while not any(message.get("method") == event for message in self._events):
            if time.monotonic() > deadline:
                raise BrowserError(f"no {event} within {REPLY_TIMEOUT:.0f} s")
            self._events.append(json.loads(self._socket.recv(timeout=REPLY_TIMEOUT)))

    def _settle(self) -> None:
        """Keeps reading events until the page has been quiet for QUIET_PERIOD."""
        assert self._socket is not None
        while True:
            try:
                self._events.append(json.loads(self._socket.recv(timeout=QUIET_PERIOD)))
            except TimeoutError:
                return

    def open(self, html_path: Path) -> PageVisit:
        """Loads the file and returns what the page logged and requested while loading."""
        url = Path(html_path).resolve().as_uri()
        self._events.clear()
        self._command("Page.navigate", {"url": url})
        self._wait_for("Page.loadEventFired")
        self._settle()
        visit = PageVisit(url=url)
        for message in self._events:
            method, params = message.get("method"), message.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                visit.errors.append("console: " + " ".join(
                    str(argument.get("value", argument.get("description", ""))) for argument in params.get("args", [])
                ))
            elif method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                description = details.get("exception", {}).get("description", details.get("text", ""))
                visit.errors.append(f"exception: {description}")
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                entry = params["entry"]
                visit.errors.append(f"log: {entry.get('text')} {entry.get('url', '')}".strip())
            elif method == "Network.requestWillBeSent":
                visit.requests.append(params.get("request", {}).get("url", ""))
        return visit

    def evaluate(self, expression: str) -> Any:
        """The JSON value of a JavaScript expression evaluated in the page."""
        result = self._command("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            raise BrowserError(f"evaluating {expression[:80]!r}: {result['exceptionDetails'].get('text')}")
        return result["result"].get("value")

    def screenshot(self, png_path: Path) -> Path:
        """Writes a PNG of the whole page, WINDOW_WIDTH wide, and returns its path."""
        size = self._command("Page.getLayoutMetrics")["cssContentSize"]
        image = self._command("Page.captureScreenshot", {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": WINDOW_WIDTH, "height": size["height"], "scale": 1},
        })
        png_path = Path(png_path)
        png_path.parent.mkdir(parents=True, exist_ok=True)
        png_path.write_bytes(base64.b64decode(image["data"]))
        return png_path


def main(argv: list[str] | None = None) -> int:
    """`python -m dagster_project.reports.browser REPORT.html SCREENSHOT.png`: opens the report, saves a screenshot,
    and exits non-zero when the page logged an error or requested anything from the network."""
    arguments = sys.argv[1:] if argv is None else argv
    if len(arguments) != 2:
        print(main.__doc__, file=sys.stderr)
        return 2
    with HeadlessChromium() as browser:
        visit = browser.open(Path(arguments[0]))
        browser.screenshot(Path(arguments[1]))
    for problem in visit.errors + [f"network request: {url}" for url in visit.remote_requests]:
        print(problem, file=sys.stderr)
    return 1 if visit.errors or visit.remote_requests else 0


if __name__ == "__main__":
    sys.exit(main())
