"""Chapter 9's variant language models: cached decoding, cache sizes, matched sizes."""

import json
import pathlib

import pytest
import torch
from tool_loader import load_script

from mhacourse.kv_budget import kv_cache_bytes, latent_cache_bytes
from mhacourse.studies.llm_variants import (
    VariantLM,
    cache_numbers_per_token,
    matched_ff_dim,
)

ROOT = pathlib.Path(__file__).resolve().parents[1]
SPECS = {
    "mha": {"kind": "mha", "num_heads": 4},
    "gqa": {"kind": "mha", "num_heads": 4, "num_kv_heads": 2},
    "mla": {"kind": "mla", "num_heads": 4, "kv_latent_dim": 6, "rope_dim": 2},
    "window": {"kind": "window", "num_heads": 4, "window": 3, "num_sink_tokens": 1},
    "shared": {"kind": "shared", "num_heads": 4, "num_kv_heads": 2},
}


@pytest.mark.parametrize("name", SPECS)
def test_cached_decoding_equals_the_full_pass(name):
    torch.manual_seed(0)
    model = VariantLM(SPECS[name], embed_dim=16, num_layers=2).double().eval()
    tokens = torch.randint(1, 50, (2, 11))  # (B, L), odd length, past the window
    full = model(tokens)  # (B, L, V)
    assert torch.allclose(model.decode(tokens), full, atol=1e-10)


def test_the_window_model_sees_only_its_window_and_sinks():
    torch.manual_seed(0)
    model = VariantLM(SPECS["window"], embed_dim=16, num_layers=1).double().eval()
    tokens = torch.randint(1, 50, (1, 9))
    changed = tokens.clone()
    changed[0, 3] = 51 if tokens[0, 3] != 51 else 52  # outside the last query's window
    out, moved = model(tokens), model(changed)
    assert torch.allclose(out[0, -1], moved[0, -1])  # 8 - 3 >= 3 and 3 is no sink
    assert not torch.allclose(out[0, 4], moved[0, 4])  # inside query 4's window


def test_the_sharing_layer_reads_the_first_layers_keys():
    torch.manual_seed(0)
    model = VariantLM(SPECS["shared"], embed_dim=16).double().eval()
    tokens = torch.randint(1, 50, (2, 7))
    before = model(tokens)
    with torch.no_grad():  # layer 1's own key/value projections are never used
        model.blocks[1].attn.k_proj.weight.add_(
            torch.randn_like(model.blocks[0].attn.k_proj.weight)
        )
        model.blocks[1].attn.v_proj.weight.add_(
            torch.randn_like(model.blocks[0].attn.k_proj.weight)
        )
    assert torch.allclose(model(tokens), before)
    with torch.no_grad():
        model.blocks[0].attn.k_proj.weight.add_(
            torch.randn_like(model.blocks[0].attn.k_proj.weight)
        )
    assert not torch.allclose(model(tokens), before)


def test_cache_numbers_per_token_follow_the_formulas():
    T, E, s = 40, 8, 4  # tokens, head dim, bytes per float32 number

    def numbers(name):
        return cache_numbers_per_token(VariantLM(SPECS[name]), T)

    assert numbers("mha") == kv_cache_bytes(T, 4, E, torch.float32) / s / T
    assert numbers("gqa") == kv_cache_bytes(T, 2, E, torch.float32) / s / T
    assert numbers("mla") == latent_cache_bytes(T, 6, 2, torch.float32) / s / T
    window = kv_cache_bytes(T, 4, E, torch.float32, window=3, num_sink_tokens=1)
    assert numbers("window") == window / s / T
    shared = kv_cache_bytes(T, 2, E, torch.float32, layers_per_cache=2)
    assert numbers("shared") == shared / s / T


@pytest.mark.parametrize("name", SPECS)
def test_matched_feed_forward_gives_the_parameters_of_mha(name):
    def params(spec):
        ff = matched_ff_dim(spec, SPECS["mha"])
        return sum(p.numel() for p in VariantLM(spec, ff_dim=ff).parameters())

    assert abs(params(SPECS[name]) / params(SPECS["mha"]) - 1) < 0.005


def test_bad_specs_are_refused_by_name():
    with pytest.raises(ValueError, match="spec\\['kind'\\]"):
        VariantLM({"kind": "sparse", "num_heads": 4})
    with pytest.raises(ValueError, match="num_layers=3"):
        VariantLM(SPECS["shared"], num_layers=3)


def test_the_short_training_run_reproduces_the_shipped_one():
    """Re-run the cheap run of tools/ch09_results.py; tolerance from its spread."""
    tool = load_script("tools/ch09_results.py")
    data = json.loads((ROOT / "book" / "data" / "ch09_variants.json").read_text())
    tolerance = json.loads((ROOT / "tests" / "data" / "ch09_spread.json").read_text())
    got = tool.short_run()
    for key, want in data["short"]["metrics"].items():
        for metric in ("loss", "accuracy"):
            assert abs(got[key][metric] - want[metric]) <= tolerance["tolerance"], key
