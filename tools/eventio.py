"""Event data set container and safetensors I/O (format documented in examples/README.md)."""
from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
from safetensors.numpy import load_file, save_file
from safetensors import safe_open

FORMAT_VERSION = "xbarlab-events-1"


@dataclass
class EventSet:
    """CSR-style list of event samples.

    times[offsets[i]:offsets[i+1]] etc. are the events of sample i, sorted by time.
    """
    times: np.ndarray        # float64 [N], seconds from sample start
    channels: np.ndarray     # int32 [N]
    polarity: np.ndarray     # int8 [N], +1 / -1
    offsets: np.ndarray      # int64 [S+1]
    labels: np.ndarray       # int32 [S]
    meta: dict = field(default_factory=dict)

    def __len__(self):
        return len(self.labels)

    def sample(self, i):
        a, b = int(self.offsets[i]), int(self.offsets[i + 1])
        return self.times[a:b], self.channels[a:b], self.polarity[a:b]

    @staticmethod
    def from_lists(samples, labels, meta):
        """samples: list of (times, channels, polarity) arrays."""
        counts = np.array([len(s[0]) for s in samples], dtype=np.int64)
        offsets = np.zeros(len(samples) + 1, dtype=np.int64)
        offsets[1:] = np.cumsum(counts)
        cat = lambda k, dt: (np.concatenate([s[k] for s in samples]).astype(dt)
                             if samples else np.zeros(0, dt))
        return EventSet(cat(0, np.float64), cat(1, np.int32), cat(2, np.int8), offsets,
                        np.asarray(labels, dtype=np.int32), dict(meta))

    def subset(self, idx):
        return EventSet.from_lists([self.sample(i) for i in idx], self.labels[idx], self.meta)


def _meta_to_str(meta):
    out = {}
    for k, v in meta.items():
        out[k] = v if isinstance(v, str) else json.dumps(v)
    return out


def save_events(path, es: EventSet, extra_meta=None):
    meta = dict(es.meta)
    meta.update(extra_meta or {})
    meta["format"] = FORMAT_VERSION
    meta["num_samples"] = len(es)
    meta["num_events"] = int(es.offsets[-1])
    tensors = {
        "events_time_seconds": es.times.astype(np.float64),
        "events_channel": es.channels.astype(np.int32),
        "events_polarity": es.polarity.astype(np.int8),
        "sample_offsets": es.offsets.astype(np.int64),
        "labels": es.labels.astype(np.int32),
    }
    save_file(tensors, str(path), metadata=_meta_to_str(meta))


def read_metadata(path):
    with safe_open(str(path), framework="numpy") as f:
        return dict(f.metadata() or {})


def load_events(path) -> EventSet:
    t = load_file(str(path))
    meta = read_metadata(path)
    return EventSet(t["events_time_seconds"], t["events_channel"], t["events_polarity"],
                    t["sample_offsets"], t["labels"], meta)


def save_tensors(path, tensors, meta):
    save_file({k: np.ascontiguousarray(v) for k, v in tensors.items()}, str(path),
              metadata=_meta_to_str(meta))
