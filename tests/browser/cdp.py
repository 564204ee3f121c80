"""A headless Chromium driven over the DevTools protocol: just enough for the browser tests.

Synchronous on purpose: one websocket to the browser, commands answered in order,
events kept per session so a test can read what the browser really sent.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from support import stop_group

# Required on this machine (root, no GPU, no network beyond loopback).
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-proxy-server", "--mute-audio", "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
]
Json = dict[str, Any]


class CDPError(Exception):
    """A DevTools command failed, or the page threw."""


def chromium_binary() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None


class Browser:
    """One websocket to the browser target; pages attach as flattened sessions."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self._next_id = 0
        self.events: list[Json] = []

    def call(self, method: str, params: Json | None = None, *, session: str | None = None,
             timeout_s: float = 30) -> Json:
        self._next_id += 1
        message: Json = {"id": self._next_id, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        self.ws.send(json.dumps(message))
        deadline = time.monotonic() + timeout_s
        while True:
            reply = self._receive(deadline - time.monotonic())
            if reply is None:
                raise CDPError(f"{method}: no answer within {timeout_s} s")
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise CDPError(f"{method}: {reply['error']}")
                result: Json = reply.get("result", {})
                return result

    def pump(self, seconds: float) -> None:
        """Collect the events that arrive within `seconds`."""
        deadline = time.monotonic() + seconds
        while self._receive(deadline - time.monotonic()) is not None:
            pass

    def _receive(self, timeout_s: float) -> Json | None:
        try:
            raw = self.ws.recv(timeout=max(0.0, timeout_s))
        except TimeoutError:
            return None
        message: Json = json.loads(raw)
        if "method" in message:
            self.events.append(message)
        return message

    @contextlib.contextmanager
    def page(self) -> Iterator[Page]:
        """A tab in a fresh browser context: its own cookies and cache."""
        context = self.call("Target.createBrowserContext")["browserContextId"]
        target = self.call("Target.createTarget",
                           {"url": "about:blank", "browserContextId": context})["targetId"]
        session = self.call("Target.attachToTarget",
                            {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, session)
        try:
            page.call("Page.enable")
            page.call("Network.enable")
            page.call("Runtime.enable")
            yield page
        finally:
            with contextlib.suppress(CDPError, ConnectionClosed):
                self.call("Target.closeTarget", {"targetId": target})
                self.call("Target.disposeBrowserContext", {"browserContextId": context})


@dataclass
class Exchange:
    """One request as the network stack saw it: real headers sent, status received."""

    url: str
    method: str = ""
    resource_type: str = ""
    sent_headers: dict[str, str] = field(default_factory=dict)
    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    failed: str | None = None


@dataclass
class Page:
    browser: Browser
    session: str

    def call(self, method: str, params: Json | None = None, *, timeout_s: float = 30) -> Json:
        return self.browser.call(method, params, session=self.session, timeout_s=timeout_s)

    def navigate(self, url: str, *, timeout_s: float = 30) -> None:
        started = len(self.browser.events)
        result = self.call("Page.navigate", {"url": url})
        if result.get("errorText"):
            raise CDPError(f"navigate {url}: {result['errorText']}")
        deadline = time.monotonic() + timeout_s
        while not any(e["method"] == "Page.loadEventFired" and e.get("sessionId") == self.session
                      for e in self.browser.events[started:]):
            if time.monotonic() > deadline:
                raise CDPError(f"navigate {url}: no load event within {timeout_s} s")
            self.browser.pump(0.1)

    def evaluate(self, expression: str, *, timeout_s: float = 60) -> Any:
        """Run JS in the page (promises awaited) and return its JSON value."""
        result = self.call("Runtime.evaluate", {
            "expression": expression, "awaitPromise": True, "returnByValue": True,
        }, timeout_s=timeout_s)
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            raise CDPError(f"page threw: {text}")
        return result["result"].get("value")

    def set_cookie(self, name: str, value: str, url: str, **attributes: Any) -> None:
        result = self.call("Network.setCookie",
                           {"name": name, "value": value, "url": url, **attributes})
        if not result.get("success", True):
            raise CDPError(f"cookie {name} refused by the browser")

    def exchanges(self, url_part: str) -> list[Exchange]:
        """Every request whose URL contains `url_part`, in the order it was sent."""
        self.browser.pump(0.2)  # ExtraInfo events may trail the ones they complete
        found: dict[str, Exchange] = {}
        for event in self.browser.events:
            if event.get("sessionId") != self.session:
                continue
            _merge(found, event["method"], event["params"])
        return [x for x in found.values() if url_part in x.url]


def _merge(found: dict[str, Exchange], method: str, p: Json) -> None:
    request_id = p.get("requestId")
    if not request_id or not method.startswith("Network."):
        return
    if method == "Network.requestWillBeSent":
        exchange = found.setdefault(request_id, Exchange(p["request"]["url"]))
        exchange.url = p["request"]["url"]
        exchange.method = p["request"]["method"]
        exchange.resource_type = p.get("type", "")
        # What the page asked for; the ExtraInfo event adds what the network stack sent.
        for name, value in p["request"]["headers"].items():
            exchange.sent_headers.setdefault(name.lower(), value)
    elif request_id not in found:
        found[request_id] = Exchange("")  # ExtraInfo may come before the request event
    if method == "Network.requestWillBeSentExtraInfo":
        found[request_id].sent_headers.update({k.lower(): v for k, v in p["headers"].items()})
    elif method == "Network.responseReceivedExtraInfo":
        found[request_id].status = p["statusCode"]
        found[request_id].response_headers.update({k.lower(): v for k, v in p["headers"].items()})
    elif method == "Network.responseReceived":
        found[request_id].status = p["response"]["status"]
        for name, value in p["response"]["headers"].items():
            found[request_id].response_headers.setdefault(name.lower(), value)
    elif method == "Network.loadingFailed":
        found[request_id].failed = p.get("errorText") or "failed"


@contextlib.contextmanager
def launch(binary: str, workdir: Path, *, timeout_s: float = 60) -> Iterator[Browser]:
    """Start headless Chromium with a fresh profile; connect to its DevTools socket."""
    profile = workdir / "profile"
    (profile / "Default").mkdir(parents=True)
    # Headless Chromium blocks third-party cookies by default; allow them so the
    # cross-site test shows the *gateway* refusing a cookie the browser did send.
    (profile / "Default" / "Preferences").write_text(json.dumps(
        {"profile": {"cookie_controls_mode": 0, "block_third_party_cookies": False}}))
    log_path = workdir / "chromium.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [binary, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        url = _devtools_url(profile, process, log_path, timeout_s)
        with connect(url, max_size=None, open_timeout=timeout_s) as ws:
            yield Browser(ws)
    finally:
        stop_group(process)


def _devtools_url(profile: Path, process: subprocess.Popen[bytes], log_path: Path,
                  timeout_s: float) -> str:
    """Chromium writes its chosen port and browser path to DevToolsActivePort."""
    marker = profile / "DevToolsActivePort"
    deadline = time.monotonic() + timeout_s
    while True:
        if marker.exists():
            lines = marker.read_text().split()
            if len(lines) >= 2:
                return f"ws://127.0.0.1:{lines[0]}{lines[1]}"
        if process.poll() is not None or time.monotonic() > deadline:
            tail = log_path.read_text(errors="replace")[-3000:]
            raise CDPError(f"chromium did not open DevTools:\n{tail}")
        time.sleep(0.05)
