"""gateway/storage.py: hostile relative paths, and opening against a real folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gateway.errors import BadRequest, HTTPError, NotFound
from gateway.storage import MAX_PATH_BYTES, MAX_SEGMENT_BYTES, Storage, check_relative_path

# --- check_relative_path ----------------------------------------------------------------

ACCEPTED = [
    ("a.jpg", "flat-name"),
    ("messages/2026/04/abc.jpg", "nested"),
    ("%2e%2e", "percent-encoded-dots-are-a-literal-name"),
    ("%2e%2e/%2f/x", "percent-encoded-slash-is-literal"),
    ("a/%00b", "percent-encoded-nul-is-literal"),
    ("...", "three-dots"),
    ("..a", "dotdot-prefix"),
    ("a..", "dotdot-suffix"),
    (".hidden", "dotfile"),
    ("a b.jpg", "space"),
    ("фото/снимок.jpg", "cyrillic"),
    ("日本/写真.png", "cjk"),
    ("a~b+c=d&e;f,g@h!.jpg", "punctuation"),
    ("x" * MAX_SEGMENT_BYTES, "segment-at-limit"),
    ("/".join(["a" * 200] * 5), "path-under-limit"),
]


@pytest.mark.parametrize(("path",), [(a[0],) for a in ACCEPTED], ids=[a[1] for a in ACCEPTED])
def test_check_relative_path_accepts(path: str) -> None:
    assert check_relative_path(path) == path


REFUSED: list[tuple[str, type[HTTPError], str, str]] = [
    ("", NotFound, "empty_path", "empty"),
    ("..", BadRequest, "bad_segment", "dotdot"),
    (".", BadRequest, "bad_segment", "dot"),
    ("../etc/passwd", BadRequest, "bad_segment", "leading-dotdot"),
    ("a/../../etc/passwd", BadRequest, "bad_segment", "inner-dotdot"),
    ("a/..", BadRequest, "bad_segment", "trailing-dotdot"),
    ("a/./b", BadRequest, "bad_segment", "inner-dot"),
    ("./a", BadRequest, "bad_segment", "leading-dot"),
    ("a//b", BadRequest, "bad_segment", "double-slash"),
    ("a/", BadRequest, "bad_segment", "trailing-slash"),
    ("a///", BadRequest, "bad_segment", "trailing-slashes"),
    ("/etc/passwd", BadRequest, "absolute_path", "leading-slash"),
    ("//etc/passwd", BadRequest, "absolute_path", "leading-double-slash"),
    ("/", BadRequest, "absolute_path", "only-slash"),
    ("a\\b", BadRequest, "bad_character", "backslash"),
    ("..\\..\\windows", BadRequest, "bad_character", "backslash-traversal"),
    ("\\\\server\\share", BadRequest, "bad_character", "unc"),
    ("a\x00b", BadRequest, "bad_character", "nul"),
    ("a.jpg\x00.png", BadRequest, "bad_character", "nul-extension-trick"),
    ("a\nb", BadRequest, "bad_character", "newline"),
    ("a\rb", BadRequest, "bad_character", "carriage-return"),
    ("a\tb", BadRequest, "bad_character", "tab"),
    ("a\x1bb", BadRequest, "bad_character", "escape"),
    ("a\x7fb", BadRequest, "bad_character", "del"),
    ("a\x85b", BadRequest, "bad_character", "c1-next-line"),
    ("a\u2028b", BadRequest, "bad_character", "line-separator"),
    ("a\u200bb", BadRequest, "bad_character", "zero-width-space"),
    ("a\u202eb", BadRequest, "bad_character", "right-to-left-override"),
    ("a\ufffdb", BadRequest, "bad_character", "replacement-character"),
    ("a\udc80b", BadRequest, "bad_character", "lone-surrogate"),
    ("x" * (MAX_SEGMENT_BYTES + 1), NotFound, "segment_too_long", "segment-over-limit"),
    ("\u044f" * 128, NotFound, "segment_too_long", "segment-over-limit-in-utf8-bytes"),
    ("a/" * (MAX_PATH_BYTES // 2) + "b", BadRequest, "path_too_long", "path-over-limit"),
    ("\u044f" * (MAX_PATH_BYTES // 2 + 1), BadRequest, "path_too_long", "path-over-limit-utf8"),
]


@pytest.mark.parametrize(
    ("path", "error", "reason"), [r[:3] for r in REFUSED], ids=[r[3] for r in REFUSED]
)
def test_check_relative_path_refuses(path: str, error: type[HTTPError], reason: str) -> None:
    with pytest.raises(error) as info:
        check_relative_path(path)
    assert type(info.value) is error
    assert info.value.reason == reason


# --- Storage against a real folder ------------------------------------------------------


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """tmp_path/root is the storage root; tmp_path/outside is not."""
    root = tmp_path / "root"
    (root / "messages" / "2026").mkdir(parents=True)
    (root / "messages" / "2026" / "a.jpg").write_bytes(b"0123456789")
    (root / "empty.bin").write_bytes(b"")
    (root / "dir").mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_bytes(b"secret")
    (tmp_path / "rootsibling.txt").write_bytes(b"sibling")
    return root


def test_open_regular_file_reports_fstat_size_and_mtime(tree: Path) -> None:
    target = tree / "messages" / "2026" / "a.jpg"
    os.utime(target, ns=(1_600_000_000_000_000_000, 1_700_000_000_123_456_789))
    with Storage(str(tree)).open("messages/2026/a.jpg") as f:
        assert f.size == 10
        assert f.mtime_ns == 1_700_000_000_123_456_789
        assert f.path == str(target)
        assert os.pread(f.fd, 4, 2) == b"2345"
        fd = f.fd
    assert f.fd == -1
    with pytest.raises(OSError):
        os.fstat(fd)
    f.close()  # idempotent


def test_open_empty_file(tree: Path) -> None:
    with Storage(str(tree)).open("empty.bin") as f:
        assert f.size == 0


def test_open_describes_the_opened_file_not_a_later_replacement(tree: Path) -> None:
    # The validators come from fstat of the descriptor, so a rename racing the
    # request cannot mix one file's size with another file's bytes.
    target = tree / "messages" / "2026" / "a.jpg"
    with Storage(str(tree)).open("messages/2026/a.jpg") as f:
        replacement = tree / "new.jpg"
        replacement.write_bytes(b"a much longer replacement body")
        os.replace(replacement, target)
        assert f.size == 10
        assert os.pread(f.fd, 100, 0) == b"0123456789"


def test_root_is_stored_as_its_real_path(tree: Path, tmp_path: Path) -> None:
    link = tmp_path / "root-link"
    link.symlink_to(tree, target_is_directory=True)
    storage = Storage(str(link) + "/")
    assert storage.root == str(tree)
    with storage.open("empty.bin") as f:
        assert f.path == str(tree / "empty.bin")


NOT_FOUND = [
    ("missing.jpg", "not_on_disk", "missing-file"),
    ("messages/2027/a.jpg", "not_on_disk", "missing-folder"),
    ("dir", "not_a_regular_file", "directory"),
    ("messages", "not_a_regular_file", "nested-directory"),
    ("messages/2026/a.jpg/x", "not_on_disk", "file-used-as-folder"),
]


@pytest.mark.parametrize(
    ("relative", "reason"), [n[:2] for n in NOT_FOUND], ids=[n[2] for n in NOT_FOUND]
)
def test_open_not_found(tree: Path, relative: str, reason: str) -> None:
    with pytest.raises(NotFound) as info:
        Storage(str(tree)).open(relative)
    assert info.value.reason == reason


def test_open_refuses_a_fifo_without_blocking(tree: Path) -> None:
    os.mkfifo(tree / "pipe")
    with pytest.raises(NotFound) as info:
        Storage(str(tree)).open("pipe")
    assert info.value.reason == "not_a_regular_file"


def test_open_checks_the_path_before_touching_the_disk(tree: Path) -> None:
    with pytest.raises(BadRequest):
        Storage(str(tree)).open("../outside/secret.txt")
    with pytest.raises(BadRequest):
        Storage(str(tree)).resolve("messages/../../outside/secret.txt")


# Symlinks: (link name inside root, its target, path requested, expected outcome, id).
# realpath() resolves every link, then containment is checked on the real path, so a
# link whose target stays inside the root is served and any other is NotFound.
SYMLINKS = [
    ("in.jpg", "messages/2026/a.jpg", "in.jpg", "ok", "final-component-to-file-inside"),
    ("alias", "messages", "alias/2026/a.jpg", "ok", "folder-link-inside"),
    ("out.txt", "../outside/secret.txt", "out.txt", "outside_root", "final-to-file-outside"),
    ("outdir", "../outside", "outdir/secret.txt", "outside_root", "folder-link-outside"),
    ("abs.txt", "/etc/hostname", "abs.txt", "outside_root", "absolute-target-outside"),
    ("sib.txt", "../rootsibling.txt", "sib.txt", "outside_root", "sibling-of-root"),
    ("self", ".", "self", "outside_root", "link-to-root-itself"),
    ("dang.jpg", "nowhere.jpg", "dang.jpg", "not_on_disk", "dangling-inside"),
    ("dang2.jpg", "../nowhere.jpg", "dang2.jpg", "outside_root", "dangling-outside"),
    ("dirlink", "dir", "dirlink", "not_a_regular_file", "link-to-directory-inside"),
]


@pytest.mark.parametrize(
    ("name", "target", "relative", "outcome"),
    [s[:4] for s in SYMLINKS],
    ids=[s[4] for s in SYMLINKS],
)
def test_symlinks(tree: Path, name: str, target: str, relative: str, outcome: str) -> None:
    (tree / name).symlink_to(target)
    storage = Storage(str(tree))
    if outcome == "ok":
        with storage.open(relative) as f:
            assert f.size == 10
            assert f.path == str(tree / "messages" / "2026" / "a.jpg")
        return
    with pytest.raises(NotFound) as info:
        storage.open(relative)
    assert info.value.reason == outcome


def test_symlink_loop_is_not_found(tree: Path) -> None:
    (tree / "loop1").symlink_to("loop2")
    (tree / "loop2").symlink_to("loop1")
    with pytest.raises(NotFound):
        Storage(str(tree)).open("loop1")


def test_root_with_similar_prefix_is_not_inside(tmp_path: Path) -> None:
    # `/x/root` must not accept `/x/root-evil/...` through a prefix match.
    root = tmp_path / "root"
    evil = tmp_path / "root-evil"
    root.mkdir()
    evil.mkdir()
    (evil / "f.txt").write_bytes(b"evil")
    (root / "f.txt").symlink_to("../root-evil/f.txt")
    with pytest.raises(NotFound) as info:
        Storage(str(root)).open("f.txt")
    assert info.value.reason == "outside_root"


def test_resolve_returns_real_path_inside_root(tree: Path) -> None:
    storage = Storage(str(tree))
    assert storage.resolve("messages/2026/a.jpg") == str(tree / "messages" / "2026" / "a.jpg")
    assert storage.resolve("not/yet/there.jpg") == str(tree / "not" / "yet" / "there.jpg")
