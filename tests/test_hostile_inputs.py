"""Hostile inputs: every class of bad input gets a clear message and loses nothing.

Each test names its class of input. Property-based tests (hypothesis) throw many random variants at the
source importer; each checks the same contract: the bad input is refused with a one-line reason (never a
traceback), what the project held before is still there and loads, and nothing is written outside it.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from e2gan import pairs, sources
from e2gan.curate import CurateSettings, curate
from e2gan.distill import distill
from e2gan.doctor import check_project, leftovers, orphan_sources
from e2gan.lora import LoraSettings
from e2gan.project import MAX_PROMPT_CHARS, ProjectError, ProjectStore
from e2gan.teachers.base import TeacherSpec
from e2gan.teachers.offline import offline_spec
from e2gan.train import TrainSettings

ROOT = Path(__file__).resolve().parents[1]
SMALL = sources.SourceSettings(pixel_scale=64)
FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
FORMATS = ["PNG", "JPEG", "WEBP", "GIF", "TIFF", "BMP"]
MAGIC = [b"", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xe0", b"GIF89a", b"BM", b"RIFF\0\0\0\0WEBPVP8 ", b"II*\0", b"PK\x03\x04"]


def image_bytes(fmt: str, seed: int = 0, size=(48, 40)) -> bytes:
    rng = np.random.default_rng(seed)
    img = Image.fromarray(rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8))
    buf = io.BytesIO()
    img.save(buf, format=fmt)
    return buf.getvalue()


@pytest.fixture
def guarded(tmp_path):
    """A project holding one good photo, inside a sandbox folder we can check for stray writes."""
    store = ProjectStore(tmp_path / "sandbox" / "projects")
    project = store.create("guarded", "make it a watercolour painting")
    good = tmp_path / "good.png"
    good.write_bytes(image_bytes("PNG", seed=99))
    sources.add_files(project, [good], settings=SMALL)
    return project


def assert_nothing_lost(project) -> None:
    entries = sources.list_sources(project)
    assert len(entries) >= 1, "the photo added before the bad input is gone"
    assert check_project(project) == []


def assert_clear_reason(report) -> None:
    for name, reason in report.rejected:
        assert reason and "\n" not in reason and "Traceback" not in reason, (name, reason)


def files_outside(project) -> set[Path]:
    sandbox = project.root.parent.parent
    return {p for p in sandbox.rglob("*") if project.root not in p.parents and p != project.root}


# -- random bytes and truncated images → the source importer -----------------------------------------
@FUZZ
@given(magic=st.sampled_from(MAGIC), body=st.binary(max_size=3000))
def test_random_bytes_are_refused_by_the_source_importer(guarded, tmp_path, magic, body):
    path = tmp_path / "random.png"
    path.write_bytes(magic + body)
    report = sources.add_files(guarded, [path], settings=SMALL)
    assert_clear_reason(report)
    assert len(report.added) + len(report.rejected) + len(report.duplicates) == 1
    assert_nothing_lost(guarded)


@FUZZ
@given(fmt=st.sampled_from(FORMATS), keep=st.floats(0.0, 0.8), seed=st.integers(0, 10))
def test_truncated_images_are_refused_by_the_source_importer(guarded, tmp_path, fmt, keep, seed):
    data = image_bytes(fmt, seed)
    path = tmp_path / f"cut.{fmt.lower()}"
    path.write_bytes(data[: int(len(data) * keep)])
    report = sources.add_files(guarded, [path], settings=SMALL)
    assert not report.added, f"{fmt} cut to {keep:.0%} was accepted"
    assert len(report.rejected) == 1
    assert_clear_reason(report)
    assert_nothing_lost(guarded)


# -- hostile zips ------------------------------------------------------------------------------------
HOSTILE_NAMES = st.one_of(
    st.sampled_from([
        "../escape.png", "../../../../tmp/escape.png", "a/../../escape.png", "/etc/absolute.png", "//server/share.png",
        "C:\\Windows\\evil.png", "..\\..\\evil.png", "\\\\server\\evil.png", "./././ok.png", "dir/", "ünïcödé/фото.png",
        "x" * 300 + ".png", " .png", "__MACOSX/._junk.png", ".DS_Store",
    ]),
    st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\0"), min_size=1, max_size=40),
)  # fmt: skip


@FUZZ
@given(names=st.lists(HOSTILE_NAMES, min_size=1, max_size=6), seed=st.integers(0, 1000))
def test_hostile_zip_entry_names_never_write_outside_the_project(guarded, tmp_path, names, seed):
    before = files_outside(guarded)
    path = tmp_path / "hostile.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for i, name in enumerate(names):
            zf.writestr(zipfile.ZipInfo(name), image_bytes("PNG", seed + i))
    report = sources.add_zip(guarded, path, settings=SMALL)
    assert_clear_reason(report)
    for name, reason in report.rejected:
        if ".." in name.replace("\\", "/").split("/") or name.startswith(("/", "\\")) or name[1:3] == ":\\":
            assert "outside" in reason or "absolute" in reason, (name, reason)
    assert files_outside(guarded) == before
    assert_nothing_lost(guarded)


def test_hostile_zip_symlink_entry_is_refused(guarded, tmp_path):
    path = tmp_path / "link.zip"
    with zipfile.ZipFile(path, "w") as zf:
        link = zipfile.ZipInfo("photo.png")
        link.external_attr = 0o120777 << 16
        zf.writestr(link, "/etc/passwd")
    report = sources.add_zip(guarded, path, settings=SMALL)
    assert "symbolic link" in dict(report.rejected)["photo.png"]
    assert_nothing_lost(guarded)


def test_hostile_zip_bomb_entry_is_refused_without_inflating(guarded, tmp_path):
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("bomb.png", b"\0" * (200 * 2**20))  # 200 MB of zeros in ~200 kB
    assert path.stat().st_size < 2**20
    report = sources.add_zip(guarded, path, settings=SMALL)
    assert "zip bomb" in dict(report.rejected)["bomb.png"]
    assert_nothing_lost(guarded)


def test_hostile_zip_with_too_many_entries_is_refused_whole(guarded, tmp_path, monkeypatch):
    monkeypatch.setattr(sources, "MAX_ZIP_ENTRIES", 50)
    path = tmp_path / "many.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for i in range(51):
            zf.writestr(f"{i}.txt", b"x")
    with pytest.raises(ValueError, match="51 entries; the limit is 50"):
        sources.add_zip(guarded, path, settings=SMALL)
    assert_nothing_lost(guarded)


# -- huge dimensions ---------------------------------------------------------------------------------
def test_huge_dimensions_claimed_in_a_header_are_refused_before_decoding(guarded, tmp_path):
    from tests.test_sources import huge_header_png

    path = tmp_path / "gigapixel.png"
    path.write_bytes(huge_header_png(200_000, 200_000))
    report = sources.add_files(guarded, [path], settings=SMALL)
    (reason,) = [r for _, r in report.rejected]
    assert "absurdly large" in reason, reason
    assert_nothing_lost(guarded)


@pytest.mark.parametrize("size", [(6000, 4000), (9000, 40), (40, 9000)])
def test_huge_dimensions_and_extreme_aspect_ratios_are_normalised_or_refused(guarded, tmp_path, size):
    path = tmp_path / "big.jpg"
    Image.new("RGB", size, (120, 80, 40)).save(path, quality=80)
    report = sources.add_files(guarded, [path], settings=SMALL)
    assert_clear_reason(report)
    for sid in report.added:
        (entry,) = [e for e in sources.list_sources(guarded) if e["id"] == sid]
        with Image.open(guarded.sources_dir / entry["file"]) as img:
            assert min(img.size) == 64 and max(img.size) == 64
    assert_nothing_lost(guarded)


# -- round two: files that ran programs, hung, aborted a batch or left orphans --------------------------
EPS = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 64 64\n/loop { loop } def { } loop\nshowpage\n%%EOF\n"


def test_postscript_named_jpg_is_refused_without_starting_any_program(guarded, tmp_path, monkeypatch):
    def no_programs(*args, **kwargs):
        raise AssertionError(f"an image decoder started a program: {args[:1]}")

    for name in ("Popen", "run", "call", "check_call", "check_output"):
        monkeypatch.setattr(subprocess, name, no_programs)
    path = tmp_path / "holiday.jpg"
    path.write_bytes(EPS)
    report = sources.add_files(guarded, [path], settings=SMALL)
    assert "supported format" in dict(report.rejected)["holiday.jpg"]
    assert_nothing_lost(guarded)


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="these file systems only store valid Unicode names")
def test_file_names_that_are_not_utf8_are_imported_under_a_readable_name(guarded, tmp_path):
    folder = tmp_path / "old-camera"
    folder.mkdir()
    (folder / "a.png").write_bytes(image_bytes("PNG", seed=1))
    odd = folder / os.fsdecode(b"caf\xe9 \xff.png")  # Latin-1 bytes: not UTF-8
    odd.write_bytes(image_bytes("PNG", seed=2))
    report = sources.add_folder(guarded, folder, settings=SMALL)
    assert len(report.added) == 2 and not report.rejected
    names = {e["name"] for e in sources.list_sources(guarded)}
    assert "caf\ufffd \ufffd.png" in names
    assert_nothing_lost(guarded)


def _damaged_zip(path: Path, damage: str) -> None:
    """A zip holding bad.png (damaged as named) between two good photos."""
    good = [image_bytes("PNG", seed=s) for s in (3, 4)]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("first.png", good[0])
        zf.writestr("bad.png", image_bytes("PNG", seed=5))
        zf.writestr("last.png", good[1])
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("bad.png")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    if damage == "crc":
        data[start + info.compress_size // 2] ^= 0xFF
    elif damage == "stream":
        data[start : start + 16] = b"\xff" * 16
    elif damage == "size":  # its central directory record claims fewer bytes than the entry holds
        at = data.index(b"bad.png", info.header_offset + 30 + 7) - 46
        assert data[at : at + 4] == b"PK\x01\x02"
        data[at + 24 : at + 28] = (10).to_bytes(4, "little")
    elif damage == "method":  # a compression method zipfile does not implement (97: WavPack)
        data[info.header_offset + 8 : info.header_offset + 10] = (97).to_bytes(2, "little")
        at = data.index(b"bad.png", info.header_offset + 30 + 7) - 46
        data[at + 10 : at + 12] = (97).to_bytes(2, "little")
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", ["crc", "stream", "size", "method"])
def test_a_damaged_zip_entry_is_one_skipped_line_and_the_batch_goes_on(guarded, tmp_path, damage):
    path = tmp_path / "photos.zip"
    _damaged_zip(path, damage)
    report = sources.add_zip(guarded, path, settings=SMALL)
    assert "bad.png" in dict(report.rejected), report
    assert len(report.added) == 2, report
    assert_clear_reason(report)
    assert_nothing_lost(guarded)
    assert orphan_sources(guarded) == []  # every image stored is listed


def test_a_strip_a_million_pixels_long_is_refused_before_resizing(guarded, tmp_path):
    path = tmp_path / "strip.png"
    Image.new("RGB", (32, 1_000_000), (10, 20, 30)).save(path)
    assert path.stat().st_size < 2**20  # tiny on disk, 2 GB once resized to the pixel scale
    report = sources.add_files(guarded, [path], settings=SMALL)
    assert "elongated" in dict(report.rejected)["strip.png"]
    assert_nothing_lost(guarded)


@pytest.mark.timeout(60)
@pytest.mark.skipif(sys.platform == "win32", reason="FIFOs and /dev/zero are POSIX")
@pytest.mark.parametrize("kind", ["fifo", "device", "sparse"])
def test_pipes_devices_and_huge_files_are_refused_without_reading_them(guarded, tmp_path, kind):
    if kind == "fifo":
        path = tmp_path / "pipe.png"
        os.mkfifo(path)  # nothing ever writes: reading it would block forever
    elif kind == "device":
        path = Path("/dev/zero")  # never ends
    else:
        path = tmp_path / "huge.png"
        with open(path, "wb") as f:
            f.truncate(2 * 2**30)  # 2 GB, sparse: takes no disk
    report = sources.add_files(guarded, [path], settings=SMALL)
    (reason,) = [r for _, r in report.rejected]
    assert ("regular file" in reason) if kind != "sparse" else ("too large" in reason), reason
    assert_nothing_lost(guarded)


def test_symbolic_links_inside_an_imported_folder_are_not_followed(guarded, tmp_path):
    private = tmp_path / "private"
    private.mkdir()
    (private / "secret.png").write_bytes(image_bytes("PNG", seed=7))
    folder = tmp_path / "holiday"
    folder.mkdir()
    (folder / "beach.png").write_bytes(image_bytes("PNG", seed=8))
    (folder / "innocent.png").symlink_to(private / "secret.png")
    (folder / "album").symlink_to(private, target_is_directory=True)
    report = sources.add_folder(guarded, folder, settings=SMALL)
    assert len(report.added) == 1
    rejected = dict(report.rejected)
    assert "symbolic link" in rejected["innocent.png"] and "symbolic link" in rejected["album"]
    assert all("secret" not in e["name"] for e in sources.list_sources(guarded))


def test_project_names_are_limited_in_bytes_not_only_letters(tmp_path):
    store = ProjectStore(tmp_path / "projects")
    with pytest.raises(ProjectError, match="bytes"):
        store.create("\U0001d49c" * 64)  # 64 letters, 256 bytes: more than a file name may hold
    assert store.create("\U0001d49c" * 20).name == "\U0001d49c" * 20
    older = store.create("ok")  # a project named before the limit existed still opens under its long name
    long_name = "\u6f22" * 50  # 150 bytes
    older.root.rename(store.root / long_name)
    doc = json.loads((store.root / long_name / "project.json").read_text())
    (store.root / long_name / "project.json").write_text(json.dumps({**doc, "name": long_name}))
    assert store.open(long_name).name == long_name and store.exists(long_name)


# -- absurd settings -----------------------------------------------------------------------------------
@pytest.fixture
def taught(tmp_path):
    project = ProjectStore(tmp_path / "projects").create("taught", "turn it into a cartoon")
    sources.add_samples(project, settings=SMALL)
    distill(project, offline_spec("cartoon"))
    return project


def test_absurd_setting_k_larger_than_the_data_uses_all_pairs_and_says_so(taught):
    n = len(pairs.usable_pairs(taught))
    result = curate(taught, CurateSettings(k=10 * n, skip_flagged=False))
    assert len(result.selection.ids) == n
    assert f"K={10 * n} is more than the {n} pairs" in result.note


@pytest.mark.parametrize("k", [0, -3])
def test_absurd_setting_k_zero_or_negative_is_refused(taught, k):
    with pytest.raises(ValueError, match="K must be at least 1"):
        curate(taught, CurateSettings(k=k))


@pytest.mark.parametrize(
    "change, message",
    [
        ({"steps": 0}, "steps must be at least 1"),
        ({"steps": -5}, "steps must be at least 1"),
        ({"lr": -1e-3}, "learning rates must be positive"),
        ({"batch_size": 0}, "batch_size must be at least 1"),
        ({"crop": 7}, "crop"),
        ({"gan_from": 1.5}, "gan_from"),
        ({"ema": 1.0}, "ema"),
        ({"checkpoint_every": 0}, "checkpoint_every"),
        ({"sample_every": 0}, "sample_every"),
        ({"probe_count": -1}, "probe_count"),
        ({"crop": 4096}, "at most 1024"),
        ({"seed": -3}, "seed"),
        ({"lr": float("nan")}, "positive|finite"),
        ({"edge_weight": -1.0}, "0 or more"),
    ],
)
def test_absurd_setting_training_numbers_are_refused(change, message):
    with pytest.raises(ValueError, match=message):
        TrainSettings(**change).validate()


@pytest.mark.parametrize("ranks", [{"down": -1}, {"transformer": 2.5}, {"everything": 4}, {g: 0 for g in ("down", "ds_us", "transformer", "up")}])
def test_absurd_setting_lora_ranks_negative_fractional_unknown_or_all_zero_are_refused(ranks):
    from e2gan.lora import lora_config

    with pytest.raises(ValueError, match="rank|group"):
        lora_config(LoraSettings(ranks=ranks))


@pytest.mark.parametrize("resolution, crop", [(4, "center"), (100_000, "center"), (256, "sideways")])
def test_absurd_setting_source_resolution_or_crop_is_refused(store, resolution, crop):
    project = store.create("fresh")
    with pytest.raises(ValueError, match="between 64 and 1024|crop must be one of"):
        sources.add_samples(project, settings=sources.SourceSettings(pixel_scale=resolution, crop=crop))
    assert sources.list_sources(project) == [] and project.get_setting("sources") is None


def test_empty_prompt_offline_teacher_uses_its_own_instruction(tmp_path):
    project = ProjectStore(tmp_path / "projects").create("no prompt", "")
    sources.add_samples(project, settings=SMALL)
    report = distill(project, offline_spec("pencil_sketch"))
    assert report.made > 0 and not report.failed


def test_empty_prompt_diffusion_teacher_is_refused_before_any_work(tmp_path):
    project = ProjectStore(tmp_path / "projects").create("no prompt", "   ")
    sources.add_samples(project, settings=SMALL)
    with pytest.raises(ValueError, match="no prompt"):
        distill(project, TeacherSpec("instruct-pix2pix", str(tmp_path / "no-weights")))
    assert pairs.read_pairs(project) == {}


def test_ten_thousand_character_prompt_is_refused_everywhere(store, tmp_path):
    huge = "make it a watercolour " * 500  # ~11,000 characters
    with pytest.raises(ProjectError, match=f"limit is {MAX_PROMPT_CHARS:,}"):
        store.create("huge", huge)
    assert not store.exists("huge")
    project = store.create("ok", "make it a watercolour painting")
    with pytest.raises(ProjectError, match="characters"):
        project.set_prompt(huge)
    assert project.prompt == "make it a watercolour painting"
    out = cli(store.root, "new", "huge2", "--prompt", huge)
    assert out.returncode == 2 and "limit is" in out.stderr and "Traceback" not in out.stderr


def test_long_prompt_within_the_limit_is_truncated_by_the_text_encoder_not_refused():
    from e2gan.text import load_text_encoder

    encoder = load_text_encoder("minilm")
    emb = encoder.encode(["make it a watercolour " * 45], max_tokens=32)  # ~990 characters, far more than 32 tokens
    assert emb.tokens.shape[0] == 1 and bool(emb.tokens.isfinite().all())


def cli(projects: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "e2gan.cli", "--projects", str(projects), *args]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize(
    "args, message",
    [
        (["finetune", "taught", "--steps", "0"], "steps must be at least 1"),
        (["finetune", "taught", "--rank", "-2"], "whole numbers"),
        (["curate", "taught", "--k", "0"], "K must be at least 1"),
        (["finetune", "taught", "--checkpoint-every", "0"], "checkpoint_every"),
        (["finetune", "taught", "--sample-every", "0"], "sample_every"),
        (["finetune", "taught", "--crop", "4096"], "at most 1024"),
        (["finetune", "taught", "--batch-size", "100000"], "lower --batch-size or --crop"),
        (["finetune", "taught", "--batch-size", "-4"], "batch_size must be at least 1"),
        (["distill", "taught", "--limit", "-1"], "limit must be at least 1"),
        (["distill", "taught", "--limit", "0"], "limit must be at least 1"),
    ],
)
def test_absurd_settings_on_the_command_line_get_a_message_not_a_traceback(taught, args, message):
    out = cli(taught.root.parent, *args)
    assert out.returncode == 2, out.stderr
    assert message in out.stderr and "Traceback" not in out.stderr
    assert check_project(taught) == []
    assert not taught.runs_dir.exists() or not list(taught.runs_dir.iterdir())  # refused before a run was created


def test_a_rejected_teacher_setting_is_not_saved(taught):
    saved = taught.get_setting("teacher")
    out = cli(taught.root.parent, "distill", "taught", "--teacher", "cartoon", "--set", "strength=-5")
    assert out.returncode == 2 and "strength" in out.stderr, out.stderr
    assert taught.get_setting("teacher") == saved
    again = cli(taught.root.parent, "distill", "taught")  # the next plain run still works
    assert again.returncode == 0, again.stderr


def test_an_interrupted_finetune_says_how_to_continue_it(taught, monkeypatch, capsys):
    from e2gan import cli as cli_module
    from e2gan import finetune

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(finetune, "finetune", interrupted)
    assert cli_module.main(["--projects", str(taught.root.parent), "finetune", "taught"]) == 130
    assert 'e2gan finetune "taught" --resume' in capsys.readouterr().err


# -- a project folder edited by hand into an invalid state -------------------------------------------
HAND_EDITS = {
    "project_json_not_json": ("project.json", "{ this is not json", "not valid JSON"),
    "project_json_future_schema": ("project.json", json.dumps({"name": "x", "schema_version": 99}), "Upgrade"),
    "project_json_prompt_not_text": ("project.json", json.dumps({"name": "x", "schema_version": 1, "prompt": 42}), "'prompt' must be text"),
    "project_json_a_list": ("project.json", "[1, 2, 3]", "not a project file"),
    "sources_manifest_not_json": ("sources/manifest.json", "{broken", "damaged"),
    "sources_manifest_wrong_shape": ("sources/manifest.json", json.dumps({"sources": [{"no_file": 1}]}), "damaged"),
}  # fmt: skip


@pytest.mark.parametrize("edit", list(HAND_EDITS))
def test_hand_edited_project_gets_a_clear_message_and_keeps_its_files(taught, edit):
    rel, text, message = HAND_EDITS[edit]
    images = sorted(p.name for p in taught.sources_dir.glob("*.png"))
    (taught.root / rel).write_text(text)
    store = ProjectStore(taught.root.parent)
    with pytest.raises(ProjectError, match=message):
        store.open(taught.root.name)
        sources.list_sources(taught)
    listed = {row.name: row for row in store.list()}
    assert taught.root.name in listed  # the project list still shows it…
    if rel == "project.json":
        assert message.split()[0] in listed[taught.root.name].error  # …with the reason
    assert sorted(p.name for p in taught.sources_dir.glob("*.png")) == images  # no image was touched
    out = cli(taught.root.parent, "doctor", taught.root.name)
    assert out.returncode != 0 and "Traceback" not in out.stderr + out.stdout


def test_hand_edited_pairs_manifest_skips_damaged_lines(taught):
    before = len(pairs.usable_pairs(taught))
    with open(pairs.manifest_path(taught), "a") as f:
        f.write('not json at all\n[1, 2]\n"a string"\n{"id": ""}\n')
    assert len(pairs.usable_pairs(taught)) == before
    assert any("damaged" in p for p in check_project(taught))


def test_hand_edited_selection_naming_unknown_pairs_is_a_clear_error(taught):
    from e2gan import finetune

    (taught.curate_dir / "selection.json").write_text(json.dumps({"ids": ["nope", "gone"]}))
    with pytest.raises(ValueError, match="no usable pairs|no training pairs"):
        finetune.finetune(taught, "scratch", TrainSettings(steps=1, crop=64))


# -- what the doctor finds that stopped work left behind ------------------------------------------------
def test_doctor_notes_unlisted_source_images_and_fix_removes_them(taught):
    (taught.sources_dir / "0123456789abcdef.png").write_bytes(image_bytes("PNG", seed=11))  # an import killed before listing it
    assert check_project(taught) == []  # not damage: every listed file is sound
    assert any("not listed" in note for note in leftovers(taught))
    out = cli(taught.root.parent, "doctor", taught.root.name)
    assert out.returncode == 0 and "1 image(s) in sources/ are not listed" in out.stdout
    fixed = cli(taught.root.parent, "doctor", taught.root.name, "--fix")
    assert "removed 1 unlisted" in fixed.stdout and orphan_sources(taught) == []


def test_a_truncated_adapter_is_found_by_the_doctor_and_refused_with_a_message(trained_project, tmp_path):
    import shutil

    from e2gan.runs import get_run

    shutil.copytree(trained_project.root, tmp_path / "projects" / "toon")
    project = ProjectStore(tmp_path / "projects").open("toon")
    adapter = get_run(project).output_dir / "adapter_model.safetensors"
    adapter.write_bytes(adapter.read_bytes()[: adapter.stat().st_size // 2])  # a copy cut short
    assert any("damaged" in p and "safetensors" in p for p in check_project(project))
    for args in (["apply", "toon", str(tmp_path / "in.png"), "--out", str(tmp_path / "out")], ["export", "toon", "--format", "onnx"]):
        Image.new("RGB", (64, 64), (90, 120, 30)).save(tmp_path / "in.png")
        out = cli(tmp_path / "projects", *args)
        assert out.returncode == 2 and "damaged" in out.stderr and "Traceback" not in out.stderr, out.stderr
    assert project.step("export").state == "failed"  # a failed export does not stay "running"
    assert not [p for p in project.exports_dir.iterdir() if p.name.startswith(".")]  # nor leave a half-built folder


def test_a_step_left_running_by_a_process_that_ended_reads_as_stopped(taught):
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(gone.stdout)  # a process that has ended
    doc = json.loads(taught.file.read_text())
    doc["steps"]["export"] = {"state": "running", "summary": "exporting x", "updated": None, "pid": pid, "process_started": 1.0}
    taught.file.write_text(json.dumps(doc))
    step = taught.step("export")
    assert step.state == "failed" and "stopped before finishing" in step.summary
    assert any("left running" in note for note in leftovers(taught))
    taught.set_step("teach", "running", "making pairs")  # this process is alive: still running
    assert taught.step("teach").state == "running"

