#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora under Fuzz/corpus/ (committed; rerun after the
specification's examples or the file formats change).

FuzzWire: every worked example of protocols/xbar-wire-v1.md, as a byte stream (first byte 0)
and as header and payload (first byte 1: opcode, sequence big-endian, payload).
FuzzMaps: target maps written by NumPy (first byte 0) and as CSV text (first byte 1).
FuzzSafeTensors: a small event data set written by the safetensors package.
"""
import io
import json
import os
import re
import sys

import numpy as np
from safetensors.numpy import save

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
corpus = os.path.join(root, "Fuzz", "corpus")


def put(target, name, data):
    os.makedirs(os.path.join(corpus, target), exist_ok=True)
    with open(os.path.join(corpus, target, name), "wb") as f:
        f.write(data)


def wire_seeds():
    text = open(os.path.join(root, "protocols", "xbar-wire-v1.md")).read()
    blocks = re.findall(r"<!-- example: ([\w-]+) -->\n```text\n(.*?)```", text, re.S)
    hexbytes = lambda s: bytes(int(x, 16) for x in re.findall(r"\b[0-9A-F]{2}\b", s))
    stream = b""
    for name, body in blocks:
        sections, key = {}, None
        for line in body.splitlines():
            m = re.match(r"(header|payload|crc|wire)\s+(.*)", line)
            if m:
                key = m.group(1)
                sections[key] = m.group(2)
            elif key:
                sections[key] += " " + line.strip()
        wire = hexbytes(sections.get("wire", ""))
        header = hexbytes(sections.get("header", ""))
        payload = b"" if "(none)" in sections.get("payload", "") else hexbytes(sections.get("payload", ""))
        if wire:
            put("FuzzWire", f"{name}-stream", b"\x00" + wire)
            stream += wire
        if len(header) >= 5:
            sequence = header[2] | header[3] << 8
            put("FuzzWire", f"{name}-message", bytes([1, header[4], sequence >> 8, sequence & 0xFF]) + payload)
    put("FuzzWire", "all-examples-stream", b"\x00" + stream)
    return len(blocks)


def map_seeds():
    rng = np.random.default_rng(1)
    for shape in [(4, 4), (2, 8, 8)]:
        buf = io.BytesIO()
        np.save(buf, rng.uniform(1e-6, 1e-4, size=shape))
        put("FuzzMaps", "npy-" + "x".join(map(str, shape)), b"\x00" + buf.getvalue())
    buf = io.BytesIO()
    np.save(buf, rng.uniform(1e-6, 1e-4, size=(3, 3)).astype(np.float32))
    put("FuzzMaps", "npy-f32", b"\x00" + buf.getvalue())
    rows = "\n".join(",".join(f"{v:.3e}" for v in r) for r in rng.uniform(1e-6, 1e-4, size=(4, 4)))
    put("FuzzMaps", "csv-4x4", b"\x01" + rows.encode() + b"\n")


def npy_with_header(header):
    header = header + " " * (118 - len(header)) + "\n"
    return b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode() + b"\x00" * 64


def regression_seeds():
    """Inputs that once crashed a reader: kept so that every fuzz run tries them first."""
    put("FuzzMaps", "regression-shape-overflow",
        b"\x00" + npy_with_header("{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 4), }"))
    put("FuzzMaps", "regression-negative-shape",
        b"\x00" + npy_with_header("{'descr': '<f8', 'fortran_order': False, 'shape': (-4, 4), }"))
    base = dataset_tensors()
    for name, key, value in [
        ("regression-nan-label", "labels", np.array([0, np.nan, 2], dtype=np.float64)),
        ("regression-huge-channel", "events_channel", np.full(len(base["events_channel"]), 1e300)),
        ("regression-huge-offset", "sample_offsets", np.array([0, 4, 2**63 - 1, len(base["events_channel"])], dtype=np.int64)),
        ("regression-infinite-time", "events_time_seconds", np.full(len(base["events_channel"]), np.inf)),
    ]:
        tensors = dict(base)
        tensors[key] = value
        put("FuzzSafeTensors", name, save(tensors, metadata=dataset_metadata()))


def dataset_metadata():
    return {"format": "xbarlab-events-1", "class_names": json.dumps(["a", "b", "c"]), "num_channels": "8"}


def dataset_tensors():
    times, channels, polarities, offsets = [], [], [], [0]
    for s in range(3):
        n = 4 + s
        times += sorted(np.linspace(0.001, 0.05, n).tolist())
        channels += [(s + i) % 8 for i in range(n)]
        polarities += [1 if i % 2 else -1 for i in range(n)]
        offsets.append(len(times))
    return {
        "events_time_seconds": np.array(times, dtype=np.float64),
        "events_channel": np.array(channels, dtype=np.int32),
        "events_polarity": np.array(polarities, dtype=np.int8),
        "sample_offsets": np.array(offsets, dtype=np.int64),
        "labels": np.array([0, 1, 2], dtype=np.int32),
    }


def dataset_seeds():
    put("FuzzSafeTensors", "event-dataset", save(dataset_tensors(), metadata=dataset_metadata()))


if __name__ == "__main__":
    examples = wire_seeds()
    map_seeds()
    dataset_seeds()
    regression_seeds()
    print(f"seeds written under {corpus} ({examples} wire examples)", file=sys.stderr)
