"""Atomic file writes: a reader sees the old file or the new one, never half of one.

Every file the pipeline writes goes through here, so a process killed mid-write (or a full disk)
leaves the previous version in place plus, at worst, a hidden temp file that `clean_temp_files`
removes the next time the folder is opened.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Iterator

TEMP_PREFIX = ".tmp-"


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temp path beside `path`; on success it replaces `path` in one rename.

    For writers that need a filename (PIL, safetensors, onnx). On error the temp file is removed
    and `path` is untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX + path.name + ".", dir=path.parent)
    os.close(fd)
    os.chmod(tmp, 0o644)  # mkstemp makes 0600; results are ordinary files (os.fchmod does not exist on Windows)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        _fsync_file(tmp_path)
        os.replace(tmp_path, path)
        _fsync_dir(path.parent)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()
        raise


def write_bytes(path: str | os.PathLike, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_text(path: str | os.PathLike, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def write_json(path: str | os.PathLike, obj: Any) -> None:
    write_text(path, json.dumps(obj, indent=2, ensure_ascii=False, sort_keys=False) + "\n")


def write_with(path: str | os.PathLike, writer: Callable[[io.BufferedWriter], None]) -> None:
    """Atomically write whatever `writer(fileobj)` writes (e.g. `image.save(f, format="PNG")`)."""
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        writer(f)


def read_json(path: str | os.PathLike) -> Any:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def append_line(path: str | os.PathLike, obj: Any) -> None:
    """Append one JSON line and flush it to disk. A torn last line is skipped by `read_lines`."""
    append_lines(path, [obj])


def append_lines(path: str | os.PathLike, objs: list[Any]) -> None:
    """Append JSON lines with one write and one flush to disk (a log written every step at GPU rates)."""
    if not objs:
        return
    with open(path, "a", encoding="utf-8") as f:
        f.write("".join(json.dumps(obj, ensure_ascii=False) + "\n" for obj in objs))
        f.flush()
        os.fsync(f.fileno())


def read_lines(path: str | os.PathLike) -> list[Any]:
    """Read a JSON-lines file, ignoring a last line torn by a killed writer."""
    path = Path(path)
    if not path.exists():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return rows


def clean_temp_files(folder: str | os.PathLike, min_age_s: float = 600, recursive: bool = False) -> int:
    """Remove temp files left by killed writers; returns how many were removed.

    Only files untouched for `min_age_s` go: a younger one may belong to a writer still at work.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return 0
    removed = 0
    now = time.time()
    for p in (folder.rglob if recursive else folder.glob)(TEMP_PREFIX + "*"):
        with contextlib.suppress(OSError):
            if now - p.lstat().st_mtime < min_age_s:
                continue
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p)
            else:
                p.unlink()
            removed += 1
    return removed


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as f:
        os.fsync(f.fileno())


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
