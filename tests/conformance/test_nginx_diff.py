"""Differential conformance: the gateway and nginx answer the same request table.

Every row is sent to both servers (the gateway with a member's token) and the
answers compared on status, Content-Range, Content-Length, Accept-Ranges and
body bytes (see httpdiff.py for what is normalised). A row with `rfc=` is a
place where nginx 1.22 departs from RFC 9110 or where the RFC lets the gateway
choose otherwise: the gateway must give the stated answer, nginx the stated
status (so the note is re-checked against the nginx actually installed).
Header values may name each server's own validators: {etag}, {weak}, {lm},
{past}, {future}, {lm850}, {lmasctime}.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from conformance_world import Servers, all_files, fresh_connections
from httpdiff import Expect, Validators, answer_of, without_boundary

pytestmark = pytest.mark.e2e

SIZED = ["c/small.bin", "a/photo.jpg", "c/medium.bin", "c/large.bin"]  # all >= 1000 bytes


@dataclass(frozen=True)
class Rfc:
    gateway: Expect
    nginx_status: int
    reason: str


@dataclass(frozen=True)
class Case:
    id: str
    file: str
    headers: tuple[tuple[str, str], ...] = ()
    method: str = "GET"
    rfc: Rfc | None = None


def whole(nginx: int, reason: str) -> Rfc:
    return Rfc(Expect(200), nginx, reason)


def partial(nginx: int, reason: str, *ranges: tuple[int, int | None]) -> Rfc:
    return Rfc(Expect(206, ranges), nginx, reason)


INVALID = ("RFC 9110 §14.1.1: not a valid ranges-specifier; §14.2: a server MAY ignore it "
           "(a 416 is for a valid but unsatisfiable set, §15.5.17)")
MERGE = "RFC 9110 §15.3.7.2: a server MAY coalesce overlapping or adjacent ranges"
CLAMP = "RFC 9110 §14.1.1: a last-pos or suffix beyond the representation means its end"
EMPTY = "RFC 9110 §14.2: a server MAY ignore Range when the representation has no content"
NINES = "9" * 30

# (id, Range value, None or what the RFC asks of the gateway). Offsets stay below 1000.
RANGE_SHAPES: list[tuple[str, str, Rfc | None]] = [
    ("first-byte", "bytes=0-0", None),
    ("first-500", "bytes=0-499", None),
    ("middle", "bytes=100-199", None),
    ("open-ended-from-zero", "bytes=0-", None),
    ("open-ended", "bytes=500-", None),
    ("suffix", "bytes=-100", None),
    ("suffix-one", "bytes=-1", None),
    ("suffix-larger-than-file", "bytes=-99999999", None),
    ("end-beyond-size", "bytes=900-99999999", None),
    ("end-is-max-off_t", "bytes=0-9223372036854775807", None),
    ("unit-case-insensitive", "Bytes=0-9", None),
    ("two-ranges", "bytes=0-9,20-29", None),
    ("three-ranges-with-suffix", "bytes=0-9,20-29,-5", None),
    ("unsorted-parts-keep-request-order", "bytes=20-29,0-9", None),
    ("suffix-first", "bytes=-5,0-9", None),
    ("space-after-comma", "bytes=0-9, 20-29", None),
    ("space-before-comma", "bytes=0-9 ,20-29", None),
    ("space-after-equals", "bytes= 0-9", None),
    ("gap-of-one-not-merged", "bytes=0-9,11-19", None),
    ("unsatisfiable-part-dropped", "bytes=0-4,99999999-", None),
    ("all-unsatisfiable", "bytes=99999999-", None),
    ("unsatisfiable-closed", "bytes=99999999-99999999", None),
    ("zero-length-suffix", "bytes=-0", None),
    ("zero-suffix-and-unsatisfiable", "bytes=-0,99999999-", None),
    ("first-is-max-off_t", "bytes=9223372036854775807-", None),
    ("huge-first", f"bytes={NINES}-", None),
    ("unknown-unit", "items=0-9", None),
    ("no-equals", "bytes 0-9", None),
    ("space-before-equals", "bytes =0-9", None),
    ("empty-set", "bytes=", None),
    ("first-after-last", "bytes=5-1", whole(416, INVALID)),
    ("one-spec-invalid", "bytes=0-9,5-1", whole(206, INVALID + "; one invalid spec voids the set")),
    ("underscore", "bytes=1_0-20", whole(416, INVALID)),
    ("plus-sign", "bytes=+1-2", whole(416, INVALID)),
    ("decimal", "bytes=1.5-2", whole(416, INVALID)),
    ("hex", "bytes=0x10-0x20", whole(416, INVALID)),
    ("letters", "bytes=a-b", whole(416, INVALID)),
    ("superscript-digit", "bytes=\u00b2-5", whole(416, INVALID)),
    ("no-dash", "bytes=5", whole(416, INVALID)),
    ("double-dash", "bytes=--1", whole(416, INVALID)),
    ("two-dashes", "bytes=1-2-3", whole(416, INVALID)),
    ("parameter", "bytes=0-9;q=1", whole(416, INVALID)),
    ("only-comma", "bytes=,", whole(416, INVALID + "; 1#range-spec needs one element")),
    ("space-inside-spec", "bytes=0 - 9", whole(206, INVALID + "; int-range has no OWS")),
    ("empty-list-element", "bytes=0-9,,20-29", partial(
        416, "RFC 9110 §5.6.1: a recipient MUST ignore empty list elements", (0, 9), (20, 29))),
    ("tab-after-comma", "bytes=0-9,\t20-29", partial(
        416, "RFC 9110 §5.6.1: OWS around list commas includes HTAB", (0, 9), (20, 29))),
    ("huge-last-19-digits", "bytes=0-9999999999999999999", partial(416, CLAMP, (0, None))),
    ("huge-last-30-digits", f"bytes=0-{NINES}", partial(416, CLAMP, (0, None))),
    ("huge-suffix", f"bytes=-{NINES}", partial(416, CLAMP, (0, None))),
    ("overlapping", "bytes=0-9,5-14", partial(206, MERGE, (0, 14))),
    ("adjacent", "bytes=0-9,10-19", partial(206, MERGE, (0, 19))),
    ("contained", "bytes=0-99,10-19", partial(206, MERGE, (0, 99))),
    ("overlapping-unsorted", "bytes=20-29,0-9,5-24", partial(206, MERGE, (0, 29))),
    ("merged-part-keeps-first-place", "bytes=50-59,0-9,5-14", partial(
        206, MERGE + "; parts keep the request order (SHOULD)", (50, 59), (0, 14))),
    ("repeated-whole", "bytes=0-,0-", partial(
        200, MERGE + "; one satisfiable range remains, so §14.2 SHOULD 206", (0, None))),
    ("open-and-suffix-overlap", "bytes=0-,-50", partial(200, MERGE, (0, None))),
    ("seventeen-small-ranges", "bytes=" + ",".join(f"{3 * i}-{3 * i}" for i in range(17)),
     whole(206, "RFC 9110 §14.2: a server MAY ignore Range; more than 16 parts is "
                "served whole to bound the work (§17.15)")),
]

SINGLE_FILE: list[Case] = [
    # 270000 bytes in three parts: the streamed multipart path, not the in-loop one.
    Case("multipart-streamed", "c/large.bin",
         (("Range", "bytes=0-99999,150000-249999,-70000"),)),
    Case("multipart-streamed-head", "c/large.bin",
         (("Range", "bytes=0-99999,150000-249999,-70000"),), method="HEAD"),
    Case("two-range-fields", "c/small.bin", (("Range", "bytes=0-1"), ("Range", "bytes=5-9")),
         rfc=whole(206, "RFC 9110 §5.3: Range is not a list; two field lines combine into "
                        "an invalid value, ignored (§14.2); nginx uses the first")),
]

EDGE_FILES: list[Case] = [
    Case("get", "c/empty.bin"),
    Case("head", "c/empty.bin", method="HEAD"),
    Case("open-ended", "c/empty.bin", (("Range", "bytes=0-"),)),
    Case("safari-probe", "c/empty.bin", (("Range", "bytes=0-1"),)),
    Case("first-byte", "c/empty.bin", (("Range", "bytes=0-0"),)),
    Case("suffix", "c/empty.bin", (("Range", "bytes=-1"),)),
    Case("zero-suffix", "c/empty.bin", (("Range", "bytes=-0"),)),
    Case("unknown-unit", "c/empty.bin", (("Range", "items=0-"),)),
    Case("beyond-start", "c/empty.bin", (("Range", "bytes=1-"),), rfc=whole(416, EMPTY)),
    Case("first-after-last", "c/empty.bin", (("Range", "bytes=5-1"),), rfc=whole(416, EMPTY)),
    Case("if-none-match", "c/empty.bin", (("If-None-Match", "{etag}"),)),
    Case("if-range", "c/empty.bin", (("If-Range", "{etag}"), ("Range", "bytes=0-"))),
    Case("head-range", "c/empty.bin", (("Range", "bytes=0-"),), method="HEAD"),
    Case("get", "c/one.bin"),
    Case("head", "c/one.bin", method="HEAD"),
    Case("open-ended", "c/one.bin", (("Range", "bytes=0-"),)),
    Case("safari-probe", "c/one.bin", (("Range", "bytes=0-1"),)),
    Case("first-byte", "c/one.bin", (("Range", "bytes=0-0"),)),
    Case("suffix-one", "c/one.bin", (("Range", "bytes=-1"),)),
    Case("suffix-two", "c/one.bin", (("Range", "bytes=-2"),)),
    Case("beyond-start", "c/one.bin", (("Range", "bytes=1-"),)),
    Case("zero-suffix", "c/one.bin", (("Range", "bytes=-0"),)),
    Case("head-range", "c/one.bin", (("Range", "bytes=-1"),), method="HEAD"),
    Case("same-byte-twice", "c/one.bin", (("Range", "bytes=0-0,0-0"),),
         rfc=partial(200, MERGE, (0, 0))),
    Case("byte-and-suffix", "c/one.bin", (("Range", "bytes=0-0,-1"),),
         rfc=partial(200, MERGE, (0, 0))),
]

R = ("Range", "bytes=0-9")
R_MULTI = ("Range", "bytes=0-9,20-29")
R_416 = ("Range", "bytes=99999999-")
# (id, headers, None or the RFC's answer)
CONDITIONALS: list[tuple[str, tuple[tuple[str, str], ...], Rfc | None]] = [
    ("if-match-own", (("If-Match", "{etag}"),), None),
    ("if-match-star", (("If-Match", "*"),), None),
    ("if-match-other", (("If-Match", '"nope"'),), None),
    ("if-match-weak-own", (("If-Match", "{weak}"),), None),
    ("if-match-list", (("If-Match", '"nope", {etag}'),), None),
    ("if-match-own-range", (("If-Match", "{etag}"), R), None),
    ("if-match-other-range", (("If-Match", '"nope"'), R), None),
    ("if-match-other-beats-416", (("If-Match", '"nope"'), R_416), None),
    ("if-none-match-own", (("If-None-Match", "{etag}"),), None),
    ("if-none-match-weak-own", (("If-None-Match", "{weak}"),), None),
    ("if-none-match-star", (("If-None-Match", "*"),), None),
    ("if-none-match-other", (("If-None-Match", '"nope"'),), None),
    ("if-none-match-list", (("If-None-Match", '"a", "b", {etag}'),), None),
    ("if-none-match-list-other", (("If-None-Match", '"a", W/"b"'),), None),
    ("if-none-match-garbage", (("If-None-Match", "garbage"),), None),
    ("if-none-match-own-range", (("If-None-Match", "{etag}"), R), None),
    ("if-none-match-own-beats-416", (("If-None-Match", "{etag}"), R_416), None),
    ("if-none-match-other-range", (("If-None-Match", '"nope"'), R), None),
    ("if-modified-since-exact", (("If-Modified-Since", "{lm}"),), None),
    ("if-modified-since-rfc850", (("If-Modified-Since", "{lm850}"),), None),
    ("if-modified-since-asctime", (("If-Modified-Since", "{lmasctime}"),), None),
    ("if-modified-since-past", (("If-Modified-Since", "{past}"),), None),
    ("if-modified-since-garbage", (("If-Modified-Since", "garbage"),), None),
    ("if-modified-since-exact-range", (("If-Modified-Since", "{lm}"), R), None),
    ("if-modified-since-but-none-match-other",
     (("If-Modified-Since", "{lm}"), ("If-None-Match", '"nope"')), None),
    ("if-unmodified-since-exact", (("If-Unmodified-Since", "{lm}"),), None),
    ("if-unmodified-since-future", (("If-Unmodified-Since", "{future}"),), None),
    ("if-unmodified-since-past", (("If-Unmodified-Since", "{past}"),), None),
    ("if-unmodified-since-past-range", (("If-Unmodified-Since", "{past}"), R), None),
    ("if-match-other-and-unmodified", (("If-Match", '"nope"'), ("If-Unmodified-Since",
                                                                 "{future}")), None),
    ("if-range-own", (("If-Range", "{etag}"), R), None),
    ("if-range-own-multi", (("If-Range", "{etag}"), R_MULTI), None),
    ("if-range-own-416", (("If-Range", "{etag}"), R_416), None),
    ("if-range-weak", (("If-Range", "{weak}"), R), None),
    ("if-range-other", (("If-Range", '"nope"'), R), None),
    ("if-range-other-416", (("If-Range", '"nope"'), R_416), None),
    ("if-range-date-exact", (("If-Range", "{lm}"), R), None),
    ("if-range-date-past", (("If-Range", "{past}"), R), None),
    ("if-range-date-future", (("If-Range", "{future}"), R), None),
    ("if-range-garbage", (("If-Range", "garbage"), R), None),
    ("if-range-without-range", (("If-Range", "{etag}"),), None),
    ("if-modified-since-future", (("If-Modified-Since", "{future}"),), Rfc(
        Expect(304), 200, "RFC 9110 §13.1.3: modified earlier than or at the date means "
        "304 (nginx's default `if_modified_since exact` wants equality)")),
    ("if-none-match-own-and-modified-since-past",
     (("If-None-Match", "{etag}"), ("If-Modified-Since", "{past}")), Rfc(
         Expect(304), 200, "RFC 9110 §13.1.3: If-Modified-Since MUST be ignored when "
         "If-None-Match is present")),
    ("if-unmodified-since-garbage", (("If-Unmodified-Since", "garbage"),), whole(
        412, "RFC 9110 §13.1.4: an invalid HTTP-date MUST be ignored")),
    ("if-match-own-and-unmodified-past",
     (("If-Match", "{etag}"), ("If-Unmodified-Since", "{past}")), whole(
         412, "RFC 9110 §13.1.4: If-Unmodified-Since MUST be ignored when If-Match is present")),
    ("if-none-match-two-field-lines", (("If-None-Match", '"a"'), ("If-None-Match", "{etag}")),
     Rfc(Expect(304), 400, "RFC 9110 §5.3: field lines of a list field combine into one "
         "list (nginx 1.22 refuses a repeated If-None-Match)")),
]

HEAD_CASES: list[tuple[str, tuple[tuple[str, str], ...]]] = [
    ("plain", ()),
    ("range", (R,)),
    ("multi-range", (R_MULTI,)),
    ("416", (R_416,)),
    ("304", (("If-None-Match", "{etag}"),)),
    ("412", (("If-Match", '"nope"'),)),
    ("if-range-weak", (("If-Range", "{weak}"), R)),
]


def build_cases() -> list[Case]:
    cases = [Case(shape, path, (("Range", value),), rfc=rfc)
             for path in SIZED for shape, value, rfc in RANGE_SHAPES]
    cases += [Case(name, path, headers, rfc=rfc)
              for path in ("c/small.bin", "c/large.bin") for name, headers, rfc in CONDITIONALS]
    cases += [Case(f"head-{name}", path, headers, method="HEAD")
              for path in ("c/small.bin", "c/large.bin") for name, headers in HEAD_CASES]
    cases += [Case("get", path) for path in [*SIZED, "c/page.html"]]
    cases += [Case("get-range", "c/page.html", (R,))]
    return cases + SINGLE_FILE + EDGE_FILES


CASES = build_cases()
def case_id(case: Case) -> str:
    return f"{case.file.rsplit('/', 1)[-1]}:{case.id}"


IDS = [case_id(c) for c in CASES]
assert len(set(IDS)) == len(IDS), "duplicate case ids"


class Peers:
    """A client per server (keep-alive to the gateway) and its validators per file."""

    def __init__(self, servers: Servers) -> None:
        self.gateway = httpx.Client(base_url=servers.gateway, timeout=30,
                                    headers=servers.member_headers())
        self.nginx = fresh_connections(servers.nginx)
        self._validators: dict[tuple[str, str], Validators] = {}

    def validators(self, client: httpx.Client, path: str) -> Validators:
        key = (str(client.base_url), path)
        if key not in self._validators:
            self._validators[key] = Validators.of(client.get(f"/uploads/{path}"))
        return self._validators[key]

    def send(self, client: httpx.Client, case: Case, method: str | None = None
             ) -> httpx.Response:
        found = self.validators(client, case.file)
        headers = [(name.encode(), found.fill(value).encode("latin-1"))
                   for name, value in case.headers]
        return client.request(method or case.method, f"/uploads/{case.file}", headers=headers)

    def close(self) -> None:
        self.gateway.close()
        self.nginx.close()


@pytest.fixture(scope="module")
def peers(servers: Servers) -> Iterator[Peers]:
    p = Peers(servers)
    yield p
    p.close()


@pytest.fixture(scope="module")
def files(servers: Servers) -> dict[str, bytes]:
    return all_files(servers.media)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_gateway_answers_like_nginx_or_the_rfc(peers: Peers, files: dict[str, bytes],
                                               case: Case) -> None:
    ours = peers.send(peers.gateway, case)
    theirs = peers.send(peers.nginx, case)
    check_gateway_invariants(ours, len(files[case.file]))
    if case.rfc is None:
        assert answer_of(ours) == answer_of(theirs)
        return
    assert theirs.status_code == case.rfc.nginx_status, (
        f"nginx no longer answers {case.rfc.nginx_status}: revisit '{case.rfc.reason}'")
    assert answer_of(ours) == case.rfc.gateway.answer(files[case.file], case.method), (
        case.rfc.reason)


# §15.4.5: what a 304 may carry (plus connection-level and CORS fields).
ALLOWED_IN_304 = {"etag", "cache-control", "vary", "date", "content-location", "expires",
                  "server", "x-content-type-options"}


def check_gateway_invariants(r: httpx.Response, size: int) -> None:
    """What RFC 9110 and the spec ask of every gateway answer, whatever nginx does."""
    names = {name for name, _ in r.headers.multi_items()}
    if r.status_code == 304:
        extra = {n for n in names - ALLOWED_IN_304 if not n.startswith("access-control-")}
        assert not extra, f"a 304 carrying {extra} (RFC 9110 §15.4.5)"
    if r.status_code in (200, 206):
        assert r.headers["accept-ranges"] == "bytes"  # §14.3
        assert {"etag", "last-modified"} <= names
        assert r.headers["cache-control"].startswith("private, max-age=")
        assert r.headers["x-content-type-options"] == "nosniff"
    if r.status_code == 206:
        multipart = r.headers["content-type"].startswith("multipart/byteranges")
        assert ("content-range" in names) != multipart  # §14.6: no top-level one on multipart
    if r.status_code == 416:
        assert r.headers["content-range"] == f"bytes */{size}"  # §15.5.17


GET_CASES = [c for c in CASES if c.method == "GET"]


@pytest.mark.parametrize("case", GET_CASES, ids=[case_id(c) for c in GET_CASES])
def test_head_has_exactly_the_headers_of_get(peers: Peers, case: Case) -> None:
    get = peers.send(peers.gateway, case)
    head = peers.send(peers.gateway, case, method="HEAD")
    assert head.status_code == get.status_code
    assert head.content == b""
    assert without_boundary(head.headers) == without_boundary(get.headers)


# --- authorization comes first -----------------------------------------------------------

IF_HEADERS = [
    (("If-None-Match", "*"),),
    (("If-None-Match", "{etag}"),),
    (("If-Modified-Since", "{future}"),),
    (("If-Match", "*"),),
    (("If-Match", '"nope"'),),
    (("If-Unmodified-Since", "{past}"),),
    (("Range", "bytes=0-9"),),
    (("Range", "bytes=99999999-"),),
    (("If-Range", "{etag}"), ("Range", "bytes=0-9")),
]
REFUSED = [("stranger", "c/small.bin", 403), ("member, deleted message", "a/deleted.jpg", 403),
           ("member, orphan file", "orphan/file.jpg", 403), ("no token", "c/small.bin", 401)]


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize(("who", "path", "status"), REFUSED, ids=[r[0] for r in REFUSED])
def test_conditionals_and_ranges_never_bypass_authorization(
        servers: Servers, peers: Peers, method: str, who: str, path: str, status: int) -> None:
    validators = peers.validators(peers.gateway, "c/small.bin")  # real ones, as a leak would use
    auth = {"stranger": servers.stranger_headers(), "no token": {}}.get(
        who, servers.member_headers())
    data = (servers.media / path).read_bytes()
    with httpx.Client(base_url=servers.gateway, timeout=30) as client:
        for extra in IF_HEADERS:
            headers = {**auth, **{k: validators.fill(v) for k, v in extra}}
            r = client.request(method, f"/uploads/{path}", headers=headers)
            assert r.status_code == status, (extra, r.status_code)
            leaked = {"etag", "last-modified", "content-range", "accept-ranges"} & set(r.headers)
            assert not leaked, (extra, leaked)
            assert data[:8] not in r.content
