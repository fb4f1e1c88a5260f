"""Run store access: SQLite read-only, tables as pandas DataFrames, maps as NumPy arrays."""
import json
import os
import sqlite3

import numpy as np
import pandas as pd


def open_store(path):
    """Opens a run store read-only; a missing file is an error, never a new store."""
    return RunStore(path)


# The same text the store writes beside the column copy (see docs/run-store.md).
_OPERATIONS_KEY_SQL = (
    "SELECT IFNULL((SELECT group_concat(state || '=' || n, ',') FROM "
    "(SELECT state, COUNT(*) AS n FROM operations WHERE run_id = ?1 GROUP BY state ORDER BY state)), '') "
    "|| ':' || IFNULL((SELECT MAX(result_at) FROM operations WHERE run_id = ?1), '')")


class RunStore:
    def __init__(self, path):
        if not os.path.isfile(path):
            raise FileNotFoundError(f"{path}: no run store there")
        self.path = path
        self._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)

    def close(self):
        self._db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def runs(self):
        """One row per run, newest first; times as epoch seconds and ISO text (UTC)."""
        frame = pd.read_sql_query("SELECT * FROM runs ORDER BY id DESC", self._db)
        for column in ("started_at", "ended_at"):
            frame[column.replace("_at", "_iso")] = pd.to_datetime(frame[column], unit="s", utc=True).dt.strftime(
                "%Y-%m-%dT%H:%M:%S.%fZ")
        return frame

    def ledger(self, run):
        """Every pulse and read of a run, in the order it was logged.

        Columns: seq (operation), idx (entry in the operation), tile, row, column,
        amplitude_volts and width_seconds (NaN for a read), measured_siemens (NaN until the
        operation completed), kind and state of the operation.
        """
        self._require_run(run)
        frame = self._ledger_from_columns(run)
        if frame is None:
            frame = self._ledger_from_rows(run)
        operations = pd.read_sql_query("SELECT seq, kind, state FROM operations WHERE run_id = ?", self._db,
                                       params=(run,)).set_index("seq")
        frame["kind"] = pd.Categorical(operations["kind"].reindex(frame["seq"]).to_numpy())
        frame["state"] = pd.Categorical(operations["state"].reindex(frame["seq"]).to_numpy())
        return frame

    def _ledger_from_rows(self, run):
        frame = pd.read_sql_query(
            'SELECT seq, idx, tile, "row", "column", amplitude_volts, width_seconds, measured_siemens '
            "FROM ledger WHERE run_id = ? ORDER BY seq, idx", self._db, params=(run,))
        for column in ("seq", "idx", "tile", "row", "column"):
            frame[column] = frame[column].astype("int32")
        for column in ("amplitude_volts", "width_seconds", "measured_siemens"):
            frame[column] = frame[column].astype("float64")
        return frame

    def _ledger_from_columns(self, run):
        """The column copy written when the run ended, if the run has not changed since."""
        row = self._db.execute(
            'SELECT operations_key, entries, seq, idx, tile, "row", "column", amplitude_volts, width_seconds, '
            "measured_siemens FROM ledger_columns WHERE run_id = ?", (run,)).fetchone()
        if row is None:
            return None
        (key,) = self._db.execute(_OPERATIONS_KEY_SQL, (run,)).fetchone()
        if row[0] != (key or ""):
            return None
        names = ["seq", "idx", "tile", "row", "column", "amplitude_volts", "width_seconds", "measured_siemens"]
        dtypes = ["<i4"] * 5 + ["<f8"] * 3
        columns = {n: np.frombuffer(blob, dtype=d).astype(d[1:]) for n, d, blob in zip(names, dtypes, row[2:])}
        if any(len(c) != row[1] for c in columns.values()):
            raise ValueError(f"{self.path}: run {run}'s ledger columns do not hold {row[1]} entries each")
        return pd.DataFrame(columns)

    def outcomes(self, run):
        """Each programmed cell's outcome: target, final conductance (siemens), pulses."""
        self._require_run(run)
        return pd.read_sql_query(
            'SELECT tile, "row", "column", target_siemens, final_siemens, pulses, outcome '
            'FROM outcomes WHERE run_id = ? ORDER BY tile, "row", "column"',
            self._db, params=(run,))

    def shadow_map(self, run):
        """The verified conductances of each programmed tile: {tile: array (rows, columns), siemens}."""
        self._require_run(run)
        maps = {}
        for tile, rows, columns, blob in self._db.execute(
                "SELECT tile, rows, columns, siemens FROM shadow_maps WHERE run_id = ? ORDER BY tile", (run,)):
            maps[tile] = np.frombuffer(blob, dtype="<f8").reshape(rows, columns).copy()
        return maps

    def reads(self, run):
        """The last completed whole-tile read of each tile in a run: {tile: array (rows, columns)}, siemens."""
        self._require_run(run)
        maps = {}
        for seq, tile, rows, columns in self._db.execute(
                "SELECT seq, tile, rows, columns FROM operations WHERE run_id = ? AND kind = 'read' "
                "AND whole_tile = 1 AND state = 'done' ORDER BY seq", (run,)):
            values = [g for (g,) in self._db.execute(
                "SELECT measured_siemens FROM ledger WHERE run_id = ? AND seq = ? ORDER BY idx", (run, seq))]
            maps[tile] = np.array(values, dtype=np.float64).reshape(rows, columns)
        return maps

    def traces(self, run):
        """STM read trains of a run, one row per read (the columns of `xbar runs export RUN --format csv`).

        board_time_ns is the board's clock (int64 nanoseconds); seconds_after_pulse is NaN for a
        trace without a pulse (a baseline).
        """
        self._require_run(run)
        parts = []
        for (tile, row, column, point, repetition, amplitude, width, count, end_ns, times, siemens) in self._db.execute(
                'SELECT tile, "row", "column", point, repetition, amplitude_volts, width_seconds, pulse_count, '
                "pulse_end_ns, timestamps_ns, siemens FROM stm_traces WHERE run_id = ? ORDER BY idx", (run,)):
            t = np.frombuffer(times, dtype="<u8").astype(np.int64)
            g = np.frombuffer(siemens, dtype="<f8").astype(np.float64)
            parts.append(pd.DataFrame({
                "tile": tile, "row": row, "column": column, "point": point, "repetition": repetition,
                "amplitude_volts": np.nan if amplitude is None else amplitude,
                "width_seconds": np.nan if width is None else width, "pulse_count": count,
                "read_index": np.arange(len(t)), "board_time_ns": t,
                "seconds_after_pulse": (t - end_ns) * 1e-9 if end_ns is not None else np.full(len(t), np.nan),
                "conductance_siemens": g}))
        if not parts:
            return pd.DataFrame(columns=["tile", "row", "column", "point", "repetition", "amplitude_volts",
                                         "width_seconds", "pulse_count", "read_index", "board_time_ns",
                                         "seconds_after_pulse", "conductance_siemens"])
        return pd.concat(parts, ignore_index=True)

    def forming(self, run):
        """What a form run did to each cell: outcome (formed, failed, over-formed), the forming
        voltage (NaN where no step formed it), the formed and after-RESET conductances (siemens)."""
        self._require_run(run)
        return pd.read_sql_query(
            'SELECT tile, "row", "column", outcome, forming_volts, formed_siemens, after_reset_siemens '
            'FROM forming_results WHERE run_id = ? ORDER BY tile, "row", "column"', self._db, params=(run,))

    def iv_curves(self, run):
        """The I-V points of a form or sweep run, one row per step (the columns of
        `xbar runs export RUN --format csv`): board time (int64 ns), volts, the step's current and
        the read after it (amperes), with each cell's extracted SET/RESET volts and on/off ratio."""
        self._require_run(run)
        parts = []
        for (tile, row, column, times, volts, amperes, reads, set_v, reset_v, ratio) in self._db.execute(
                'SELECT tile, "row", "column", board_time_ns, volts, amperes, read_amperes, set_volts, '
                'reset_volts, on_off_ratio FROM iv_curves WHERE run_id = ? ORDER BY tile, "row", "column"', (run,)):
            t = np.frombuffer(times, dtype="<i8").astype(np.int64)
            parts.append(pd.DataFrame({
                "tile": tile, "row": row, "column": column, "step": np.arange(len(t)), "board_time_ns": t,
                "volts": np.frombuffer(volts, dtype="<f8").astype(np.float64),
                "amperes": np.frombuffer(amperes, dtype="<f8").astype(np.float64),
                "read_amperes": np.frombuffer(reads, dtype="<f8").astype(np.float64),
                "set_volts": np.nan if set_v is None else set_v, "reset_volts": np.nan if reset_v is None else reset_v,
                "on_off_ratio": np.nan if ratio is None else ratio}))
        if not parts:
            return pd.DataFrame(columns=["tile", "row", "column", "step", "board_time_ns", "volts", "amperes",
                                         "read_amperes", "set_volts", "reset_volts", "on_off_ratio"])
        return pd.concat(parts, ignore_index=True)

    def series(self, run):
        """The reads of a retention, endurance or disturb run, one row per read: series
        (retention, endurance_on, endurance_off, disturb_<scheme>), cell, x (seconds since
        programming, cycles, or disturbing pulses so far) and siemens."""
        self._require_run(run)
        parts = []
        for (name, tile, row, column, x, y) in self._db.execute(
                'SELECT series, tile, "row", "column", x, y FROM cell_series WHERE run_id = ? ORDER BY idx', (run,)):
            xs = np.frombuffer(x, dtype="<f8").astype(np.float64)
            parts.append(pd.DataFrame({"series": name, "tile": tile, "row": row, "column": column, "x": xs,
                                       "siemens": np.frombuffer(y, dtype="<f8").astype(np.float64)}))
        if not parts:
            return pd.DataFrame(columns=["series", "tile", "row", "column", "x", "siemens"])
        return pd.concat(parts, ignore_index=True)

    def calibrations(self):
        """The calibration files registered in the store, without their content (see calibration())."""
        frame = pd.read_sql_query(
            "SELECT id, instrument_name, instrument_digest, created_at, digest, path, format_version, run_id "
            "FROM calibrations ORDER BY id", self._db)
        frame["created_iso"] = pd.to_datetime(frame["created_at"], unit="s", utc=True).dt.strftime(
            "%Y-%m-%dT%H:%M:%S.%fZ")
        return frame

    def calibration(self, calibration_id):
        """A calibration's content as a dict (the JSON file `xbar calibrate --out` writes)."""
        row = self._db.execute("SELECT content FROM calibrations WHERE id = ?", (calibration_id,)).fetchone()
        if row is None:
            raise KeyError(f"{self.path}: no calibration {calibration_id}")
        if row[0] is None:
            raise ValueError(f"{self.path}: calibration {calibration_id} was registered without its content")
        return json.loads(row[0])

    def inference(self, run):
        """Each classified sample of an infer run: sample, label, prediction, correct, backend, completed
        (epoch seconds and ISO text), and the logits as one array per sample."""
        self._require_run(run)
        rows = self._db.execute(
            "SELECT sample, label, prediction, backend, completed_at, logits FROM inference_samples "
            "WHERE run_id = ? ORDER BY sample", (run,)).fetchall()
        frame = pd.DataFrame(rows, columns=["sample", "label", "prediction", "backend", "completed_at", "logits"])
        frame["logits"] = [np.frombuffer(b, dtype="<f8").astype(np.float64) for b in frame["logits"]]
        frame["correct"] = frame["label"] == frame["prediction"]
        frame["completed_iso"] = pd.to_datetime(frame["completed_at"], unit="s", utc=True).dt.strftime(
            "%Y-%m-%dT%H:%M:%S.%fZ")
        return frame

    def _require_run(self, run):
        if self._db.execute("SELECT 1 FROM runs WHERE id = ?", (run,)).fetchone() is None:
            raise KeyError(f"{self.path}: no run {run}")
