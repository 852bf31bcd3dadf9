"""Step 1: add source images to a project from a folder, a zip, uploads or the built-in samples.

Every image is decoded by `e2gan.images.decode_image` (RGB, EXIF orientation applied), resized so its
short side is the training resolution and cropped by the project's crop policy, then stored as
`sources/<id>.png` where `id` is a hash of its decoded pixels, so the same picture is only added once.
`sources/manifest.json` lists them. A bad file is reported with its reason and skipped; the batch goes on.

Only regular files are read (never a device or a pipe), folders are walked without following symbolic
links, and only the image formats `e2gan.images.FORMATS` lists are decoded. Zips are read entry by entry
in memory (never extracted); entries with `..`, absolute paths, symbolic links, encryption, suspicious
compression ratios or damaged data are refused one by one.
"""

from __future__ import annotations

import os
import stat
import time
import zipfile
import zlib
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Callable, Iterable, Sequence

from e2gan import atomic, images, samples
from e2gan.progress import ProgressFn, Tracker
from e2gan.project import Project, ProjectError, now_iso

MANIFEST = "manifest.json"
DEFAULT_PIXEL_SCALE = 256
MAX_ZIP_ENTRIES = 20_000
MAX_ZIP_TOTAL_BYTES = 8 * 1024**3
MAX_COMPRESSION_RATIO = 200  # real images compress < 10x; a bomb is thousands
_FLUSH_EVERY_S = 2.0

Item = tuple[str, Callable[[], bytes]]  # (display name, loader returning the file's bytes)


@dataclass
class SourceSettings:
    pixel_scale: int = DEFAULT_PIXEL_SCALE  # short side of stored images: the teacher edits, and filters run, at it
    crop: str = "center"  # center | random (seeded by the image) | none (keep the aspect ratio)

    @classmethod
    def from_stored(cls, stored: dict) -> "SourceSettings":
        """Read project.json's settings; projects made before the rename call the pixel scale `resolution`."""
        scale = stored.get("pixel_scale", stored.get("resolution", DEFAULT_PIXEL_SCALE))
        return cls(pixel_scale=int(scale), crop=stored.get("crop", "center"))


@dataclass
class ImportReport:
    added: list[str] = field(default_factory=list)  # ids of new sources
    duplicates: list[str] = field(default_factory=list)  # names already in the project
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (name, reason)
    notes: list[tuple[str, str]] = field(default_factory=list)  # (name, what was converted)

    def merge(self, other: "ImportReport") -> "ImportReport":
        return ImportReport(
            self.added + other.added,
            self.duplicates + other.duplicates,
            self.rejected + other.rejected,
            self.notes + other.notes,
        )

    def summary(self) -> str:
        parts = [f"{len(self.added)} added"]
        if self.duplicates:
            parts.append(f"{len(self.duplicates)} duplicates skipped")
        if self.rejected:
            parts.append(f"{len(self.rejected)} rejected")
        return ", ".join(parts)


# -- reading the store ----------------------------------------------------------------------------
def list_sources(project: Project) -> list[dict]:
    """The project's source entries, oldest first; entries whose file vanished are dropped."""
    path = project.sources_dir / MANIFEST
    if not path.exists():
        return []
    try:
        entries = atomic.read_json(path)["sources"]
        return [e for e in entries if (project.sources_dir / e["file"]).is_file() and e["id"]]
    except (ValueError, UnicodeDecodeError, KeyError, TypeError, AttributeError) as e:
        raise ProjectError(
            f"{path} is damaged ({type(e).__name__}: {e}). Fix it or move it aside and add the photos again; "
            "no image was deleted."
        ) from None


def source_paths(project: Project) -> list[Path]:
    return [project.sources_dir / e["file"] for e in list_sources(project)]


def settings_of(project: Project) -> SourceSettings:
    return SourceSettings.from_stored(project.get_setting("sources", asdict(SourceSettings())))


# -- adding ----------------------------------------------------------------------------------------
def add_items(
    project: Project,
    items: Sequence[Item],
    origin: str,
    settings: SourceSettings | None = None,
    progress: ProgressFn | None = None,
) -> ImportReport:
    """Decode, normalise and store each item; the core every `add_*` function uses."""
    settings = _fix_settings(project, settings)
    report = ImportReport()
    with project.lock("sources"):
        entries = list_sources(project)
        known = {e["id"] for e in entries}
        tracker = Tracker("Adding images", len(items), progress)
        last_flush = time.monotonic()
        try:
            for name, load in items:
                name = display_name(name)
                entry = _import_one(project, name, load, origin, settings, known, report)
                if entry:
                    entries.append(entry)
                    known.add(entry["id"])
                    if time.monotonic() - last_flush > _FLUSH_EVERY_S:
                        _write_manifest(project, entries)
                        last_flush = time.monotonic()
                tracker.advance(message=name)
        finally:  # even when stopped (cancel, an unforeseen error): every stored image stays in the manifest
            _write_manifest(project, entries)
    if report.added:
        project.set_step("sources", "done", f"{len(entries)} images")
        project.mark_downstream_stale("sources")
    return report


def display_name(name: str) -> str:
    """A file name as text that can be stored and shown: bytes that are not UTF-8 (an old zip, a file made on
    another system) arrive as lone surrogates, which JSON files and web pages cannot hold."""
    try:
        return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:  # a lone surrogate outside the escape range (Windows names): replace it
        return name.encode("utf-8", "replace").decode("utf-8")


def _import_one(project, name, load, origin, settings, known, report) -> dict | None:
    try:
        img, notes = images.decode_image(load())
    except images.ImageRejected as e:
        report.rejected.append((name, str(e)))
        return None
    except OSError as e:
        report.rejected.append((name, f"could not read file ({e.strerror or e})"))
        return None
    source_id = images.pixel_hash(img)[:16]
    if source_id in known:
        report.duplicates.append(name)
        return None
    w, h = img.size
    if min(w, h) < settings.pixel_scale:
        notes.append(f"upscaled from {w}x{h} (smaller than {settings.pixel_scale} px)")
    img = images.normalise(img, settings.pixel_scale, settings.crop, seed=int(source_id[:8], 16))
    file = f"{source_id}.png"
    atomic.write_with(project.sources_dir / file, lambda f: img.save(f, format="PNG"))
    report.added.append(source_id)
    report.notes.extend((name, n) for n in notes)
    return {
        "id": source_id,
        "file": file,
        "name": name,
        "origin": origin,
        "size": list(img.size),
        "original_size": [w, h],
        "notes": notes,
        "added": now_iso(),
    }


def _fix_settings(project: Project, settings: SourceSettings | None) -> SourceSettings:
    """The first import fixes the project's pixel scale and crop; later imports must agree."""
    stored = project.get_setting("sources")
    if stored is None:
        settings = settings or SourceSettings()
        if settings.crop not in images.CROP_POLICIES:
            raise ValueError(f"crop must be one of {images.CROP_POLICIES}")
        if not 64 <= settings.pixel_scale <= 1024:
            raise ValueError("pixel_scale must be between 64 and 1024 pixels")
        project.set_setting("sources", asdict(settings))
        return settings
    return SourceSettings.from_stored(stored)


def _write_manifest(project: Project, entries: list[dict]) -> None:
    atomic.write_json(project.sources_dir / MANIFEST, {"sources": entries})


def add_files(project: Project, paths: Iterable[str | Path], origin: str = "upload", **kw) -> ImportReport:
    """Add individual files (uploads, a file dialog's selection)."""
    items = [(Path(p).name, (lambda p=p: images.read_file(p))) for p in paths]
    return add_items(project, items, origin, **kw)


def add_folder(project: Project, folder: str | Path, **kw) -> ImportReport:
    """Add every file under `folder` (recursively). Hidden files and folders are skipped, and so are symbolic
    links: a link could point anywhere on the disk, outside the folder the user chose."""
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder")
    files, links = folder_files(folder)
    if not files and not links:
        raise FileNotFoundError(f"{folder} contains no files")
    items = [(str(p.relative_to(folder)), (lambda p=p: images.read_file(p))) for p in files]
    items += [(str(p.relative_to(folder)), _refuse_link) for p in links]
    return add_items(project, items, f"folder:{folder}", **kw)


def folder_files(folder: Path) -> tuple[list[Path], list[Path]]:
    """(files, symbolic links) under `folder`, without following links or entering hidden folders."""
    files, links = [], []
    for root, dirs, names in os.walk(folder, followlinks=False):
        here = Path(root)
        links += [here / d for d in dirs if (here / d).is_symlink() and not d.startswith(".")]
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not (here / d).is_symlink())
        for n in names:
            if not n.startswith("."):
                (links if (here / n).is_symlink() else files).append(here / n)
    return sorted(files), sorted(links)


def _refuse_link() -> bytes:
    raise images.ImageRejected("symbolic link: skipped (links are not followed)")


DEFAULT_IMPORT_ROOTS = ("~/Pictures",)  # where the studio may import a typed path from, unless told otherwise


class ImportRefused(ValueError):
    """A typed path the studio may not import from; str(e) says why and what to do instead."""


def add_path(project: Project, path: str | Path, roots: Sequence[str | Path], **kw) -> ImportReport:
    """Add the folder or zip at a path typed into the studio, only from inside `roots`: the folders the person
    who started the studio allowed. The studio's API is reachable by any program that can reach its port,
    and a path must not let such a program read, list or serve the rest of the disk."""
    target = check_import_path(path, roots)
    return add_folder(project, target, **kw) if target.is_dir() else add_zip(project, target, **kw)


def check_import_path(path: str | Path, roots: Sequence[str | Path]) -> Path:
    """The real path (links and `..` resolved) of an importable folder or zip inside `roots`, or a clear error.
    The root check comes first, so the answer never reveals whether a path outside them exists."""
    text = str(path or "").strip()
    if not roots:
        raise ImportRefused("Importing from a path is off in this studio: upload the photos or a zip instead "
                            "(whoever started the studio can allow a folder with --import-root).")  # fmt: skip
    if not text:
        raise FileNotFoundError("No such folder or zip: ''")
    if text.startswith(("\\\\", "//")):  # a network share: opening it would already talk to another machine
        raise ImportRefused(f"{text} is a network path: copy the photos to this computer or upload them.")
    lexical = Path(os.path.abspath(Path(text).expanduser()))  # checked before the disk is touched, then again resolved
    outside = _within(lexical, roots, resolve=False) is None and _within(lexical, roots, resolve=True) is None
    target = lexical if outside else Path(os.path.realpath(lexical))
    inside = None if outside else _within(target, roots, resolve=True)
    if not inside or any(part.startswith(".") for part in target.relative_to(inside).parts):
        raise ImportRefused(f"{text} is outside the folders this studio may import from ({', '.join(str(r) for r in roots)}): "
                            "upload the photos instead, or start the studio with --import-root pointing at their folder.")  # fmt: skip
    if not target.exists():
        raise FileNotFoundError(f"No such folder or zip: {text!r}")
    if not (target.is_dir() or stat.S_ISREG(target.stat().st_mode)):
        raise ImportRefused(f"{text} is neither a folder nor a file")
    return target


def _within(path: Path, roots: Sequence[str | Path], resolve: bool) -> Path | None:
    """The root (as given, or resolved) that contains `path`, if any."""
    for r in roots:
        root = Path(os.path.realpath(Path(r).expanduser())) if resolve else Path(os.path.abspath(Path(r).expanduser()))
        if path == root or root in path.parents:
            return root
    return None


def add_zip(project: Project, zip_path: str | Path, **kw) -> ImportReport:
    """Add the images inside a zip, reading entries in memory; unsafe entries are refused."""
    zip_path = Path(zip_path)
    try:
        zf = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError) as e:
        raise ValueError(f"{zip_path.name} is not a readable zip file ({e})") from None
    with zf:
        infos = [i for i in zf.infolist() if not i.is_dir() and not _is_junk(i.filename)]
        if len(infos) > MAX_ZIP_ENTRIES:
            raise ValueError(f"{zip_path.name} has {len(infos)} entries; the limit is {MAX_ZIP_ENTRIES}")
        total = sum(i.file_size for i in infos)
        if total > MAX_ZIP_TOTAL_BYTES:
            raise ValueError(f"{zip_path.name} would unpack to {total / 2**30:.1f} GB; refused (zip bomb?)")
        items = [(info.filename, _zip_loader(zf, info)) for info in infos]
        return add_items(project, items, f"zip:{zip_path.name}", **kw)


def add_snapshots(project: Project, frames: Sequence, **kw) -> ImportReport:
    """Add webcam snapshots (uint8 RGB arrays) through the same decode and normalise path as files."""
    import io

    import numpy as np
    from PIL import Image

    def png(frame) -> bytes:
        buffer = io.BytesIO()
        Image.fromarray(np.ascontiguousarray(np.asarray(frame, dtype=np.uint8)[..., :3])).save(buffer, format="PNG")
        return buffer.getvalue()

    stamp = time.strftime("%Y%m%d-%H%M%S")
    items = [(f"webcam-{stamp}-{i + 1}.png", (lambda f=f: png(f))) for i, f in enumerate(frames)]
    return add_items(project, items, "webcam", **kw)


def add_samples(project: Project, **kw) -> ImportReport:
    """Add the built-in sample photos (bundled in scikit-image and scikit-learn)."""
    return add_items(project, list(samples.iter_samples()), "samples", **kw)


def _is_junk(name: str) -> bool:
    parts = PurePosixPath(name.replace("\\", "/")).parts
    return any(p == "__MACOSX" or p.startswith("._") or p == ".DS_Store" for p in parts)


def _zip_loader(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> Callable[[], bytes]:
    def load() -> bytes:
        check_zip_entry(info)
        try:
            with zf.open(info) as f:
                data = f.read(images.MAX_FILE_BYTES + 1)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError) as e:
            raise images.ImageRejected(f"damaged or unsupported zip entry ({type(e).__name__}: {e})") from None
        if len(data) > images.MAX_FILE_BYTES:
            raise images.ImageRejected("file too large")
        return data

    return load


def check_zip_entry(info: zipfile.ZipInfo) -> None:
    """Refuse entries that escape the archive or that unpack far beyond their stored size."""
    name = info.filename.replace("\\", "/")
    path = PurePosixPath(name)
    if path.is_absolute() or (len(name) > 1 and name[1] == ":"):
        raise images.ImageRejected("unsafe zip entry: absolute path")
    if ".." in path.parts:
        raise images.ImageRejected("unsafe zip entry: path goes outside the archive ('..')")
    if (info.external_attr >> 16) & 0o170000 == 0o120000:
        raise images.ImageRejected("unsafe zip entry: symbolic link")
    if info.flag_bits & 0x1:
        raise images.ImageRejected("encrypted zip entry: unzip it with its password first")
    if info.compress_size and info.file_size / info.compress_size > MAX_COMPRESSION_RATIO and info.file_size > 2**20:
        raise images.ImageRejected("refused: compression ratio is absurd (zip bomb?)")
    if info.file_size > images.MAX_FILE_BYTES:
        raise images.ImageRejected(f"file too large ({info.file_size / 2**20:.0f} MB)")


def remove_sources(project: Project, ids: Iterable[str]) -> int:
    """Remove sources by id; returns how many were removed."""
    ids = set(ids)
    with project.lock("sources"):
        entries = list_sources(project)
        keep = [e for e in entries if e["id"] not in ids]
        _write_manifest(project, keep)
        for e in entries:
            if e["id"] in ids:
                (project.sources_dir / e["file"]).unlink(missing_ok=True)
    removed = len(entries) - len(keep)
    if removed:
        project.set_step("sources", "done" if keep else "empty", f"{len(keep)} images")
        project.mark_downstream_stale("sources")
    return removed
