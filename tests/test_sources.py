"""Source images: every kind of odd or hostile input gets a clear message and never stops the batch."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

import numpy as np
import pytest
from PIL import Image

from e2gan import sources
from e2gan.sources import SourceSettings


def png_bytes(img: Image.Image, **save) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=save.pop("format", "PNG"), **save)
    return buf.getvalue()


def photo(w=96, h=64, seed=0) -> Image.Image:
    rng = np.random.default_rng(seed)
    base = np.linspace(0, 255, w)[None, :, None] * np.ones((h, 1, 3))
    return Image.fromarray((base * 0.5 + rng.integers(0, 128, (h, w, 3))).astype(np.uint8))


def write(tmp_path, name, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def huge_header_png(width=100_000, height=100_000) -> bytes:
    """A tiny PNG whose header claims gigapixels: opening it must not allocate them."""
    data = bytearray(png_bytes(Image.new("L", (8, 8))))
    ihdr = 8 + 8  # signature, then length+type of IHDR
    data[ihdr : ihdr + 8] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[12 : ihdr + 13]))
    data[ihdr + 13 : ihdr + 17] = struct.pack(">I", crc)
    return bytes(data)


SMALL = SourceSettings(pixel_scale=64)


def add(project, tmp_path, name, data):
    return sources.add_files(project, [write(tmp_path, name, data)], settings=SMALL)


def rejected_reason(report) -> str:
    assert len(report.rejected) == 1 and not report.added, report
    return report.rejected[0][1]


def test_good_image_is_normalised_square_at_resolution(project, tmp_path):
    report = add(project, tmp_path, "a.jpg", png_bytes(photo(300, 200), format="JPEG"))
    (entry,) = sources.list_sources(project)
    assert report.added == [entry["id"]]
    stored = Image.open(project.sources_dir / entry["file"])
    assert stored.mode == "RGB" and stored.size == (64, 64)
    assert entry["original_size"] == [300, 200]
    assert project.step("sources").state == "done"


def test_crop_policy_none_keeps_aspect(store, tmp_path):
    project = store.create("wide")
    sources.add_files(project, [write(tmp_path, "w.png", png_bytes(photo(200, 100)))], settings=SourceSettings(64, "none"))
    (entry,) = sources.list_sources(project)
    assert entry["size"] == [128, 64]


def test_random_crop_is_deterministic(store, tmp_path):
    sizes = []
    for i in range(2):
        p = store.create(f"r{i}")
        sources.add_files(p, [write(tmp_path, "w.png", png_bytes(photo(300, 100)))], settings=SourceSettings(64, "random"))
        sizes.append(np.asarray(Image.open(sources.source_paths(p)[0])))
    assert np.array_equal(*sizes)


def test_corrupt_bytes_are_rejected(project, tmp_path):
    reason = rejected_reason(add(project, tmp_path, "noise.jpg", np.random.default_rng(0).bytes(5000)))
    assert "not an image" in reason


def test_truncated_image_is_rejected(project, tmp_path):
    data = png_bytes(photo(400, 300), format="JPEG", quality=95)
    reason = rejected_reason(add(project, tmp_path, "cut.jpg", data[: len(data) // 2]))
    assert "truncated" in reason


def test_text_file_is_not_an_image(project, tmp_path):
    assert "not an image" in rejected_reason(add(project, tmp_path, "notes.txt", b"hello, world\n" * 10))


def test_empty_file_is_rejected(project, tmp_path):
    assert "not an image" in rejected_reason(add(project, tmp_path, "empty.png", b""))


def test_16bit_is_scaled_not_clipped(project, tmp_path):
    arr = (np.linspace(0, 65535, 64 * 64).reshape(64, 64)).astype(np.uint16)
    report = add(project, tmp_path, "deep.png", png_bytes(Image.fromarray(arr)))
    assert report.added and any("bit depth" in n for _, n in report.notes)
    stored = np.asarray(Image.open(sources.source_paths(project)[0]))
    assert 100 < stored.mean() < 155  # a ramp, not all white


def test_greyscale_becomes_rgb(project, tmp_path):
    report = add(project, tmp_path, "grey.png", png_bytes(photo().convert("L")))
    assert report.added and any("greyscale" in n for _, n in report.notes)
    assert Image.open(sources.source_paths(project)[0]).mode == "RGB"


def test_cmyk_becomes_rgb(project, tmp_path):
    report = add(project, tmp_path, "print.jpg", png_bytes(photo().convert("CMYK"), format="JPEG"))
    assert report.added and any("CMYK" in n for _, n in report.notes)


def test_alpha_is_flattened_on_white(project, tmp_path):
    rgba = np.zeros((64, 64, 4), np.uint8)
    rgba[..., 0] = 255
    rgba[:, :32, 3] = 255  # left half opaque red, right half fully transparent
    report = add(project, tmp_path, "alpha.png", png_bytes(Image.fromarray(rgba, "RGBA")))
    assert any("transparency" in n for _, n in report.notes)
    stored = np.asarray(Image.open(sources.source_paths(project)[0]))
    assert tuple(stored[32, 5]) == (255, 0, 0) and tuple(stored[32, 60]) == (255, 255, 255)


def test_animated_gif_uses_first_frame(project, tmp_path):
    frames = [Image.new("RGB", (64, 64), c) for c in ("red", "blue", "green")]
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    report = add(project, tmp_path, "anim.gif", buf.getvalue())
    assert report.added and any("3 frames" in n for _, n in report.notes)
    stored = np.asarray(Image.open(sources.source_paths(project)[0]))
    assert stored[..., 0].mean() > 200 and stored[..., 2].mean() < 50


def test_one_pixel_image_is_rejected(project, tmp_path):
    assert "too small" in rejected_reason(add(project, tmp_path, "dot.png", png_bytes(Image.new("RGB", (1, 1)))))


def test_decompression_bomb_is_rejected_without_decoding(project, tmp_path):
    assert "decompression bomb" in rejected_reason(add(project, tmp_path, "bomb.png", huge_header_png()))


def test_exif_orientation_is_applied(store, tmp_path):
    project = store.create("exif")
    img = Image.new("RGB", (128, 64), "red")
    img.paste((0, 0, 255), (0, 0, 64, 64))  # blue left half
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise when shown
    data = png_bytes(img, format="JPEG", exif=exif.tobytes())
    sources.add_files(project, [write(tmp_path, "phone.jpg", data)], settings=SourceSettings(64, "none"))
    stored = np.asarray(Image.open(sources.source_paths(project)[0]))
    assert stored.shape[:2] == (128, 64)  # now portrait
    assert stored[10, 32, 2] > 200  # blue is at the top after rotation


def test_duplicates_are_added_once(project, tmp_path):
    data = png_bytes(photo(seed=3))
    a = write(tmp_path, "a.png", data)
    b = write(tmp_path, "b.png", data)
    report = sources.add_files(project, [a, b], settings=SMALL)
    assert len(report.added) == 1 and report.duplicates == ["b.png"]
    again = sources.add_files(project, [a], settings=SMALL)
    assert again.duplicates == ["a.png"] and len(sources.list_sources(project)) == 1


def test_batch_goes_on_after_bad_files(project, tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "good1.png").write_bytes(png_bytes(photo(seed=1)))
    (folder / "bad.jpg").write_bytes(b"\xff\xd8garbage")
    (folder / "sub").mkdir()
    (folder / "sub" / "good2.jpg").write_bytes(png_bytes(photo(seed=2), format="JPEG"))
    (folder / ".hidden.png").write_bytes(png_bytes(photo(seed=4)))
    report = sources.add_folder(project, folder, settings=SMALL)
    assert len(report.added) == 2
    assert [n for n, _ in report.rejected] == ["bad.jpg"]


def test_empty_folder_is_a_clear_error(project, tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="no files"):
        sources.add_folder(project, tmp_path / "empty")


def hostile_zip(path) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("ok/good.png", png_bytes(photo(seed=5)))
        zf.writestr("../escape.png", png_bytes(photo(seed=6)))
        zf.writestr("/etc/absolute.png", png_bytes(photo(seed=7)))
        link = zipfile.ZipInfo("link.png")
        link.external_attr = (0o120777 << 16)
        zf.writestr(link, "/etc/passwd")
        zf.writestr("bomb.png", b"\0" * (50 * 2**20))
        zf.writestr("__MACOSX/._good.png", b"junk")


def test_zip_with_hostile_entries(project, tmp_path):
    path = tmp_path / "photos.zip"
    hostile_zip(path)
    report = sources.add_zip(project, path, settings=SMALL)
    reasons = dict(report.rejected)
    assert len(report.added) == 1
    assert "outside the archive" in reasons["../escape.png"]
    assert "absolute path" in reasons["/etc/absolute.png"]
    assert "symbolic link" in reasons["link.png"]
    assert "zip bomb" in reasons["bomb.png"]
    assert "__MACOSX/._good.png" not in reasons
    assert not (tmp_path / "escape.png").exists() and not (project.root.parent / "escape.png").exists()


def test_not_a_zip_is_a_clear_error(project, tmp_path):
    with pytest.raises(ValueError, match="not a readable zip"):
        sources.add_zip(project, write(tmp_path, "fake.zip", b"PK not really"))


def test_samples_are_offline_and_all_added(project):
    report = sources.add_samples(project, settings=SMALL)
    assert len(report.added) == len(sources.samples.sample_names()) >= 12
    assert not report.rejected
    again = sources.add_samples(project, settings=SMALL)
    assert not again.added and len(again.duplicates) == len(report.added)


def test_remove_sources(project, tmp_path):
    sources.add_files(project, [write(tmp_path, "a.png", png_bytes(photo(seed=8)))], settings=SMALL)
    (entry,) = sources.list_sources(project)
    assert sources.remove_sources(project, [entry["id"]]) == 1
    assert sources.list_sources(project) == [] and project.step("sources").state == "empty"


def test_progress_reports_every_item_with_eta(project, tmp_path):
    events = []
    files = [write(tmp_path, f"{i}.png", png_bytes(photo(seed=10 + i))) for i in range(3)]
    sources.add_files(project, files, settings=SMALL, progress=events.append)
    assert [e.done for e in events] == [0, 1, 2, 3] and events[-1].total == 3
    assert events[-1].eta_s == 0
