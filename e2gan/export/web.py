"""The phone web build: a static folder that runs the filter on the phone's camera in its browser.

    web/index.html, app.js        the page (assets/web): camera → model → canvas, fps, before/after, flip
    web/model.onnx                the verified fp32 export
    web/config.json               title, prompt, pixel_scale (short side the filter runs at)
    web/ort.wasm.min.js, ort-wasm-simd-threaded.{mjs,wasm}   onnxruntime-web's runtime

The runtime files come from the npm registry (`onnxruntime-web`, pinned) when a build first needs them; the
tarball's integrity is checked against the registry's sha512 and the files are cached in
`~/.cache/e2gan/onnxruntime-web-<version>/`. None are committed. Phones only grant camera access to https
pages (or localhost): serve the folder over https (`e2gan.export.serve` does, with a self-signed
certificate) or host it anywhere that has https.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import urllib.request
import zipfile
from pathlib import Path

from e2gan import atomic
from e2gan.assets import asset
from e2gan.text.cache import default_cache_dir

ORT_WEB_VERSION = "1.30.0"
RUNTIME_FILES = ("ort.wasm.min.js", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm")
TEMPLATE = asset("web")


class RuntimeUnavailable(RuntimeError):
    pass


def registry() -> str:
    return os.environ.get("NPM_CONFIG_REGISTRY", "https://registry.npmjs.org").rstrip("/")


def runtime_dir(version: str = ORT_WEB_VERSION, cache: Path | None = None) -> Path:
    """The folder holding onnxruntime-web's runtime files, downloading them once if needed."""
    folder = Path(cache or os.environ.get("E2GAN_RUNTIME_CACHE") or default_cache_dir()) / f"onnxruntime-web-{version}"
    if all((folder / f).is_file() for f in RUNTIME_FILES):
        return folder
    tarball = _fetch_tarball(version)
    folder.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as tar:
        for name in RUNTIME_FILES:
            member = tar.getmember(f"package/dist/{name}")
            data = tar.extractfile(member).read()
            atomic.write_bytes(folder / name, data)
    return folder


def _fetch_tarball(version: str) -> bytes:
    try:
        with urllib.request.urlopen(f"{registry()}/onnxruntime-web/{version}", timeout=60) as r:
            meta = json.load(r)["dist"]
        with urllib.request.urlopen(meta["tarball"], timeout=300) as r:
            data = r.read()
    except OSError as e:
        data = _npm_pack(version, e)
        meta = {}
    integrity = meta.get("integrity", "")
    if integrity.startswith("sha512-"):
        digest = base64.b64encode(hashlib.sha512(data).digest()).decode()
        if digest != integrity.removeprefix("sha512-"):
            raise RuntimeUnavailable("the downloaded onnxruntime-web package failed its integrity check")
    return data


def _npm_pack(version: str, error: Exception) -> bytes:
    """Fallback through the npm CLI (it knows proxies and mirrors from the user's npm config)."""
    npm = shutil.which("npm")
    if not npm:
        raise RuntimeUnavailable(
            f"could not download onnxruntime-web {version} from {registry()} ({error}) and npm is not installed"
        ) from error
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        result = subprocess.run([npm, "pack", f"onnxruntime-web@{version}"], cwd=tmp, capture_output=True, text=True)
        if result.returncode:
            raise RuntimeUnavailable(f"npm pack onnxruntime-web@{version} failed: {result.stderr[-500:]}") from error
        return next(Path(tmp).glob("*.tgz")).read_bytes()


def build_web(onnx_path: str | Path, out: str | Path, title: str, prompt: str, pixel_scale: int) -> Path:
    """Assemble the static page in `out` (replaced if it exists)."""
    out = Path(out)
    runtime = runtime_dir()
    staging = out.with_name(atomic.TEMP_PREFIX + out.name)
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(TEMPLATE, staging)
    for name in RUNTIME_FILES:
        shutil.copy2(runtime / name, staging / name)
    shutil.copy2(onnx_path, staging / "model.onnx")
    config = {"title": title, "prompt": prompt, "pixel_scale": pixel_scale, "model": "model.onnx", "ort_web": ORT_WEB_VERSION}
    (staging / "config.json").write_text(json.dumps(config, indent=2))
    if out.exists():
        shutil.rmtree(out)
    staging.rename(out)
    return out


def zip_folder(folder: str | Path, zip_path: str | Path) -> Path:
    folder, zip_path = Path(folder), Path(zip_path)
    with atomic.atomic_path(zip_path) as tmp:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
            for f in sorted(folder.rglob("*")):
                if f.is_file():
                    zf.write(f, f"{folder.name}/{f.relative_to(folder)}")
    return zip_path
