"""The Python reader against a store recorded by `xbar` itself, checked against what the CLI prints."""
import csv
import json
import os
import re
import shutil
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import xbarlab  # noqa: E402

from conftest import run_ids, xbar  # noqa: E402


def test_runs_match_runs_list(store):
    s, path, _ = store
    runs = s.runs()
    listed = [line.split() for line in xbar("runs", "list", "--store", path).splitlines()[1:]]
    assert [int(r[0]) for r in listed] == list(runs["id"])
    assert [r[1] for r in listed] == list(runs["kind"])
    assert [r[2] for r in listed] == list(runs["status"])
    assert [f"{r[4]}T{r[5]}" for r in listed] == [iso[:19] for iso in runs["started_iso"]]
    # Inference right after programming touches up the pairs that drifted in between, as a run of
    # its own linked to the inference run.
    assert sorted(run_ids(s)) == ["calibrate", "infer", "program", "pulse", "read", "stm", "touch-up"]
    (infer,) = run_ids(s)["infer"]
    for run in run_ids(s)["touch-up"]:
        linked = json.loads(runs[runs["id"] == run]["arguments_json"].iloc[0])
        assert linked["touchUpFor"] == f"infer run {infer}"


def test_ledger_counts_match_runs_show(store):
    s, path, _ = store
    shown = xbar("runs", "show", "1", "--store", path)
    operations = int(re.search(r"operations\s+(\d+) logged", shown).group(1))
    applied = int(re.search(r"pulses\s+(\d+) applied", shown).group(1))
    ledger = s.ledger(1)
    # The ledger has a row per cell an operation touched; the relaxation passes' waits touch none.
    import sqlite3
    waits = sqlite3.connect(path).execute(
        "SELECT COUNT(*) FROM operations WHERE run_id = 1 AND kind = 'settle'").fetchone()[0]
    assert ledger["seq"].nunique() == operations - waits
    pulses = ledger[ledger["kind"] == "pulse_batch"]
    assert len(pulses) == applied
    assert (pulses["amplitude_volts"].abs() > 0).all() and (pulses["width_seconds"] > 0).all()
    assert set(ledger["tile"]) == {1}
    assert ledger["measured_siemens"].notna().all()


def test_ledger_columns_equal_ledger_rows(store):
    s, _, _ = store
    fast = s.ledger(1)
    rows = s._ledger_from_rows(1)
    assert len(fast) == len(rows) > 0
    for column in ("seq", "idx", "tile", "row", "column"):
        assert np.array_equal(fast[column].to_numpy(), rows[column].to_numpy())
    for column in ("amplitude_volts", "width_seconds", "measured_siemens"):
        assert np.array_equal(fast[column].to_numpy(), rows[column].to_numpy(), equal_nan=True)


def test_changed_run_is_read_from_rows(store, tmp_path):
    _, path, _ = store
    copy = str(tmp_path / "changed.sqlite")
    shutil.copy(path, copy)
    import sqlite3
    db = sqlite3.connect(copy)
    db.execute("UPDATE ledger SET measured_siemens = 1.0 WHERE run_id = 1 AND seq = 0 AND idx = 0")
    # As a resumed run does: an operation's state changes after the run first ended.
    db.execute("UPDATE operations SET state = 'in_doubt' WHERE run_id = 1 AND seq = 0")
    db.commit()
    db.close()
    with xbarlab.open_store(copy) as changed:
        ledger = changed.ledger(1)
        assert ledger["measured_siemens"].iloc[0] == 1.0
        assert ledger["state"].iloc[0] == "in_doubt"


def test_shadow_map_matches_export(store):
    s, path, folder = store
    out = str(folder / "shadow.npy")
    xbar("runs", "export", "1", "--format", "npy", "--out", out, "--store", path)
    maps = s.shadow_map(1)
    assert list(maps) == [1]
    assert maps[1].shape == (64, 64)
    assert np.array_equal(maps[1], np.load(out))


def test_outcomes_match_cells_export(store):
    s, path, folder = store
    out = str(folder / "cells.csv")
    xbar("runs", "export", "1", "--format", "csv", "--cells", "--out", out, "--store", path)
    with open(out) as f:
        exported = list(csv.DictReader(f))
    outcomes = s.outcomes(1)
    assert len(outcomes) == len(exported) == 4096
    assert np.array_equal(outcomes["final_siemens"].to_numpy(), np.array([float(r["final_siemens"]) for r in exported]))
    assert list(outcomes["outcome"]) == [r["outcome"] for r in exported]
    assert outcomes["pulses"].sum() == sum(int(r["pulses"]) for r in exported)


def test_missing_store_is_refused_not_created(tmp_path):
    path = tmp_path / "typo.sqlite"
    with pytest.raises(FileNotFoundError):
        xbarlab.open_store(str(path))
    assert not path.exists()


def test_unknown_run_is_refused(store):
    s, _, _ = store
    with pytest.raises(KeyError):
        s.ledger(99)


def test_reads_match_read_output(store):
    s, _, folder = store
    (read,) = [r for r in run_ids(s)["read"] if 2 in s.reads(r)]
    maps = s.reads(read)
    assert list(maps) == [2]
    assert np.array_equal(maps[2], np.load(folder / "read.npy"))


def test_traces_match_csv_export(store):
    s, path, folder = store
    (run,) = run_ids(s)["stm"]
    out = str(folder / "traces.csv")
    xbar("runs", "export", str(run), "--format", "csv", "--out", out, "--store", path)
    with open(out) as f:
        exported = list(csv.DictReader(f))
    traces = s.traces(run)
    assert len(traces) == len(exported) > 0
    assert list(traces["board_time_ns"]) == [int(r["board_time_ns"]) for r in exported]
    assert np.array_equal(traces["conductance_siemens"].to_numpy(),
                          np.array([float(r["conductance_siemens"]) for r in exported]))
    after = np.array([float(r["seconds_after_pulse"]) if r["seconds_after_pulse"] else np.nan for r in exported])
    assert np.allclose(traces["seconds_after_pulse"].to_numpy(), after, rtol=1e-12, equal_nan=True)
    assert set(traces["amplitude_volts"].dropna()) == {1.2, 1.4}


def test_calibration_matches_its_file(store):
    s, _, _ = store
    calibrations = s.calibrations()
    assert len(calibrations) == 2
    for _, row in calibrations.iterrows():
        with open(row["path"]) as f:
            assert s.calibration(int(row["id"])) == json.load(f)
    (made,) = run_ids(s)["calibrate"]
    assert list(calibrations["run_id"].dropna().astype(int)) == [made]
    with pytest.raises(KeyError):
        s.calibration(99)


def test_inference_matches_csv_export(store):
    s, path, folder = store
    (run,) = run_ids(s)["infer"]
    out = str(folder / "samples.csv")
    xbar("runs", "export", str(run), "--format", "csv", "--out", out, "--store", path)
    with open(out) as f:
        exported = list(csv.DictReader(f))
    samples = s.inference(run)
    assert list(samples["sample"]) == [int(r["sample"]) for r in exported] == [0, 1, 2]
    assert list(samples["prediction"]) == [int(r["prediction"]) for r in exported]
    assert list(samples["correct"]) == [r["correct"] == "1" for r in exported]
    assert list(samples["backend"]) == [r["backend"] for r in exported]
    for logits, row in zip(samples["logits"], exported):
        assert np.allclose(logits, [float(row[f"logit_{k}"]) for k in range(len(logits))], rtol=1e-12)
    shown = xbar("runs", "show", str(run), "--store", path)
    accuracy = float(re.search(r"accuracy ([\d.]+) %", shown).group(1))
    assert abs(100 * samples["correct"].mean() - accuracy) < 0.01


def test_runs_show_prints_figures_for_stm_and_calibrate_runs(store):
    s, path, _ = store
    for kind in ("stm", "calibrate"):
        (run,) = run_ids(s)[kind]
        shown = xbar("runs", "show", str(run), "--store", path)
        assert "SQL(" not in shown and "operations  0 logged" not in shown, shown
        traces = s.traces(run)
        match = re.search(r"STM traces\s+(\d+) read trains of (\d+) nodes, \d+ sweep points, (\d+) pulses, (\d+) reads", shown)
        assert match, shown
        assert int(match.group(4)) == len(traces)
        assert int(match.group(2)) == len(traces.groupby(["tile", "row", "column"]))
    (run,) = run_ids(s)["calibrate"]
    shown = xbar("runs", "show", str(run), "--store", path)
    assert re.search(r"curves\s+\d+ pulse-response curves of 8 cells \(\d+ reset at \d+ conditions, \d+ set at \d+ conditions\), \d+ pulses", shown), shown


def test_sample_and_note_are_recorded_and_listed(store):
    s, path, _ = store
    runs = s.runs().set_index("id")
    assert runs.loc[1, "sample"] == "W3-D17" and runs.loc[1, "note"] == "tile 1 after bonding"
    assert runs.drop(index=1)["sample"].isna().all()
    listed = xbar("runs", "list", "--sample", "W3-D17", "--store", path).splitlines()
    assert len(listed) == 2 and listed[1].split()[0] == "1" and listed[1].rstrip().endswith("W3-D17  tile 1 after bonding")
    shown = xbar("runs", "show", "1", "--store", path)
    assert "sample      W3-D17" in shown and "note        tile 1 after bonding" in shown


def test_a_pulse_given_by_hand_is_a_run_with_its_cell_pulses(store):
    s, path, _ = store
    (run,) = run_ids(s)["pulse"]
    ledger = s.ledger(run)
    assert len(ledger) == 64 and set(ledger["row"]) == {2} and sorted(ledger["column"]) == list(range(64))
    assert (ledger["amplitude_volts"] == 1.8).all() and (ledger["width_seconds"] == 2e-6).all()
    assert set(ledger["tile"]) == {3} and set(ledger["state"]) == {"done"}
    shown = xbar("runs", "show", str(run), "--store", path)
    assert "pulses      64 applied" in shown and "note        by hand" in shown
