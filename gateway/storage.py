"""Untrusted request path -> an open regular file inside the storage root, or a refusal.

The filesystem is hostile: refuse before resolving, resolve then check
containment, open without following a final symlink, `fstat` what was opened.
"""

from __future__ import annotations

import errno
import os
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass

from gateway.errors import BadRequest, NotFound

MAX_PATH_BYTES = 1024
MAX_SEGMENT_BYTES = 255
MAX_CACHED_DIRS = 10_000


def check_relative_path(path: str) -> str:
    """Validate a decoded URL path below `/uploads/`; return it unchanged or raise.

    Malformed (traversal, NUL, backslash, control characters, undecodable bytes)
    is a 400; a well-formed path that cannot exist is a 404.
    """
    if not path:
        raise NotFound("empty_path")
    if len(path.encode("utf-8", "surrogatepass")) > MAX_PATH_BYTES:
        raise BadRequest("path_too_long")
    if path.startswith("/"):
        raise BadRequest("absolute_path")
    if "\\" in path or "\ufffd" in path or not path.isprintable():
        # isprintable() is False for NUL, other control characters and lone surrogates.
        raise BadRequest("bad_character")
    for segment in path.split("/"):
        if segment in ("", ".", ".."):
            raise BadRequest("bad_segment")
        if len(segment.encode("utf-8", "surrogatepass")) > MAX_SEGMENT_BYTES:
            raise NotFound("segment_too_long")
    return path


@dataclass(slots=True)
class OpenFile:
    """A regular file opened for reading; the validators come from this `fstat`."""

    fd: int
    path: str
    size: int
    mtime_ns: int

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __enter__(self) -> OpenFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Storage:
    """The media folder. Opens only regular files whose real path is inside it.

    Resolving every component with realpath() costs an lstat per segment on
    every request; the real path of each directory is therefore cached for a
    few seconds (directories are laid out by the chat service, not by clients),
    and the final component is opened with O_NOFOLLOW, so only a symlinked file
    takes the slow, fully resolved path.
    """

    def __init__(self, root: str, *, dir_cache_ttl_s: float = 5.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.root = os.path.realpath(root)
        self._prefix = self.root.rstrip("/") + "/"
        self._dir_cache_ttl_s = dir_cache_ttl_s
        self._clock = clock
        self._dirs: dict[str, tuple[str, float]] = {}

    def resolve(self, relative: str) -> str:
        """Real absolute path of a relative path inside the root, or a refusal."""
        real = os.path.realpath(self._prefix + check_relative_path(relative))
        if not real.startswith(self._prefix):
            raise NotFound("outside_root")
        return real

    def _real_dir(self, directory: str) -> str:
        """Real path of a directory below the root (cached), with a trailing slash."""
        now = self._clock()
        cached = self._dirs.get(directory)
        if cached is not None and cached[1] > now:
            return cached[0]
        real = os.path.realpath(self._prefix + directory) + "/" if directory else self._prefix
        if not real.startswith(self._prefix):
            raise NotFound("outside_root")
        if len(self._dirs) >= MAX_CACHED_DIRS:
            self._dirs.clear()
        self._dirs[directory] = (real, now + self._dir_cache_ttl_s)
        return real

    def open(self, relative: str) -> OpenFile:
        """Open synchronously: on a local disk this is cheaper than a thread hop."""
        directory, _, name = check_relative_path(relative).rpartition("/")
        path = self._real_dir(directory) + name
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
        except OSError as exc:
            if exc.errno != errno.ELOOP:
                raise NotFound("not_on_disk") from None
            path = self.resolve(relative)  # a symlinked file: resolve it fully, then check
            try:
                fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
            except OSError:
                raise NotFound("not_on_disk") from None
        try:
            st = os.fstat(fd)
        except OSError:
            os.close(fd)
            raise NotFound("not_on_disk") from None
        if not stat.S_ISREG(st.st_mode):
            os.close(fd)
            raise NotFound("not_a_regular_file")
        return OpenFile(fd=fd, path=path, size=st.st_size, mtime_ns=st.st_mtime_ns)
