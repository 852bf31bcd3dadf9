"""`pip install .` gives a working `e2gan` anywhere, not only in a checkout: the wheel carries the shipped
base, the presets and the phone page. The wheel is built here and installed into a folder outside the
checkout; the dependencies come from the test environment (nothing is downloaded)."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation", "-w", str(out / "dist"), "-q"],
                           capture_output=True, text=True, cwd=out)  # fmt: skip
    assert build.returncode == 0, build.stderr[-3000:]
    (wheel,) = (out / "dist").glob("e2gan_studio-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for needed in ("e2gan/_assets/base/model.safetensors", "e2gan/_assets/presets/training.json", "e2gan/_assets/web/index.html"):
        assert needed in names, f"the wheel lacks {needed}"
    target = out / "site"
    install = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--target", str(target), str(wheel), "-q"], capture_output=True, text=True)
    assert install.returncode == 0, install.stderr[-3000:]
    return target


def e2gan(site: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(site), OMP_NUM_THREADS="1")  # the installed copy comes before the checkout's
    return subprocess.run([sys.executable, "-m", "e2gan.cli", "--projects", str(cwd / "projects"), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)  # fmt: skip


def test_an_installed_wheel_trains_from_the_shipped_base_outside_the_checkout(installed, tmp_path):
    where = subprocess.run([sys.executable, "-c", "import e2gan.assets as a; print(a.__file__); print(a.assets_dir())"],
                           env=dict(os.environ, PYTHONPATH=str(installed)), cwd=tmp_path, capture_output=True, text=True)  # fmt: skip
    module, assets = where.stdout.split()
    assert Path(module).is_relative_to(installed) and Path(assets).is_relative_to(installed), where.stdout
    for args in (["new", "p", "--prompt", "turn it into a cartoon"], ["sources", "add", "p", "--samples", "--pixel-scale", "64"],
                 ["distill", "p", "--teacher", "cartoon", "--limit", "3"], ["finetune", "p", "--steps", "2", "--crop", "32"]):  # fmt: skip
        out = e2gan(installed, tmp_path, *args)
        assert out.returncode == 0, f"e2gan {' '.join(args)}:\n{out.stderr[-3000:]}"
    assert "done at step 2" in out.stdout
