"""The reader's accessors for characterization runs, against runs the built xbar records, checked
against what `xbar runs export` writes for the same runs."""
import csv

import numpy as np
import pytest

import xbarlab
from conftest import xbar


@pytest.fixture(scope="module")
def characterized(tmp_path_factory):
    """1 form (tile 0, row 0 of a pristine chip kept in a file), 2 sweep (two cells of it),
    3 endurance (two cells of a fresh chip)."""
    folder = tmp_path_factory.mktemp("characterized")
    path, chip = str(folder / "runs.sqlite"), str(folder / "chip.state")
    xbar("form", "--board", f"sim:{chip}", "--pristine", "--instrument", "usb-4x64", "--tile", "0", "--cells", "row:0",
         "--store", path, "-q")
    xbar("sweep", "--board", f"sim:{chip}", "--instrument", "usb-4x64", "--tile", "0", "--cells", "0:1-2",
         "--shape", "bipolar", "--store", path, "-q")
    xbar("endurance", "--board", "sim", "--instrument", "usb-4x64", "--cells", "0:0,0:1", "--cycles", "2e4",
         "--read-every", "5e3", "--store", path, "-q")
    return folder, path


def exported(folder, path, run, *extra):
    out = str(folder / f"run{run}{'-cells' if extra else ''}.csv")
    xbar("runs", "export", str(run), "--out", out, "--store", path, *extra)
    with open(out) as f:
        return list(csv.DictReader(f))


def test_forming_matches_the_export(characterized):
    folder, path = characterized
    with xbarlab.open_store(path) as s:
        forming = s.forming(1)
    assert len(forming) == 64 and set(forming["row"]) == {0}
    assert set(forming["outcome"]) <= {"formed", "failed", "over-formed"}
    assert (forming["outcome"] == "formed").mean() > 0.9
    rows = exported(folder, path, 1, "--cells")
    assert len(rows) == 64
    assert [r["outcome"] for r in rows] == list(forming["outcome"])


def test_iv_curves_match_the_export(characterized):
    folder, path = characterized
    with xbarlab.open_store(path) as s:
        curves = s.iv_curves(2)
    assert set(zip(curves["row"], curves["column"])) == {(0, 1), (0, 2)}
    assert (np.diff(curves.groupby(["row", "column"]).head(10**6)["board_time_ns"].to_numpy()) != 0).all()
    rows = exported(folder, path, 2)
    assert len(rows) == len(curves)
    assert np.allclose([float(r["volts"]) for r in rows], curves["volts"])
    assert np.allclose([float(r["amperes"]) for r in rows], curves["amperes"], rtol=1e-12, atol=0)
    assert curves["set_volts"].between(0.5, 1.6).all()


def test_series_match_the_export(characterized):
    folder, path = characterized
    with xbarlab.open_store(path) as s:
        series = s.series(3)
    assert set(series["series"]) == {"endurance_on", "endurance_off"}
    on = series[series["series"] == "endurance_on"]
    off = series[series["series"] == "endurance_off"]
    assert (on["siemens"].to_numpy() > off["siemens"].to_numpy()).all()
    rows = exported(folder, path, 3)
    assert len(rows) == len(series)
    # The export orders its lines its own way: compare them read by read.
    key = lambda name, tile, row, column, x: (name, int(tile), int(row), int(column), float(x))
    ours = {key(*t[:5]): t[5] for t in series[["series", "tile", "row", "column", "x", "siemens"]].itertuples(index=False)}
    theirs = {key(r["series"], r["tile"], r["row"], r["column"], r["x"]): float(r["siemens"]) for r in rows}
    assert ours.keys() == theirs.keys()
    assert all(abs(ours[k] - theirs[k]) <= 1e-12 * abs(ours[k]) for k in ours)


def test_an_unknown_run_is_an_error(characterized):
    _, path = characterized
    with xbarlab.open_store(path) as s, pytest.raises(Exception, match="99"):
        s.series(99)
