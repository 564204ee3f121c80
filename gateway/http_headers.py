"""The request headers the gateway reads, unpacked from an ASGI scope in one pass."""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

from gateway.files.conditional import Conditions

MAX_HEADER_BYTES = 8192

_WANTED = {
    b"authorization": "authorization",
    b"cookie": "cookie",
    b"sec-fetch-site": "sec_fetch_site",
    b"origin": "origin",
    b"range": "range",
    b"if-match": "if_match",
    b"if-none-match": "if_none_match",
    b"if-modified-since": "if_modified_since",
    b"if-unmodified-since": "if_unmodified_since",
    b"if-range": "if_range",
    b"access-control-request-method": "acr_method",
}


@dataclass(slots=True)
class RequestHeaders:
    authorization: str | None = None
    cookie: str | None = None
    sec_fetch_site: str | None = None
    origin: str | None = None
    range: str | None = None
    if_match: str | None = None
    if_none_match: str | None = None
    if_modified_since: str | None = None
    if_unmodified_since: str | None = None
    if_range: str | None = None
    acr_method: str | None = None
    oversized: bool = False

    @classmethod
    def from_scope(cls, scope: MutableMapping[str, Any]) -> RequestHeaders:
        """Repeated list headers are joined with `, ` (RFC 9110 §5.3); cookies with `; `."""
        found = cls()
        for raw_name, raw_value in scope["headers"]:
            attr = _WANTED.get(raw_name)
            if attr is None:
                continue
            if len(raw_value) > MAX_HEADER_BYTES:
                found.oversized = True
                continue
            value = raw_value.decode("latin-1")
            previous = getattr(found, attr)
            if previous is not None:
                if attr == "authorization":
                    value = "\x00"  # two credentials: ambiguous, refused by the parser
                else:
                    value = previous + ("; " if attr == "cookie" else ", ") + value
            setattr(found, attr, value)
        return found

    def has_preconditions(self) -> bool:
        return (self.if_match is not None or self.if_none_match is not None
                or self.if_modified_since is not None or self.if_unmodified_since is not None)

    def conditions(self) -> Conditions:
        return Conditions(
            if_match=self.if_match,
            if_none_match=self.if_none_match,
            if_modified_since=self.if_modified_since,
            if_unmodified_since=self.if_unmodified_since,
            if_range=self.if_range,
        )
