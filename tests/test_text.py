"""Text encoders: the offline default loads with no network; CLIP's path loads a local file; caching works."""

from __future__ import annotations

import pytest
import torch

from e2gan.clip_model import ModelUnavailable, load_open_clip
from e2gan.text import load_text_encoder
from e2gan.text.cache import PromptCache
from e2gan.text.openclip import OpenCLIPTextEncoder
from tests.tiny import tiny_open_clip


def test_offline_default_encoder_understands_similarity():
    enc = load_text_encoder("minilm")
    assert enc.dim == 384
    emb = enc.encode(["make it a pencil sketch", "x"], max_tokens=16)
    assert emb.tokens.shape == (2, 16, 384) and emb.mask[1].sum() < emb.mask[0].sum()
    v = enc.pooled(["make it a pencil sketch", "pencil drawing style", "turn him into a zombie"])
    sims = v @ v.T
    assert sims[0, 1] > 0.6 > sims[0, 2]


def test_prompt_cache_encodes_each_prompt_once(tmp_path):
    cache = PromptCache("minilm", max_tokens=8, cache_dir=tmp_path)
    a = cache.get(["make it snowy", "make it snowy", "at night"])
    assert cache.encoded == 2 and a.tokens.shape == (3, 8, 384)
    cache.get(["at night"])
    assert cache.encoded == 2
    fresh = PromptCache("minilm", max_tokens=8, cache_dir=tmp_path)  # a new process: read from disk
    b = fresh.get(["make it snowy"])
    assert fresh.encoded == 0 and torch.equal(b.tokens[0], a.tokens[0])


def test_openclip_text_tower_from_a_local_safetensors_file(tmp_path):
    name, weights = tiny_open_clip(tmp_path)
    enc = OpenCLIPTextEncoder(name, str(weights))
    emb = enc.encode(["make it a watercolour", "zombie"], max_tokens=12)
    assert emb.tokens.shape == (2, 12, 32)
    assert emb.mask[0].sum() > emb.mask[1].sum() >= 3  # start + word + end tokens
    assert enc.name == f"openclip:{name}/{weights}"


def test_pickle_weights_are_refused(tmp_path):
    (tmp_path / "weights.bin").write_bytes(b"\x80\x04pickle")
    with pytest.raises(ModelUnavailable, match="only .safetensors"):
        load_open_clip("ViT-B-32", str(tmp_path / "weights.bin"))


def test_unknown_encoder_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown text encoder"):
        load_text_encoder("bert")
