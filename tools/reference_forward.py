"""Pure numpy reference forward passes (float64), event by event / step by step.

This is the spec the Swift implementation is checked against:
examples/reference_outputs.safetensors holds the logits this module computes for the
first test samples of every model in examples/.

Event SSM (model file metadata architecture == "event_ssm"), per sample:
    h_k   = embedding[channel_k]                             (d)
    for each layer l:
        u      = h_k
        v      = qa(B_l @ qa(u, in))          , qa(., bv)     (tile MVM, DAC/ADC)
        x      = exp(-(t_k - t_{k-1}) / tau_l) * x + v        (STM state; t_{-1} = 0, x = 0)
        y      = qa(C_l @ qa(x, x), cy) + D_l * u
        h_k    = u + gelu_tanh(y)
    logits = W_out @ qa(mean_k h_k, pool) + b_out
qa(v, r) = clip(round(clip(v/r, -1, 1) * 127), ...) * r / 127 only for quantised
models (metadata quantisation.activations == "int8"); identity for float models.

S4D (architecture == "s4d"): events binned into steps of dt_bin seconds (n_steps).
    u_k[c % n_in] += polarity ('signed_merge')  or  u_k[c] += 1 ('separate')
    layer 0: x = a_0 * x + B_0 @ qa(u_k, l0.in) ; h = gelu(C_0 @ qa(x, l0.x))
    layer l>0: x = a_l * x + B_l @ qa(h, in) ; h = h + gelu(C_l @ qa(x, x) + D_l * h)
    logits = W_out @ qa(mean_k h_k, pool) + b_out,   a_l = exp(-dt_bin / tau_l)
"""
from __future__ import annotations

import json

import numpy as np
from safetensors.numpy import load_file

from .eventio import read_metadata


def gelu_tanh(x):
    return 0.5 * x * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (x + 0.044715 * x ** 3)))


def qact(x, r, bits=8):
    n = 2 ** (bits - 1) - 1
    return np.round(np.clip(x / r, -1.0, 1.0) * n) * (r / n)


class Model:
    def __init__(self, path):
        self.t = {k: v.astype(np.float64) if v.dtype.kind == "f" else v
                  for k, v in load_file(str(path)).items()}
        self.meta = read_metadata(path)
        self.arch = self.meta["architecture"]
        self.n_layers = int(self.meta["n_layers"])
        q = json.loads(self.meta["quantisation"])
        self.ranges = q.get("activation_ranges") if q.get("activations") == "int8" else None

    def qa(self, x, name):
        return qact(x, self.ranges[name]) if self.ranges else x

    def forward(self, times, channels, polarity):
        if self.arch == "event_ssm":
            return self._event_ssm(times, channels)
        return self._s4d(times, channels, polarity)

    def _event_ssm(self, times, channels):
        t = self.t
        d = t["embedding"].shape[1]
        xs = [np.zeros(t[f"layers.{l}.B"].shape[0]) for l in range(self.n_layers)]
        taus = [t[f"layers.{l}.tau_seconds"] for l in range(self.n_layers)]
        acc = np.zeros(d)
        t_prev = 0.0
        for tk, c in zip(times, channels):
            dt = tk - t_prev
            t_prev = tk
            h = t["embedding"][c]
            for l in range(self.n_layers):
                u = h
                v = self.qa(t[f"layers.{l}.B"] @ self.qa(u, f"l{l}.in"), f"l{l}.bv")
                xs[l] = np.exp(-dt / taus[l]) * xs[l] + v
                y = self.qa(t[f"layers.{l}.C"] @ self.qa(xs[l], f"l{l}.x"), f"l{l}.cy")
                y = y + t[f"layers.{l}.D"] * u
                h = u + gelu_tanh(y)
            acc += h
        m = acc / max(len(times), 1)
        return t["readout.W"] @ self.qa(m, "pool") + t["readout.b"]

    def bin(self, times, channels, polarity):
        dt_bin = float(self.meta["time_step_seconds"])
        n_steps = int(self.meta["n_steps"])
        n_in = int(self.meta["n_inputs"])
        mode = self.meta["input_mode"]
        u = np.zeros((n_steps, n_in))
        k = np.floor(np.asarray(times) / dt_bin).astype(np.int64)
        for kk, c, p in zip(k, channels, polarity):
            if kk >= n_steps:
                continue
            if mode == "signed_merge":
                u[kk, c % n_in] += p
            else:
                u[kk, c] += 1.0
        return u

    def _s4d(self, times, channels, polarity):
        t = self.t
        u = self.bin(times, channels, polarity)
        dt_bin = float(self.meta["time_step_seconds"])
        a = [np.exp(-dt_bin / t[f"layers.{l}.tau_seconds"]) for l in range(self.n_layers)]
        xs = [np.zeros(t[f"layers.{l}.B"].shape[0]) for l in range(self.n_layers)]
        acc = 0.0
        for k in range(u.shape[0]):
            h = u[k]
            for l in range(self.n_layers):
                xs[l] = a[l] * xs[l] + t[f"layers.{l}.B"] @ self.qa(h, f"l{l}.in")
                y = t[f"layers.{l}.C"] @ self.qa(xs[l], f"l{l}.x")
                if l == 0:
                    h = gelu_tanh(y)
                else:
                    h = h + gelu_tanh(y + t[f"layers.{l}.D"] * h)
            acc = acc + h
        m = acc / u.shape[0]
        return t["readout.W"] @ self.qa(m, "pool") + t["readout.b"]


def forward_dataset(model_path, es, n=None):
    m = Model(model_path)
    n = len(es) if n is None else min(n, len(es))
    return np.stack([m.forward(*es.sample(i)) for i in range(n)])
