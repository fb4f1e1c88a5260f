"""One store for the reader's and the report's tests, with a run of every kind, recorded by the
built xbar on the simulated board."""
import os
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


@pytest.fixture(scope="session")
def store(tmp_path_factory):
    """A store with a run of every kind: 1 program (of tile 1), 2 program, 3 infer (infer
    --program) and 4 the touch-up before it, 5 read, 6 stm, 7 a read that registers a calibration
    file, 8 calibrate, 9 pulse."""
    folder = tmp_path_factory.mktemp("store")
    path = str(folder / "runs.sqlite")
    rng = np.random.default_rng(3)
    np.save(folder / "tile.npy", rng.uniform(10e-6, 60e-6, size=(64, 64)))
    xbar("program", "--board", "sim", "--instrument", "usb-4x64", "--target", str(folder / "tile.npy"),
         "--tile", "1", "--tolerance", "1%", "--sample", "W3-D17", "--note", "tile 1 after bonding", "--store", path)
    xbar("infer", "--model", os.path.join(ROOT, "examples", "event_digits_event_ssm_int8.safetensors"),
         "--data", os.path.join(ROOT, "examples", "event_digits_test.safetensors"), "--limit", "3",
         "--board", "sim", "--instrument", "usb-4x64", "--program", "--store", path)
    xbar("read", "--board", "sim", "--instrument", "usb-4x64", "--tile", "2", "--averages", "4",
         "--out", str(folder / "read.npy"), "--store", path)
    xbar("stm", "--board", "sim", "--instrument", "usb-4x64", "--nodes", "0:0-0:1", "--amplitudes", "1.2,1.4",
         "--widths", "1e-6", "--reads", "6", "--interval", "1e-3", "--store", path)
    xbar("read", "--board", "sim", "--instrument", "usb-4x64-multitau", "--calibration",
         os.path.join(ROOT, "examples", "usb-4x64-multitau.calibration.json"), "--tile", "0",
         "--out", str(folder / "read0.npy"), "--store", path)
    xbar("calibrate", "--board", "sim", "--instrument", "usb-4x64", "--cell-count", "8", "--node-count", "8",
         "--periphery-tile", "3", "--out", str(folder / "calibration.json"), "--store", path)
    xbar("pulse", "--board", "sim", "--instrument", "usb-4x64", "--tile", "3", "--cells", "row:2", "--volts", "1.8V",
         "--width", "2us", "--note", "by hand", "--store", path)
    with xbarlab.open_store(path) as s:
        yield s, path, folder


def run_ids(s):
    runs = s.runs()
    return {kind: list(runs[runs["kind"] == kind]["id"]) for kind in set(runs["kind"])}


