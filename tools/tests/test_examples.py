"""Files in examples/ load, match their metadata, fit the chip, and the numpy reference
forward reproduces the stored reference logits."""
import json
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file

from tools import chip
from tools.eventio import load_events, read_metadata
from tools.reference_forward import forward_dataset

EX = Path(__file__).resolve().parents[2] / "examples"
TASKS = ["event_digits", "spoken_digits"]
MODELS = ["event_ssm_float", "event_ssm_int8", "s4d_float", "s4d_ternary"]


def _model_files():
    return [(t, m) for t in TASKS for m in MODELS if (EX / f"{t}_{m}.safetensors").exists()]


@pytest.mark.parametrize("task", TASKS)
def test_event_dataset_matches_metadata(task):
    p = EX / f"{task}_test.safetensors"
    if not p.exists():
        pytest.skip("not built")
    es = load_events(p)
    m = es.meta
    assert m["format"] == "xbarlab-events-1"
    S = len(es)
    assert int(m["num_samples"]) == S and int(m["num_events"]) == len(es.times)
    assert es.offsets[0] == 0 and es.offsets[-1] == len(es.times)
    assert np.all(np.diff(es.offsets) >= 0)
    C = int(m["num_channels"])
    assert es.channels.min() >= 0 and es.channels.max() < C
    assert len(json.loads(m["channel_names"])) == C
    classes = json.loads(m["class_names"])
    assert es.labels.min() >= 0 and es.labels.max() < len(classes)
    assert set(np.unique(es.polarity)) <= {-1, 1}
    for i in range(S):
        t, _, _ = es.sample(i)
        assert np.all(np.diff(t) >= 0) and (len(t) == 0 or t[0] >= 0)
    assert es.times.dtype == np.float64 and es.channels.dtype == np.int32
    assert es.offsets.dtype == np.int64 and es.labels.dtype == np.int32


@pytest.mark.parametrize("task,model", _model_files())
def test_model_file_metadata_and_chip_fit(task, model):
    p = EX / f"{task}_{model}.safetensors"
    t = load_file(str(p))
    m = read_metadata(p)
    L = int(m["n_layers"])
    assert m["architecture"] == ("event_ssm" if model.startswith("event") else "s4d")
    assert len(json.loads(m["class_names"])) == int(m["n_classes"]) == t["readout.b"].shape[0]
    blocks = json.loads(m["blocks"])
    assert len(blocks) == L
    taus = json.loads(m["decay_tau_seconds"])
    for l in range(L):
        ts = t[f"layers.{l}.tau_seconds"]
        assert np.all((ts >= 1e-3 - 1e-9) & (ts <= 0.1 + 1e-9))
        assert np.allclose(sorted(set(np.round(ts, 7))), sorted(set(np.round(taus[l], 7))),
                           rtol=1e-5)
    # chip budget
    stm = json.loads(m["stm"])
    assert stm["stm_nodes"] <= chip.STM_NODES
    tm = json.loads(m["tile_map"])
    assert tm["pair_orientation"] == "columns"
    used = {}
    for pl in tm["placements"]:
        assert 0 <= pl["tile"] < chip.TILES
        assert pl["row_offset"] + pl["rows"] <= chip.TILE_ROWS
        assert 2 * (pl["col_pair_offset"] + pl["outputs"]) <= chip.TILE_COLS
        rows = set(range(pl["row_offset"], pl["row_offset"] + pl["rows"]))
        assert not (used.setdefault(pl["tile"], set()) & rows)
        used[pl["tile"]] |= rows
    # quantisation codes consistent with float tensors
    q = json.loads(m["quantisation"])
    for k in t:
        if k.endswith(".codes"):
            base = k[:-6]
            codes, scale = t[k].astype(np.float32), t[base + ".scale"]
            if base in t:
                w = codes * (scale[:, None] if scale.shape[0] > 1 else scale[0])
                assert np.allclose(w, t[base], atol=1e-6)
            if "ternary" in model:
                assert set(np.unique(t[k])) <= {-1, 0, 1}
            else:
                assert np.abs(t[k]).max() <= 127
    if model.endswith(("int8", "ternary")):
        assert q["activations"] == "int8"


@pytest.mark.parametrize("task,model", _model_files())
def test_reference_forward_reproduces_stored_logits(task, model):
    rp = EX / "reference_outputs.safetensors"
    if not rp.exists():
        pytest.skip("not built")
    ref = load_file(str(rp))
    key = f"{task}_{model}.logits"
    if key not in ref:
        pytest.skip("no reference for this model")
    es = load_events(EX / f"{task}_test.safetensors")
    n = ref[key].shape[0]
    n_check = min(n, 5)
    out = forward_dataset(EX / f"{task}_{model}.safetensors", es, n_check)
    assert np.allclose(out, ref[key][:n_check], rtol=1e-6, atol=1e-6)
    assert np.array_equal(ref[f"{task}.labels"], es.labels[:n])
