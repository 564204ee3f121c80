"""A real headless Chromium uses the gateway the way a web chat client does.

The page comes from a second local origin; the token rides in the cookie on
`<img>` and `<video>`, and in a credentialed `fetch()` from a listed origin.
What the browser actually sent (cookie, Sec-Fetch-Site, Range) is read back
from the DevTools network events, so each test shows who refused what.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from browser_world import CLIP, CLIP_SECONDS, COOKIE, PICTURE, Web
from cdp import Page

pytestmark = pytest.mark.e2e

# Page-side helpers: each resolves (never rejects) to a plain JSON value.
HELPERS = """
window.loadImage = (src, crossOrigin) => new Promise(resolve => {
  const img = document.createElement('img');
  if (crossOrigin) img.crossOrigin = crossOrigin;
  img.onload = () => resolve({loaded: true, width: img.naturalWidth});
  img.onerror = () => resolve({loaded: false, width: img.naturalWidth});
  img.src = src;
  document.body.appendChild(img);
});
window.fetchBytes = async (url, init) => {
  try {
    const r = await fetch(url, init);
    const body = Array.from(new Uint8Array(await r.arrayBuffer()));
    return {status: r.status, headers: Object.fromEntries(r.headers), body};
  } catch (e) {
    return {error: `${e.name}: ${e.message}`};
  }
};
window.mediaEvent = (el, name, ms) => new Promise(resolve => {
  const timer = setTimeout(() => resolve({event: 'timeout', waitingFor: name}), ms);
  const done = event => { clearTimeout(timer); resolve({event}); };
  el.addEventListener(name, () => done(name), {once: true});
  el.addEventListener('error', () => done('error'), {once: true});
});
window.seekVideo = async (src, fromEnd) => {
  const v = document.createElement('video');
  v.preload = 'metadata';
  v.muted = true;
  document.body.appendChild(v);
  const state = extra => ({...extra, duration: v.duration, currentTime: v.currentTime,
                           error: v.error && v.error.code, readyState: v.readyState});
  const loaded = mediaEvent(v, 'loadedmetadata', 20000);
  v.src = src;
  const first = await loaded;
  if (first.event !== 'loadedmetadata') return state(first);
  const seeked = mediaEvent(v, 'seeked', 20000);
  v.currentTime = v.duration - fromEnd;
  return state(await seeked);
};
"""


def open_client(page: Page, origin: str) -> None:
    page.navigate(f"{origin}/index.html")
    page.evaluate(HELPERS)


def set_token_cookie(page: Page, web: Web, user: str, **attributes: Any) -> None:
    """The cookie a web client's login would set on the gateway's host (127.0.0.1)."""
    page.set_cookie(COOKIE, web.token(user), web.gateway.url, httpOnly=True, **attributes)


def call(page: Page, function: str, *args: Any) -> Any:
    return page.evaluate(f"{function}({', '.join(json.dumps(a) for a in args)})")


def test_listed_origin_shows_image_and_reads_ranges_with_cookie(page: Page, web: Web) -> None:
    set_token_cookie(page, web, "1")
    open_client(page, web.client)

    image = call(page, "loadImage", web.url(PICTURE))
    assert image == {"loaded": True, "width": 3}

    photo = web.files[PICTURE]
    got = call(page, "fetchBytes", web.url(PICTURE),
               {"credentials": "include", "headers": {"Range": "bytes=8-23"}})
    assert got["status"] == 206, got
    assert bytes(got["body"]) == photo[8:24]
    exposed = got["headers"]
    assert exposed["content-range"] == f"bytes 8-23/{len(photo)}"
    assert exposed["etag"].startswith('"')
    assert exposed["accept-ranges"] == "bytes"

    # If-Range is not CORS-safelisted: this one needs the preflight to pass first.
    resumed = call(page, "fetchBytes", web.url(PICTURE), {
        "credentials": "include",
        "headers": {"Range": "bytes=-4", "If-Range": exposed["etag"]},
    })
    assert resumed["status"] == 206, resumed
    assert bytes(resumed["body"]) == photo[-4:]

    # An active type goes out as an attachment; the page can read that it did.
    html = call(page, "fetchBytes", web.url("a/page.html"), {"credentials": "include"})
    assert html["status"] == 200, html
    assert html["headers"]["content-disposition"] == "attachment"

    sent = page.exchanges("/uploads/")
    assert sent, "the browser recorded no request to the gateway"
    for exchange in sent:
        if exchange.method == "OPTIONS":
            assert "cookie" not in exchange.sent_headers  # preflights carry no credentials
            continue
        assert exchange.sent_headers.get("sec-fetch-site") == "same-site", exchange
        assert f"{COOKIE}=" in exchange.sent_headers.get("cookie", ""), exchange
        # 304: the browser revalidating what the <img> put in its cache.
        assert exchange.status in (200, 206, 304), exchange


def test_video_element_seeks_through_ranges_with_cookie(page: Page, web: Web) -> None:
    set_token_cookie(page, web, "1")
    open_client(page, web.client)

    result = call(page, "seekVideo", web.url(CLIP), 3)

    assert result["event"] == "seeked", result
    assert result["error"] is None
    assert abs(result["duration"] - CLIP_SECONDS) < 1
    assert result["currentTime"] > CLIP_SECONDS - 4
    # The player aborts superseded requests, some before an answer or before the
    # network stack's own header list is reported; only the cookie could have
    # authorized any of them.
    media = [x for x in page.exchanges(CLIP) if x.method == "GET" and x.status is not None]
    assert media and all(x.status == 206 for x in media), media  # never a whole-file 200
    recorded = [x.sent_headers["cookie"] for x in media if "cookie" in x.sent_headers]
    assert recorded and all(f"{COOKIE}=" in c for c in recorded), media
    starts = [_range_start(x.sent_headers.get("range", "")) for x in media]
    # The seek near the end was served from a range request far into the file.
    assert max(starts) > len(web.files[CLIP]) // 2, starts


def test_unlisted_origin_gets_nothing(page: Page, web: Web) -> None:
    set_token_cookie(page, web, "1")
    open_client(page, web.stranger)

    with_cookie = call(page, "fetchBytes", web.url(PICTURE), {"credentials": "include"})
    assert with_cookie == {"error": "TypeError: Failed to fetch"}
    with_header = call(page, "fetchBytes", web.url(PICTURE),
                       {"headers": {"Authorization": f"Bearer {web.token('1')}"}})
    assert with_header == {"error": "TypeError: Failed to fetch"}
    readable_image = call(page, "loadImage", web.url(PICTURE), "use-credentials")
    assert readable_image == {"loaded": False, "width": 0}

    # The gateway answered, but never with a grant for this origin.
    for exchange in page.exchanges("/uploads/"):
        assert "access-control-allow-origin" not in exchange.response_headers, exchange
        assert "access-control-allow-credentials" not in exchange.response_headers, exchange


def test_revoked_member_gets_no_image(page: Page, web: Web) -> None:
    set_token_cookie(page, web, "4")
    open_client(page, web.client)
    assert call(page, "loadImage", web.url(PICTURE))["loaded"] is True

    web.sql("UPDATE chat_members SET left_at = CURRENT_TIMESTAMP "
            "WHERE chat_id = 10 AND user_id = 4")
    time.sleep(1.5)  # the decision TTL, and so the response's max-age, is 1 s
    open_client(page, web.client)

    assert call(page, "loadImage", web.url(PICTURE)) == {"loaded": False, "width": 0}
    fetched = call(page, "fetchBytes", web.url(PICTURE), {"credentials": "include"})
    assert fetched["status"] == 403, fetched
    assert call(page, "seekVideo", web.url(CLIP), 3)["event"] == "error"
    statuses = [x.status for x in page.exchanges(PICTURE) if x.method == "GET"]
    # Revalidation of the cached image got a 403 too, never a 304.
    assert statuses[0] == 200 and set(statuses[1:]) == {403}, statuses


def test_cross_site_page_cannot_use_the_cookie(page: Page, web: Web) -> None:
    # SameSite=None and third-party cookies allowed, so the browser does send the
    # cookie: the refusal below is the gateway's (Sec-Fetch-Site: cross-site).
    set_token_cookie(page, web, "1", sameSite="None", secure=True)
    open_client(page, web.client_cross_site)

    assert call(page, "loadImage", web.url(PICTURE)) == {"loaded": False, "width": 0}
    [image] = [x for x in page.exchanges(PICTURE) if x.method == "GET"]
    assert f"{COOKIE}=" in image.sent_headers.get("cookie", ""), image
    assert image.sent_headers.get("sec-fetch-site") == "cross-site"
    assert image.status == 401

    # A listed cross-site origin sees the 401 (CORS headers on errors too) ...
    refused = call(page, "fetchBytes", web.url(PICTURE), {"credentials": "include"})
    assert refused["status"] == 401, refused
    assert refused["body"] != list(web.files[PICTURE])
    # ... and must send the token in the Authorization header instead.
    allowed = call(page, "fetchBytes", web.url(PICTURE), {
        "headers": {"Authorization": f"Bearer {web.token('1')}", "Range": "bytes=0-7"},
    })
    assert allowed["status"] == 206, allowed
    assert bytes(allowed["body"]) == web.files[PICTURE][:8]


def _range_start(value: str) -> int:
    """The first byte of `bytes=N-...`; 0 when the request had no Range."""
    spec = value.removeprefix("bytes=").split("-")[0]
    return int(spec) if spec.isdigit() else 0
