"""Content types, and which ones must never render inline on the app's origin."""

from __future__ import annotations

import mimetypes
import posixpath

FALLBACK_TYPE = "application/octet-stream"

# Types a browser would parse and run as a document or script.
ACTIVE_TYPES = frozenset(
    {
        "text/html",
        "application/xhtml+xml",
        "image/svg+xml",
        "text/xml",
        "application/xml",
        "text/javascript",
        "application/javascript",
        "application/x-javascript",
        "application/ecmascript",
        "text/ecmascript",
        "application/wasm",
        "text/xsl",
        "application/xslt+xml",
        "text/css",
        "application/x-shockwave-flash",
        "application/pdf",
        "text/cache-manifest",
        "application/rdf+xml",
        "multipart/x-mixed-replace",
    }
)


class ContentTypes:
    """Extension -> type from Python's built-in table only, so hosts agree."""

    def __init__(self) -> None:
        self._table = mimetypes.MimeTypes(filenames=())
        self._by_ext: dict[str, tuple[str, bool]] = {}

    def lookup(self, path: str) -> tuple[str, bool]:
        """(content type, must be an attachment) for a file name."""
        ext = posixpath.splitext(path)[1].lower()
        found = self._by_ext.get(ext)
        if found is None:
            guessed, encoding = self._table.guess_type("f" + ext, strict=False)
            if guessed is None or encoding is not None:
                guessed = FALLBACK_TYPE  # e.g. `.gz`: never let the browser decode it
            if guessed.startswith("text/") and guessed not in ACTIVE_TYPES:
                guessed += "; charset=utf-8"
            found = (guessed, guessed.split(";")[0] in ACTIVE_TYPES)
            if len(self._by_ext) < 4096:
                self._by_ext[ext] = found
        return found
