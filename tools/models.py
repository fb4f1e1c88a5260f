"""JAX models and training.

(a) EventSSM: event-driven SSM with real diagonal decays shared per group of states,
    x(t_k) = exp(-(t_k - t_{k-1})/tau) * x(t_{k-1}) + B u_k ; y_k = C x(t_k) + D u_k
    channel-wise embedding, GELU (tanh approximation), residual, mean-pooled readout.
    Hardware-aware variant: 8-bit fake-quant of weights and MVM inputs/outputs,
    programming noise (1 % of weight range) and per-read cell noise (2 %).
(b) S4D (IMSSA-style): discrete time, events binned into fixed steps, diagonal A
    (decay shared per group), B, C; float twin and ternary-weight QAT model.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np
import optax

TAU_MIN, TAU_MAX = 1e-3, 0.1  # seconds, realisable by STM devices
PROG_SIGMA = 0.01   # programming error, fraction of weight range (max |w|)
READ_SIGMA = 0.02   # read noise, relative per cell and read

# ----------------------------------------------------------------- helpers


def round_ste(x):
    return x + jax.lax.stop_gradient(jnp.round(x) - x)


def qact(x, r, bits=8):
    """Symmetric fake quantisation of an activation with fixed range r."""
    n = 2 ** (bits - 1) - 1
    return round_ste(jnp.clip(x / r, -1.0, 1.0) * n) * (r / n)


def qweight8(w):
    s = jax.lax.stop_gradient(jnp.max(jnp.abs(w))) / 127.0
    return round_ste(w / s) * s


def ternary_parts(w):
    """TWN ternarisation with one scale per output row. Returns (codes, scale[out])."""
    a = jnp.abs(w)
    delta = 0.7 * jnp.mean(a, axis=1, keepdims=True)
    m = (a > delta).astype(w.dtype)
    alpha = jnp.sum(a * m, axis=1) / jnp.maximum(jnp.sum(m, axis=1), 1.0)
    return jnp.sign(w) * m, alpha


def qternary(w):
    codes, alpha = ternary_parts(w)
    wt = codes * alpha[:, None]
    return w + jax.lax.stop_gradient(wt - w)


def tau_from(p):
    lo, hi = math.log(TAU_MIN), math.log(TAU_MAX)
    return jnp.exp(lo + jax.nn.sigmoid(p) * (hi - lo))


def tau_param_init(taus):
    lo, hi = math.log(TAU_MIN), math.log(TAU_MAX)
    f = (np.log(taus) - lo) / (hi - lo)
    return np.log(f / (1 - f)).astype(np.float32)


def linear_scan(a, b):
    """x_k = a_k * x_{k-1} + b_k along axis 1 (x_{-1} = 0)."""
    def comb(l, r):
        return (l[0] * r[0], r[0] * l[1] + r[1])
    return jax.lax.associative_scan(comb, (a, b), axis=1)[1]


def gelu(x):
    return jax.nn.gelu(x, approximate=True)


# ----------------------------------------------------------------- data prep


def pad_events(es, length=None):
    n = np.diff(es.offsets)
    L = int(length or n.max())
    S = len(es)
    ch = np.zeros((S, L), np.int32)
    dt = np.zeros((S, L), np.float32)
    mask = np.zeros((S, L), np.float32)
    for i in range(S):
        t, c, _ = es.sample(i)
        t, c = t[:L], c[:L]
        k = len(t)
        ch[i, :k] = c
        d = np.diff(t, prepend=0.0)
        dt[i, :k] = d
        mask[i, :k] = 1
    return ch, dt, mask


def bin_events(es, dt_bin, n_steps, n_in, mode):
    """mode 'signed_merge': input = channel % n_in, value += polarity (ON - OFF count);
    mode 'separate': input = channel, value += 1."""
    S = len(es)
    u = np.zeros((S, n_steps, n_in), np.float32)
    for i in range(S):
        t, c, p = es.sample(i)
        k = np.floor(t / dt_bin).astype(np.int64)
        ok = k < n_steps
        if mode == "signed_merge":
            np.add.at(u[i], (k[ok], c[ok] % n_in), p[ok].astype(np.float32))
        else:
            np.add.at(u[i], (k[ok], c[ok]), 1.0)
    return u


# ----------------------------------------------------------------- event SSM


@dataclass
class EventSSMConfig:
    n_in: int
    n_classes: int
    d: int = 32
    n_state: int = 32
    n_layers: int = 2
    n_groups: int = 4
    group_taus: tuple = (0.003, 0.01, 0.03, 0.08)


def init_event_ssm(cfg: EventSSMConfig, key):
    ks = jax.random.split(key, 2 + 2 * cfg.n_layers)
    p = {"embedding": jax.random.normal(ks[0], (cfg.n_in, cfg.d)),
         "readout.W": jax.random.normal(ks[1], (cfg.n_classes, cfg.d)) / math.sqrt(cfg.d),
         "readout.b": jnp.zeros(cfg.n_classes)}
    for l in range(cfg.n_layers):
        p[f"layers.{l}.B"] = jax.random.normal(ks[2 + 2 * l], (cfg.n_state, cfg.d)) * 0.3 / math.sqrt(cfg.d)
        p[f"layers.{l}.C"] = jax.random.normal(ks[3 + 2 * l], (cfg.d, cfg.n_state)) / math.sqrt(cfg.n_state)
        p[f"layers.{l}.D"] = jnp.zeros(cfg.d)
        p[f"layers.{l}.tau_p"] = jnp.asarray(tau_param_init(np.array(cfg.group_taus)))
    return p


def state_taus(p_tau, n_state):
    taus = tau_from(p_tau)
    return jnp.repeat(taus, n_state // taus.shape[0])


@dataclass
class HW:
    quant: bool = False
    noise: bool = False
    ranges: dict = field(default_factory=dict)


def _mvm(W, u, hw: HW, key):
    if hw.quant:
        W = qweight8(W)
    if hw.noise:
        k1, k2 = jax.random.split(key)
        W = W + PROG_SIGMA * jax.lax.stop_gradient(jnp.max(jnp.abs(W))) * jax.random.normal(k1, W.shape)
        y = u @ W.T
        sd = jnp.sqrt((u ** 2) @ (W ** 2).T + 1e-12)
        return y + READ_SIGMA * sd * jax.random.normal(k2, y.shape)
    return u @ W.T


def _qa(x, name, hw: HW):
    return qact(x, hw.ranges[name]) if hw.quant else x


def event_ssm_forward(p, ch, dt, mask, cfg: EventSSMConfig, hw: HW, key, collect=False):
    acts = {}
    E = qweight8(p["embedding"]) if hw.quant else p["embedding"]
    h = E[ch] * mask[..., None]  # padded / dropped events carry no input
    keys = jax.random.split(key, 2 * cfg.n_layers + 1)
    for l in range(cfg.n_layers):
        u = h
        uq = _qa(u, f"l{l}.in", hw)
        v = _qa(_mvm(p[f"layers.{l}.B"], uq, hw, keys[2 * l]), f"l{l}.bv", hw)
        tau = state_taus(p[f"layers.{l}.tau_p"], cfg.n_state)
        a = jnp.exp(-dt[..., None] / tau)
        x = linear_scan(a, v)
        xq = _qa(x, f"l{l}.x", hw)
        y = _qa(_mvm(p[f"layers.{l}.C"], xq, hw, keys[2 * l + 1]), f"l{l}.cy", hw)
        y = y + p[f"layers.{l}.D"] * u
        h = u + gelu(y)
        if collect:
            acts.update({f"l{l}.in": u, f"l{l}.bv": v, f"l{l}.x": x, f"l{l}.cy": y})
    m = jnp.sum(h * mask[..., None], axis=1) / jnp.maximum(jnp.sum(mask, axis=1, keepdims=True), 1)
    mq = _qa(m, "pool", hw)
    logits = _mvm(p["readout.W"], mq, hw, keys[-1]) + p["readout.b"]
    if collect:
        acts["pool"] = m
    return logits, acts


# ----------------------------------------------------------------- S4D


@dataclass
class S4DConfig:
    n_in: int
    n_classes: int
    dt_bin: float
    n_steps: int
    input_mode: str
    d: int = 32
    n_state: int = 32
    n_layers: int = 2
    n_groups: int = 4
    group_taus: tuple = (0.01, 0.03, 0.06, 0.09)


def init_s4d(cfg: S4DConfig, key):
    ks = jax.random.split(key, 1 + 2 * cfg.n_layers)
    p = {"readout.W": jax.random.normal(ks[0], (cfg.n_classes, cfg.d)) / math.sqrt(cfg.d),
         "readout.b": jnp.zeros(cfg.n_classes)}
    for l in range(cfg.n_layers):
        n_in = cfg.n_in if l == 0 else cfg.d
        p[f"layers.{l}.B"] = jax.random.normal(ks[1 + 2 * l], (cfg.n_state, n_in)) / math.sqrt(n_in)
        p[f"layers.{l}.C"] = jax.random.normal(ks[2 + 2 * l], (cfg.d, cfg.n_state)) / math.sqrt(cfg.n_state)
        if l > 0:
            p[f"layers.{l}.D"] = jnp.zeros(cfg.d)
        p[f"layers.{l}.tau_p"] = jnp.asarray(tau_param_init(np.array(cfg.group_taus)))
    return p


def s4d_weight(W, ternary):
    return qternary(W) if ternary else W


def s4d_forward(p, u, cfg: S4DConfig, ternary: bool, ranges=None, collect=False):
    """u: [S, T, n_in]. Ternary: B, C, readout ternary (per-row scale), 8-bit MVM inputs."""
    acts = {}
    qa = (lambda x, n: qact(x, ranges[n])) if (ternary and ranges) else (lambda x, n: x)
    h = u
    for l in range(cfg.n_layers):
        hin = qa(h, f"l{l}.in")
        v = hin @ s4d_weight(p[f"layers.{l}.B"], ternary).T
        a = jnp.exp(-cfg.dt_bin / state_taus(p[f"layers.{l}.tau_p"], cfg.n_state))
        x = linear_scan(jnp.broadcast_to(a, v.shape), v)
        xq = qa(x, f"l{l}.x")
        y = xq @ s4d_weight(p[f"layers.{l}.C"], ternary).T
        if l == 0:
            h = gelu(y)
        else:
            h = h + gelu(y + p[f"layers.{l}.D"] * h)
        if collect:
            acts.update({f"l{l}.in": hin, f"l{l}.x": x})
    m = jnp.mean(h, axis=1)
    if collect:
        acts["pool"] = m
    logits = qa(m, "pool") @ s4d_weight(p["readout.W"], ternary).T + p["readout.b"]
    return logits, acts


# ----------------------------------------------------------------- training


def calibrate_ranges(acts_list, masks_list=None, q=99.99):
    out = {}
    for name in acts_list[0]:
        vals = []
        for i, acts in enumerate(acts_list):
            a = np.abs(np.asarray(acts[name]))
            if masks_list is not None and a.ndim == 3:
                a = a[np.asarray(masks_list[i]) > 0]
            vals.append(a.ravel())
        v = np.concatenate(vals)
        out[name] = float(max(np.percentile(v, q), 1e-6))
    return out


def train_loop(loss_fn, params, batches_fn, n_epochs, lr, seed, log=print, label=""):
    steps_per_epoch = batches_fn(None)
    sched = optax.cosine_onecycle_schedule(n_epochs * steps_per_epoch, lr, pct_start=0.1)
    opt = optax.chain(optax.clip_by_global_norm(1.0), optax.adamw(sched, weight_decay=1e-4))
    state = opt.init(params)

    @jax.jit
    def step(params, state, batch, key):
        (loss, acc), g = jax.value_and_grad(loss_fn, has_aux=True)(params, batch, key)
        upd, state = opt.update(g, state, params)
        return optax.apply_updates(params, upd), state, loss, acc

    key = jax.random.PRNGKey(seed)
    rng = np.random.default_rng(seed)
    for ep in range(n_epochs):
        t0 = time.time()
        losses, accs = [], []
        for batch in batches_fn(rng):
            key, k = jax.random.split(key)
            params, state, loss, acc = step(params, state, batch, k)
            losses.append(float(loss)); accs.append(float(acc))
        log(f"  [{label}] epoch {ep + 1}/{n_epochs} loss {np.mean(losses):.3f} "
            f"train acc {np.mean(accs):.3f} ({time.time() - t0:.1f} s)")
    return params


def xent(logits, y):
    l = optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()
    return l, jnp.mean(jnp.argmax(logits, -1) == y)
