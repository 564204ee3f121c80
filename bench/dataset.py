"""The media folder: 1000 thumbnails (4 KiB), 100 photos (200 KiB), one 64 MiB video.

Every message in the database has its own path, as in a real chat service;
those paths are hard links to the few originals, so the data set stays small
(and fully page-cached) while no request ever hits a missing file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from bench.world import World

THUMB_BYTES = 4 * 1024
PHOTO_BYTES = 200 * 1024
VIDEO_BYTES = 64 * 1024 * 1024
THUMB_COUNT = 1000
PHOTO_COUNT = 100


@dataclass(frozen=True, slots=True)
class Media:
    root: Path
    thumb_bytes: int = THUMB_BYTES
    photo_bytes: int = PHOTO_BYTES
    video_bytes: int = VIDEO_BYTES


def make_media(root: Path, world: World) -> Media:
    """Write the originals under root/.originals and link every message path to one."""
    originals = root / ".originals"
    originals.mkdir(parents=True)
    thumbs = [_write_random(originals / f"t{i}.jpg", THUMB_BYTES) for i in range(THUMB_COUNT)]
    photos = [_write_random(originals / f"p{i}.jpg", PHOTO_BYTES) for i in range(PHOTO_COUNT)]
    video = _write_random(originals / "video.mp4", VIDEO_BYTES)
    made_dirs: set[Path] = set()
    for message in world.messages:
        if message.attachment_path == world.video_path:
            attachment = video
        else:
            attachment = photos[message.original_index % PHOTO_COUNT]
        thumb = thumbs[message.original_index % THUMB_COUNT]
        for rel, original in ((message.attachment_path, attachment), (message.thumb_path, thumb)):
            target = root / rel
            if target.parent not in made_dirs:
                target.parent.mkdir(parents=True, exist_ok=True)
                made_dirs.add(target.parent)
            os.link(original, target)
    return Media(root=root)


def _write_random(path: Path, size: int) -> Path:
    # Random bytes: nothing on the path may profit from compressible content.
    with open(path, "wb") as fh:
        remaining = size
        while remaining:
            chunk = min(remaining, 1 << 20)
            fh.write(os.urandom(chunk))
            remaining -= chunk
    return path
