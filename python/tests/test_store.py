"""The Python reader against a store recorded by `xbar` itself, checked against what the CLI prints."""
import csv
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import xbarlab  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def xbar_binary():
    for build in ("debug", "release"):
        path = os.path.join(ROOT, ".build", build, "xbar")
        if os.access(path, os.X_OK):
            return path
    pytest.fail("xbar is not built (swift build --product xbar); the reader's tests need a store it records")


def xbar(*arguments):
    done = subprocess.run([xbar_binary(), *arguments], capture_output=True, text=True, check=True)
    return done.stdout


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("store")
    path = str(folder / "runs.sqlite")
    rng = np.random.default_rng(3)
    np.save(folder / "tile.npy", rng.uniform(10e-6, 60e-6, size=(64, 64)))
    xbar("program", "--board", "sim", "--instrument", "usb-4x64", "--target", str(folder / "tile.npy"),
         "--tile", "1", "--tolerance", "1%", "--store", path)
    with xbarlab.open_store(path) as s:
        yield s, path, folder


def test_runs_match_runs_list(store):
    s, path, _ = store
    runs = s.runs()
    assert list(runs["id"]) == [1]
    listed = xbar("runs", "list", "--store", path).splitlines()[1].split()
    assert listed[0] == "1" and listed[1] == runs["kind"][0] == "program" and listed[2] == runs["status"][0]
    assert runs["started_iso"][0].startswith(f"{listed[4]}T{listed[5]}")


def test_ledger_counts_match_runs_show(store):
    s, path, _ = store
    shown = xbar("runs", "show", "1", "--store", path)
    operations = int(re.search(r"operations\s+(\d+) logged", shown).group(1))
    applied = int(re.search(r"pulses\s+(\d+) applied", shown).group(1))
    ledger = s.ledger(1)
    assert ledger["seq"].nunique() == operations
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
