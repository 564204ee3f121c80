"""gateway/files/types.py: content types, and which must never render inline."""

from __future__ import annotations

import pytest

from gateway.files.types import FALLBACK_TYPE, ContentTypes

OCTET = FALLBACK_TYPE
TYPES = [
    # (file name, content type, served as attachment, id)
    ("a.jpg", "image/jpeg", False, "jpg"),
    ("a.jpeg", "image/jpeg", False, "jpeg"),
    ("a.JPG", "image/jpeg", False, "upper-case-extension"),
    ("messages/2026/04/a.png", "image/png", False, "png-nested"),
    ("a.gif", "image/gif", False, "gif"),
    ("a.webp", "image/webp", False, "webp"),
    ("a.mp4", "video/mp4", False, "mp4"),
    ("a.webm", "video/webm", False, "webm"),
    ("a.mov", "video/quicktime", False, "mov"),
    ("a.mp3", "audio/mpeg", False, "mp3"),
    ("a.opus", "audio/opus", False, "opus"),
    ("a.zip", "application/zip", False, "zip"),
    ("a.json", "application/json", False, "json"),
    ("a.txt", "text/plain; charset=utf-8", False, "txt-with-charset"),
    ("a.csv", "text/csv; charset=utf-8", False, "csv-with-charset"),
    ("a.html", "text/html", True, "html"),
    ("a.htm", "text/html", True, "htm"),
    ("a.HTML", "text/html", True, "html-upper-case"),
    ("a.svg", "image/svg+xml", True, "svg"),
    ("a.xml", "text/xml", True, "xml"),
    ("a.xsl", "application/xml", True, "xsl"),
    ("a.js", "application/javascript", True, "js"),
    ("a.mjs", "application/javascript", True, "mjs"),
    ("a.css", "text/css", True, "css"),
    ("a.pdf", "application/pdf", True, "pdf"),
    ("a.wasm", "application/wasm", True, "wasm"),
    ("a.jpg.html", "text/html", True, "double-extension-last-wins"),
    ("a.html.jpg", "image/jpeg", False, "double-extension-image"),
    ("a.xyz", OCTET, False, "unknown-extension"),
    ("a", OCTET, False, "no-extension"),
    (".html", OCTET, False, "dotfile-has-no-extension"),
    ("a.", OCTET, False, "trailing-dot"),
    ("dir.html/file", OCTET, False, "extension-only-from-last-segment"),
    ("a.gz", OCTET, False, "gzip-never-decoded-by-browser"),
    ("a.svg.gz", OCTET, False, "compressed-svg"),
    ("a.tar.gz", OCTET, False, "tarball"),
    ("a.bz2", OCTET, False, "bzip2"),
    ("a.xz", OCTET, False, "xz"),
    ("a.br", OCTET, False, "brotli"),
]


@pytest.mark.parametrize(
    ("name", "content_type", "attachment"), [t[:3] for t in TYPES], ids=[t[3] for t in TYPES]
)
def test_lookup(name: str, content_type: str, attachment: bool) -> None:
    assert ContentTypes().lookup(name) == (content_type, attachment)


def test_lookup_is_stable_across_repeated_calls() -> None:
    types = ContentTypes()
    first = [types.lookup(name) for name, *_ in TYPES]
    assert [types.lookup(name) for name, *_ in TYPES] == first


def test_no_active_type_is_ever_inline() -> None:
    types = ContentTypes()
    for name, *_ in TYPES:
        content_type, attachment = types.lookup(name)
        bare = content_type.split(";")[0]
        if bare in {"text/html", "image/svg+xml", "text/xml", "application/javascript"}:
            assert attachment, name
