"""`--json`: standard output is one JSON object per line, each naming its event; text for people
goes to standard error. Checked for every command that takes it, against what the store holds."""
import json
import os
import subprocess

import numpy as np
import pytest

from conftest import ROOT, xbar_binary


def json_lines(*arguments, cwd):
    done = subprocess.run([xbar_binary(), *arguments, "--json"], capture_output=True, text=True, cwd=cwd)
    assert done.returncode == 0, done.stderr[-2000:]
    events = [json.loads(line) for line in done.stdout.splitlines()]
    assert events and all("event" in e for e in events), done.stdout
    return events, done.stderr


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    folder = tmp_path_factory.mktemp("json")
    np.save(folder / "tile.npy", np.random.default_rng(5).uniform(10e-6, 60e-6, size=(64, 64)))
    return folder


def test_program_emits_progress_tiles_and_a_summary(lab):
    events, text = json_lines("program", "--board", "sim", "--instrument", "usb-4x64", "--target", "tile.npy", "--tile", "2",
                              "--tolerance", "1%", "--store", "lab.sqlite", cwd=lab)
    kinds = [e["event"] for e in events]
    assert kinds[0] == "progress" and kinds[-1] == "summary" and "stage" in kinds
    (tile,) = [e for e in events if e["event"] == "tile"]
    assert tile["tile"] == 2 and tile["cells"] == 4096 and tile["converged"] + tile["stuck"] + tile["outOfPulses"] == 4096
    summary = events[-1]
    assert summary["status"] == "completed" and summary["ledgerPulsesApplied"] == tile["pulses"]
    assert "completed" in text  # the people's text went to standard error
    (run,) = [e for e in json_lines("runs", "list", "--store", "lab.sqlite", cwd=lab)[0] if e["run"] == summary["run"]]
    assert run["kind"] == "program" and run["status"] == "completed"
    shown, _ = json_lines("runs", "show", str(summary["run"]), "--store", "lab.sqlite", cwd=lab)
    assert shown[0]["pulsesApplied"] == tile["pulses"] and shown[0]["tiles"][0]["outcomes"]["converged"] == tile["converged"]


def test_read_stm_calibrate_identify_and_infer(lab):
    events, _ = json_lines("read", "--board", "sim", "--instrument", "usb-4x64", "--tile", "0", "--out", "r.npy",
                           "--store", "lab.sqlite", cwd=lab)
    summary = events[-1]
    assert summary["event"] == "summary" and summary["rows"] == 64 and summary["minSiemens"] == pytest.approx(np.load(lab / "r.npy").min())

    events, _ = json_lines("stm", "--board", "sim", "--instrument", "usb-4x64", "--nodes", "0:0-0:3", "--amplitudes", "1.4",
                           "--widths", "1us", "--reads", "20", "--interval", "1ms", "--store", "lab.sqlite", cwd=lab)
    nodes = [e for e in events if e["event"] == "node"]
    assert len(nodes) == 4 and events[-1]["event"] == "summary"
    assert events[-1]["fittedNodes"] == sum(n["fitted"] for n in nodes)

    events, _ = json_lines("calibrate", "--board", "sim", "--instrument", "usb-4x64", "--cell-count", "4", "--node-count", "4",
                           "--periphery-tile", "3", "--out", "cal.json", "--store", "lab.sqlite", cwd=lab)
    summary = events[-1]
    assert summary["event"] == "summary" and summary["out"] == "cal.json" and summary["cells"] == 4
    assert os.path.exists(lab / "cal.json")

    events, _ = json_lines("identify", "--board", "sim", "--instrument", "usb-4x64", cwd=lab)
    (identity,) = events
    assert identity["event"] == "identity" and identity["matchesInstrument"] and len(identity["tiles"]) == 5

    events, _ = json_lines("infer", "--engine", "reference", "--model",
                           os.path.join(ROOT, "examples", "event_digits_event_ssm_float.safetensors"),
                           "--data", os.path.join(ROOT, "examples", "event_digits_test.safetensors"), "--limit", "5",
                           "--instrument", "usb-4x64", cwd=lab)
    (engine,) = [e for e in events if e["event"] == "engine"]
    assert engine["samples"] == 5 and 0 <= engine["accuracy"] <= 1
