"""Train the event SSM for one board: its states on the board's STM nodes.

    python3 -m tools.board_training --calibration CAL.json --task event_digits \
        [--epochs 4] [--out examples/event_digits_event_ssm_<instrument>.safetensors]

The calibration file comes from `xbar calibrate`. Starting from the task's float event SSM
(examples/<task>_event_ssm_float.safetensors), every block's states are assigned to STM node
pairs whose measured time constant is closest to the state group's decay constant (the
group's shared constant becomes the centre of the calibrated node group it landed on), and the
model is fine-tuned with a forward pass that does what the chip does:

- an increment `v = B u` goes to the `+` node of a state when positive and to the `-` node when
  negative, as `sigma * |v|` siemens, with the calibrated cycle-to-cycle spread of one pulse;
- each node decays with its own calibrated fast time constant, the calibrated slow fraction of
  every increment with the node's slow time constant;
- each read of a node adds the calibrated read disturb (a fraction of a reference pulse's
  increment) and returns `G (1 + read noise)` through the read converter at the model's read
  voltage: on a board with sense ranges in the node's range (the smallest whose full scale holds
  the node's base plus SENSE_HEADROOM_OF_CEILING of its ceiling, as the STM engine chooses), with
  the range's noise, steps and clipping at its full scale; else at the ADC's read full scale;
  the state is `(G+ - b+) / sigma - (G- - b-) / sigma`, `b` the node's baseline;
- matrix products carry the programming and read noise of the other example models.

The STM engine plans pulse amplitudes from the calibrated increment law, so the saturation
towards the ceiling is compensated on the board, not learned; `sigma` (siemens per unit of
state) is chosen per state so that the 99.9th percentile of what a node accumulates reaches
half of the smaller ceiling of its pair.

With `--distill W` the loss mixes the labels' cross-entropy with the float model's softened
outputs (its own decay constants, ideal states) at weight W: the chip forward pass's noise pulls
the weights towards what survives it, the float model's outputs towards what the task needs.
With `--reference-weight W` the loss mixes the chip forward pass's cross-entropy with that of
the digital reference (each node decaying ideally at its recorded time constant) at weight W:
trained on the chip forward pass alone, a model leans on what the ideal decay leaves out and its
reference falls below what the STM engine reaches; the reference is the figure the engine is
checked against.
After training the tool prints how far the chip forward pass's states are from the ideal
recursion of the same increments, the figure `xbar-bench stm` prints for the engine's states.

The model file records the nodes, their calibrated time constants, `sigma`, the read voltage,
the calibration's SHA-256 and the instrument; its digital reference (`xbar infer --engine
reference`) decays each node ideally at its recorded time constant.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import time
from pathlib import Path

os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=1")

import jax
import jax.numpy as jnp
import numpy as np

from .datasets import EXAMPLES, ROOT, get_dataset
from .eventio import load_events, read_metadata, save_tensors
from .models import HW, EventSSMConfig, _mvm, gelu, linear_scan, round_ste, train_loop
from safetensors.numpy import load_file

SEED = 0
BASELINE_READS = 4  # the STM engine's baseline reads of every node before a sample
CEILING_REACH = 0.9  # how close to its ceiling the engine's planned pulses take a node
# The conductance above its base a node's sense range must hold, as a fraction of its ceiling:
# the STM engine's STMStatePlayer.senseHeadroomOfCeiling.
SENSE_HEADROOM_OF_CEILING = 0.7
LEN_CAP = {"event_digits": 640, "spoken_digits": 768}
DROPOUT = {"event_digits": 0.2, "spoken_digits": 0.0}


# ----------------------------------------------------------------- the board


class BoardNodes:
    """What the calibration says about the STM nodes and the read path."""

    def __init__(self, cal: dict, instrument: dict, read_volts: float):
        self.cal = cal
        stm = cal["device"]["shortTermMemory"]
        self.c2c = float(stm["cycleToCycleSpread"])
        self.read_noise = float(stm["readNoiseSpread"])
        self.read_disturb = float(stm["readDisturbFraction"])
        self.slow_default = float(stm["slowFraction"])
        self.read_volts = read_volts
        self.pulses_per_increment = 1
        self.node_gain_spread = 0.05
        self.slow_fraction_scale = 1.0
        bits, full = instrument["adc_bits"], instrument["read_full_scale_amperes"]
        self.levels = 2 ** bits - 1
        self.read_full_scale_amperes = full
        self.read_step_siemens = full / self.levels / read_volts
        self.sense_ranges = instrument["sense_ranges"]
        nodes = {}
        columns = instrument["stm_columns"]
        for n in cal["nodes"]:
            if not n.get("converged", False):
                continue
            idx = int(n["row"]) * columns + int(n["column"])
            nodes[idx] = n
        self.nodes = nodes
        self.groups = cal["timeConstantGroups"]

    def assign(self, group_taus_per_layer, states_per_group):
        """Node pairs per layer: for each model group the calibrated node group with the
        closest centre (log scale); pairs made of nodes with adjacent time constants."""
        used = set()
        centres = np.array([g["centerSeconds"] for g in self.groups])
        layers = []
        for taus in group_taus_per_layer:
            pairs, group_centres = [], []
            for tau in taus:
                order = np.argsort(np.abs(np.log(centres) - math.log(tau)))
                chosen = None
                for gi in order:
                    members = sorted((i for i, n in self.nodes.items()
                                      if n["group"] == gi and i not in used),
                                     key=lambda i: self.nodes[i]["tauSeconds"])
                    if len(members) >= 2 * states_per_group:
                        chosen = gi, members
                        break
                if chosen is None:
                    raise SystemExit(f"calibration has no node group with {2 * states_per_group} "
                                     f"free converged nodes for a {tau * 1e3:.1f} ms state group")
                gi, members = chosen
                # Take a run of adjacent time constants around the group's median.
                start = max(0, len(members) // 2 - states_per_group)
                take = members[start:start + 2 * states_per_group]
                used.update(take)
                pairs += [(take[2 * k], take[2 * k + 1]) for k in range(states_per_group)]
                group_centres.append(float(centres[gi]))
            layers.append((pairs, group_centres))
        return layers

    def arrays(self, pairs):
        """Per-state arrays [n] for the + and - nodes: tau, slow tau, slow fraction, base,
        ceiling, increment fraction."""
        def field(k, default=None):
            out = np.zeros((len(pairs), 2))
            for s, (p, m) in enumerate(pairs):
                for j, i in enumerate((p, m)):
                    v = self.nodes[i].get(k)
                    out[s, j] = default if v is None else v
            return out
        out = dict(tau=field("tauSeconds"), slow_tau=field("slowTauSeconds", 0.5),
                   slow_fraction=self.slow_fraction_scale * field("slowFraction", self.slow_default),
                   base=field("baseSiemens"), ceiling=field("ceilingSiemens"),
                   increment=field("incrementFraction", 0.05))
        full, noise = self.sense(out["base"], out["ceiling"])
        out.update(read_full_scale=full / self.read_volts, read_step=full / self.levels / self.read_volts,
                   read_range_noise=noise / self.read_volts)
        return out

    def sense(self, base, ceiling):
        """Per node: the full scale and noise (amperes) of the range its reads convert in."""
        full = np.full(base.shape, self.read_full_scale_amperes)
        noise = np.zeros(base.shape)
        need = self.read_volts * (base + SENSE_HEADROOM_OF_CEILING * ceiling)
        for r in sorted(self.sense_ranges, key=lambda r: -r["full_scale_amperes"]):
            fits = (r["full_scale_amperes"] >= need) & (r["full_scale_amperes"] < self.read_full_scale_amperes)
            full = np.where(fits, r["full_scale_amperes"], full)
            noise = np.where(fits, r["noise_amperes"], noise)
        return full, noise


def instrument_facts(path: Path) -> dict:
    """The few instrument values training needs, read from the YAML without a YAML library."""
    text = path.read_text()

    def number(key):
        for line in text.splitlines():
            s = line.split("#")[0].strip()
            if s.startswith(key + ":"):
                return float(s.split(":", 1)[1].strip())
        raise SystemExit(f"{path}: {key} not found")

    columns = None
    for line in text.splitlines():
        if "short_term_memory" in line and "kind" in line and "columns" in line:
            columns = int(line.split("columns:")[1].split(",")[0].split("}")[0])
    if columns is None:
        raise SystemExit(f"{path}: no short_term_memory tile found")
    ranges = []
    for line in text.splitlines():
        s = line.split("#")[0].strip()
        if s.startswith("- {full_scale_amperes:"):
            fields = dict(kv.split(":") for kv in s[2:].strip("{} ").split(","))
            ranges.append({k.strip(): float(v) for k, v in fields.items()})
    return dict(adc_bits=int(number("bits")), read_full_scale_amperes=number("read_full_scale_amperes"),
                max_read_volts=number("max_read_volts"), stm_columns=columns, sense_ranges=ranges)


# ----------------------------------------------------------------- forward pass


def node_scan(dt, v, tau):
    """sum over past increments of v decayed at tau (per state), x_{-1} = 0."""
    return linear_scan(jnp.exp(-dt[..., None] / tau), v)


def stm_states(v, dt, nodes, sigma, board: BoardNodes, noisy: bool, key):
    """States as read from the node pairs. v [S, L, n]; nodes: dict of [n, 2] arrays."""
    k1, k2, k3, k4 = jax.random.split(key, 4)
    parts = []
    for j, (sign, kc, kr) in enumerate(((1.0, k1, k3), (-1.0, k2, k4))):
        inc = jax.nn.relu(sign * v) * sigma  # siemens wanted on this node
        if noisy:
            kc, kg = jax.random.split(kc)
            # K pulses of a K-th each: their cycle-to-cycle noise averages down by sqrt(K).
            spread = board.c2c / math.sqrt(board.pulses_per_increment)
            inc = inc * jnp.maximum(0.0, 1.0 + spread * jax.random.normal(kc, inc.shape))
            # What the calibration gets wrong about a node's increment law: a gain per node.
            inc = inc * (1.0 + board.node_gain_spread * jax.random.normal(kg, inc.shape[-1:]))
        phi = nodes["slow_fraction"][:, j]
        g = (1 - phi) * node_scan(dt, inc, nodes["tau"][:, j]) + phi * node_scan(dt, inc, nodes["slow_tau"][:, j])
        # Read disturb: every event reads every node once.
        per_read = board.read_disturb * nodes["increment"][:, j] * nodes["ceiling"][:, j]
        reads = jnp.ones_like(inc) * per_read
        g = g + (1 - phi) * node_scan(dt, reads, nodes["tau"][:, j]) + phi * node_scan(dt, reads, nodes["slow_tau"][:, j])
        # The node cannot pass its ceiling: the engine's pulses stop short of it.
        ceiling = CEILING_REACH * nodes["ceiling"][:, j]
        g = g - jax.nn.relu(g - ceiling)
        G = nodes["base"][:, j] + g
        baseline = nodes["base"][:, j]
        if noisy:
            kr, kb, kn, km = jax.random.split(kr, 4)
            q, top, rn = nodes["read_step"][:, j], nodes["read_full_scale"][:, j], nodes["read_range_noise"][:, j]
            G = G * (1 + board.read_noise * jax.random.normal(kr, G.shape)) + rn * jax.random.normal(kn, G.shape)
            # A conductance beyond the node's range reads its full scale.
            G = round_ste(jnp.clip(G, 0.0, top) / q) * q
            # The engine's baseline: the mean of BASELINE_READS converted reads at rest.
            shape = (BASELINE_READS,) + G.shape[:1] + G.shape[2:]
            reads = baseline * (1 + board.read_noise * jax.random.normal(kb, shape)) + rn * jax.random.normal(km, shape)
            baseline = jnp.mean(jnp.round(jnp.clip(reads, 0.0, top) / q) * q, axis=0)[:, None, :]
        parts.append((G - baseline) / sigma)
    return parts[0] - parts[1]


def ideal_states(v, dt, nodes):
    """The digital reference: each node decays ideally at its recorded fast time constant."""
    xp = node_scan(dt, jax.nn.relu(v), nodes["tau"][:, 0])
    xm = node_scan(dt, jax.nn.relu(-v), nodes["tau"][:, 1])
    return xp - xm


def forward(p, ch, dt, mask, cfg, layers, board, mode, key):
    """mode: 'ideal' (reference), 'chip' (STM law and noise), 'accumulated' (x+ and x- per
    state, for choosing sigma), 'compared' (chip, with each block's squared distance of the states
    from the ideal recursion of the same increments and the squared ideal states)."""
    h = p["embedding"][ch] * mask[..., None]
    keys = jax.random.split(key, 3 * cfg.n_layers + 1)
    chip = mode in ("chip", "compared")
    hw = HW(noise=chip)
    acc = []
    for l in range(cfg.n_layers):
        nodes, sigma = layers[l]["nodes"], layers[l]["sigma"]
        u = h
        v = _mvm(p[f"layers.{l}.B"], u, hw, keys[3 * l]) * mask[..., None]
        if chip:
            x = stm_states(v, dt, nodes, sigma, board, True, keys[3 * l + 2])
        else:
            x = ideal_states(v, dt, nodes)
        if mode == "compared":
            ideal = ideal_states(v, dt, nodes)
            acc.append((jnp.sum(mask[..., None] * (x - ideal) ** 2), jnp.sum(mask[..., None] * ideal ** 2)))
        if mode == "accumulated":
            acc.append((node_scan(dt, jax.nn.relu(v), nodes["tau"][:, 0]),
                        node_scan(dt, jax.nn.relu(-v), nodes["tau"][:, 1])))
        y = _mvm(p[f"layers.{l}.C"], x, hw, keys[3 * l + 1]) + p[f"layers.{l}.D"] * u
        h = u + gelu(y)
    m = jnp.sum(h * mask[..., None], axis=1) / jnp.maximum(jnp.sum(mask, axis=1, keepdims=True), 1)
    logits = _mvm(p["readout.W"], m, hw, keys[-1]) + p["readout.b"]
    return logits, acc


# ----------------------------------------------------------------- data


def padded(es, length):
    from .models import pad_events
    return pad_events(es, length)


def batches(es, pad, batch, rng):
    ch, dt, mask = pad
    idx = np.arange(len(es)) if rng is None else rng.permutation(len(es))
    for i in range(0, len(idx), batch):
        b = idx[i:i + batch]
        n = len(b)
        if n < batch:
            b = np.concatenate([b, np.zeros(batch - n, b.dtype)])
        m = mask[b].copy()
        m[n:] = 0
        yield b[:n], (ch[b], dt[b], m, es.labels[b])


def teacher_logits(float_params, float_taus, es, pad, cfg):
    """The float event SSM's logits, each state decaying at the float model's own constant: the
    targets distillation pulls the board model towards."""
    def fwd(p, ch, dt, mask):
        h = p["embedding"][ch] * mask[..., None]
        for l in range(cfg.n_layers):
            u = h
            v = (u @ p[f"layers.{l}.B"].T) * mask[..., None]
            x = node_scan(dt, v, float_taus[l])
            h = u + gelu(x @ p[f"layers.{l}.C"].T + p[f"layers.{l}.D"] * u)
        m = jnp.sum(h * mask[..., None], axis=1) / jnp.maximum(jnp.sum(mask, axis=1, keepdims=True), 1)
        return m @ p["readout.W"].T + p["readout.b"]
    fwd = jax.jit(fwd)
    out = np.zeros((len(es), cfg.n_classes), np.float32)
    for b, (ch, dt, m, _) in batches(es, pad, 64, None):
        out[b] = np.asarray(fwd(float_params, ch, dt, m))[:len(b)]
    return out


def state_error(params, es, cfg, layers, board, key, pad):
    """RMS distance of the chip forward pass's states from the ideal recursion of the same
    increments, relative to the ideal states' RMS, over all blocks: the figure the STM engine
    prints for the states it reads from the nodes."""
    fwd = jax.jit(lambda p, c, d, m, k: forward(p, c, d, m, cfg, layers, board, "compared", k)[1])
    diff = ideal = 0.0
    for _, (ch, dt, m, _) in batches(es, pad, 64, None):
        key, k = jax.random.split(key)
        for d2, i2 in fwd(params, ch, dt, m, k):
            diff, ideal = diff + float(d2), ideal + float(i2)
    return math.sqrt(diff / ideal)


def evaluate(params, es, cfg, layers, board, mode, key, pad):
    fwd = jax.jit(lambda p, c, d, m, k: forward(p, c, d, m, cfg, layers, board, mode, k)[0])
    logits = np.zeros((len(es), cfg.n_classes))
    for b, (ch, dt, m, _) in batches(es, pad, 64, None):
        key, k = jax.random.split(key)
        logits[b] = np.asarray(fwd(params, ch, dt, m, k))[:len(b)]
    return float(np.mean(logits.argmax(1) == es.labels)), logits


# ----------------------------------------------------------------- main


def load_float_model(task):
    path = EXAMPLES / f"{task}_event_ssm_float.safetensors"
    t = load_file(str(path))
    meta = read_metadata(path)
    p = {k: jnp.asarray(t[k], jnp.float32) for k in ["embedding", "readout.W", "readout.b"]}
    n_layers = int(meta["n_layers"])
    for l in range(n_layers):
        for k in "BCD":
            p[f"layers.{l}.{k}"] = jnp.asarray(t[f"layers.{l}.{k}"], jnp.float32)
    return p, meta, path


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calibration", required=True, help="calibration file from xbar calibrate (JSON)")
    ap.add_argument("--task", required=True, choices=["event_digits", "spoken_digits"])
    ap.add_argument("--instrument-file", help="instrument YAML (default instruments/<calibration's instrument>.yaml)")
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--read-volts", type=float, help="STM read voltage (default: the instrument's max_read_volts)")
    ap.add_argument("--out", help="model file to write")
    ap.add_argument("--train-limit", type=int, help="train on the first N samples only (for tests)")
    ap.add_argument("--pulses-per-increment", type=int, default=1,
                    help="pulses the engine splits each increment into (noise averages down by their square root, "
                         "but smaller pulses sit nearer the threshold, where the calibrated law is least certain)")
    ap.add_argument("--node-gain-spread", type=float, default=0.05,
                    help="relative error of a node's increment law the training is made robust to")
    ap.add_argument("--fill", type=float, default=0.5,
                    help="fraction of a node's ceiling the 99.9th percentile of its accumulation reaches")
    ap.add_argument("--init", help="start from this model file's weights (default: the task's float event SSM); "
                                   "a model trained for the same nodes also gives its siemens per unit of state")
    ap.add_argument("--lr", type=float, default=1e-3, help="peak learning rate (lower for fine-tuning with --init)")
    ap.add_argument("--distill", type=float, default=0.0,
                    help="weight (0 to 1) of the float model's softened outputs in the loss, against the labels'")
    ap.add_argument("--distill-temperature", type=float, default=2.0,
                    help="temperature the float model's and the board model's logits are softened by for distillation")
    ap.add_argument("--noise-scale", type=float, default=1.0,
                    help="factor on the calibrated pulse and read noise the training's chip forward pass draws")
    ap.add_argument("--reference-weight", type=float, default=0.0,
                    help="weight (0 to 1) of the digital reference's cross-entropy (ideal decay at the nodes' "
                         "time constants) in the loss, against the chip forward pass's")
    ap.add_argument("--slow-fraction-scale", type=float, default=1.0,
                    help="factor on the calibrated slow fraction of the nodes in the chip forward pass (a study of "
                         "what the slow component costs: a model trained with a factor other than 1 is not for this board)")
    ap.add_argument("--read-disturb-scale", type=float, default=1.0,
                    help="factor on the calibrated read disturb in the chip forward pass (a study, as --slow-fraction-scale)")
    ap.add_argument("--event-dropout", type=float,
                    help="fraction of events dropped at random in each training batch (their time still "
                         "passes); default 0.2 for event digits, 0 for spoken digits")
    args = ap.parse_args(argv)
    if not 0.0 <= args.distill <= 1.0:
        raise SystemExit(f"--distill {args.distill} is outside 0 to 1")
    if not 0.0 <= args.reference_weight <= 1.0:
        raise SystemExit(f"--reference-weight {args.reference_weight} is outside 0 to 1")
    if args.distill_temperature <= 0.0 or args.noise_scale < 0.0:
        raise SystemExit("--distill-temperature must be above 0 and --noise-scale at least 0")
    if args.slow_fraction_scale < 0.0 or args.read_disturb_scale < 0.0:
        raise SystemExit("--slow-fraction-scale and --read-disturb-scale must be at least 0")
    if args.event_dropout is not None and not 0.0 <= args.event_dropout < 1.0:
        raise SystemExit(f"--event-dropout {args.event_dropout}: must be at least 0 and below 1")

    cal_path = Path(args.calibration)
    cal_bytes = cal_path.read_bytes()
    cal = json.loads(cal_bytes)
    inst_name = cal["instrument"]["name"]
    inst_path = Path(args.instrument_file) if args.instrument_file else ROOT / "instruments" / f"{inst_name}.yaml"
    facts = instrument_facts(inst_path)
    read_volts = args.read_volts or facts["max_read_volts"]
    if read_volts > facts["max_read_volts"]:
        raise SystemExit(f"--read-volts {read_volts} V is above {inst_path}: limits.max_read_volts "
                         f"{facts['max_read_volts']} V")
    board = BoardNodes(cal, facts, read_volts)
    board.pulses_per_increment = args.pulses_per_increment
    board.node_gain_spread = args.node_gain_spread
    board.c2c *= args.noise_scale
    board.read_noise *= args.noise_scale
    board.slow_fraction_scale = args.slow_fraction_scale
    board.read_disturb *= args.read_disturb_scale
    out = Path(args.out) if args.out else EXAMPLES / f"{args.task}_event_ssm_{inst_name}.safetensors"

    t0 = time.time()
    tr, te = get_dataset(args.task)
    if args.train_limit:
        tr = tr.subset(np.arange(min(args.train_limit, len(tr))))
    params, meta, float_path = load_float_model(args.task)
    float_params = params
    if args.init:
        init = load_file(args.init)
        params = {k: jnp.asarray(init[k], jnp.float32) for k in params}
    blocks = json.loads(meta["blocks"])
    cfg = EventSSMConfig(n_in=int(meta["n_inputs"]), n_classes=int(meta["n_classes"]),
                         d=int(meta["d_model"]), n_state=int(meta["n_state"]),
                         n_layers=int(meta["n_layers"]))
    per = cfg.n_state // len(blocks[0]["groups"])
    assignment = board.assign([[g["tau_seconds"] for g in b["groups"]] for b in blocks], per)
    layers = []
    for pairs, _ in assignment:
        nodes = {k: jnp.asarray(v, jnp.float32) for k, v in board.arrays(pairs).items()}
        layers.append(dict(nodes=nodes, sigma=jnp.ones(cfg.n_state, jnp.float32)))

    # sigma from what the float model's nodes accumulate on a training subset.
    sub = tr.subset(np.arange(0, len(tr), max(1, len(tr) // 256)))
    pad_sub = padded(sub, LEN_CAP[args.task])
    fwd_acc = jax.jit(lambda p, c, d, m, k: forward(p, c, d, m, cfg, layers, board, "accumulated", k)[1])
    peaks = [[] for _ in range(cfg.n_layers)]
    for _, (ch, dt, m, _) in batches(sub, pad_sub, 64, None):
        acc = fwd_acc(params, ch, dt, m, jax.random.PRNGKey(0))
        for l, (xp, xm) in enumerate(acc):
            mm = np.asarray(m) > 0
            peaks[l].append(np.concatenate([np.asarray(xp)[mm], np.asarray(xm)[mm]], axis=0))
    init_meta = read_metadata(Path(args.init)) if args.init else {}
    init_blocks = json.loads(init_meta.get("blocks", "[]"))
    # A board model continued from another keeps the record of how that one was trained.
    init_board = json.loads(init_meta.get("board", "{}"))
    init_training = {"continued_from": init_board["training"]} if "training" in init_board else {}
    for l, (pairs, _) in enumerate(assignment):
        a = np.concatenate(peaks[l], axis=0)  # [samples*events*2, n]
        p999 = np.maximum(np.percentile(a, 99.9, axis=0), 1e-6)
        ceiling = np.min(board.arrays(pairs)["ceiling"], axis=1)
        layers[l]["sigma"] = jnp.asarray(args.fill * ceiling / p999, jnp.float32)
        # A model trained for these very nodes keeps its own scale: its weights were fitted to it.
        if l < len(init_blocks) and init_blocks[l].get("stm_nodes") == [int(i) for pr in pairs for i in pr]:
            layers[l]["sigma"] = jnp.asarray(init_blocks[l]["stm_siemens_per_unit"], jnp.float32)

    pad_tr, pad_te = padded(tr, LEN_CAP[args.task]), padded(te, int(np.ceil(np.diff(te.offsets).max() / 128) * 128))
    acc_float_ideal, _ = evaluate(params, te, cfg, layers, board, "ideal", jax.random.PRNGKey(1), pad_te)
    acc_float_chip, _ = evaluate(params, te, cfg, layers, board, "chip", jax.random.PRNGKey(2), pad_te)
    print(f"{args.task}: float model on the board's nodes: reference {acc_float_ideal:.4f}, "
          f"chip forward {acc_float_chip:.4f} ({time.time() - t0:.0f} s)", flush=True)

    drop = DROPOUT[args.task] if args.event_dropout is None else args.event_dropout
    batch = 32
    teacher = np.zeros((len(tr), cfg.n_classes), np.float32)
    if args.distill > 0:
        float_file = load_file(str(float_path))
        float_taus = [jnp.asarray(float_file[f"layers.{l}.tau_seconds"], jnp.float32) for l in range(cfg.n_layers)]
        teacher = teacher_logits(float_params, float_taus, tr, pad_tr, cfg)
        print(f"{args.task}: float model on the training split {np.mean(teacher.argmax(1) == tr.labels):.4f}", flush=True)
    temperature = args.distill_temperature

    def loss_fn(p, b, key):
        ch, dt, mask, y, target = b
        if drop > 0:
            key, kd = jax.random.split(key)
            keep = jax.random.bernoulli(kd, 1.0 - drop, mask.shape).at[:, 0].set(True)
            mask = mask * keep
        logits, _ = forward(p, ch, dt, mask, cfg, layers, board, "chip", key)
        valid = mask.sum(1) > 0

        def cross_entropy(z):
            return -jnp.sum(jnp.take_along_axis(jax.nn.log_softmax(z), y[:, None], 1)[:, 0] * valid) / valid.sum()
        nll = cross_entropy(logits)
        if args.reference_weight > 0:
            ideal, _ = forward(p, ch, dt, mask, cfg, layers, board, "ideal", key)
            nll = (1 - args.reference_weight) * nll + args.reference_weight * cross_entropy(ideal)
        if args.distill > 0:
            soft = jax.nn.softmax(target / temperature)
            kl = jnp.sum(soft * (jnp.log(soft + 1e-12) - jax.nn.log_softmax(logits / temperature)), axis=-1)
            nll = (1 - args.distill) * nll + args.distill * temperature ** 2 * jnp.sum(kl * valid) / valid.sum()
        return nll, jnp.sum((jnp.argmax(logits, -1) == y) * valid) / valid.sum()

    def batches_fn(rng):
        if rng is None:
            return int(np.ceil(len(tr) / batch))
        return (b + (teacher[i if len(i) == batch else np.resize(i, batch)],)
                for i, b in batches(tr, pad_tr, batch, rng))

    if args.epochs > 0:  # no epochs: the --init model re-exported for this calibration
        params = train_loop(loss_fn, params, batches_fn, args.epochs, args.lr, SEED + 11,
                            log=lambda *a: print(*a, flush=True), label="board")
    if args.epochs > 0:
        acc_ref, _ = evaluate(params, te, cfg, layers, board, "ideal", jax.random.PRNGKey(1), pad_te)
        chip_accs = [evaluate(params, te, cfg, layers, board, "chip", jax.random.PRNGKey(100 + r), pad_te)[0]
                     for r in range(3)]
    else:  # the weights evaluated above
        acc_ref, chip_accs = acc_float_ideal, [acc_float_chip]
    state_off = state_error(params, te, cfg, layers, board, jax.random.PRNGKey(3), pad_te)
    print(f"{args.task}: board-trained reference {acc_ref:.4f}, chip forward "
          f"{np.mean(chip_accs):.4f} +- {np.std(chip_accs):.4f}, its states {100 * state_off:.1f} % rms off "
          f"the ideal recursion ({time.time() - t0:.0f} s)", flush=True)

    # ---- export
    tensors = {k: np.asarray(v, np.float32) for k, v in params.items()}
    new_blocks = []
    for l, (pairs, centres) in enumerate(assignment):
        arr = board.arrays(pairs)
        taus = np.repeat(np.asarray(centres), per).astype(np.float32)
        tensors[f"layers.{l}.tau_seconds"] = taus
        new_blocks.append(dict(
            layer=l, kind="event_ssm_block", d_model=cfg.d, n_state=cfg.n_state,
            groups=[dict(states=[g * per, (g + 1) * per - 1], tau_seconds=float(taus[g * per]))
                    for g in range(len(centres))],
            stm_nodes=[int(i) for pr in pairs for i in pr],
            stm_node_tau_seconds=[float(t) for row in arr["tau"] for t in row],
            stm_siemens_per_unit=[float(s) for s in np.asarray(layers[l]["sigma"])]))
    keep = {k: meta[k] for k in ["n_layers", "d_model", "n_state", "n_inputs", "n_classes",
                                 "recurrence", "input_embedding", "nonlinearity", "tile_map",
                                 "task", "class_names", "input_channel_layout",
                                 "input_channel_names", "test_data"]}
    keep = {k: (json.loads(v) if isinstance(v, str) and v[:1] in "[{" else v) for k, v in keep.items()}
    meta_out = dict(
        architecture="event_ssm", **keep, blocks=new_blocks,
        decay_tau_seconds=[[g["tau_seconds"] for g in b["groups"]] for b in new_blocks],
        quantisation={"weights": "float32", "activations": "float"},
        stm=dict(signed_states=cfg.n_state * cfg.n_layers, stm_nodes=2 * cfg.n_state * cfg.n_layers),
        board=dict(instrument=inst_name, instrument_digest=cal["instrument"]["digest"],
                   calibration_file=cal_path.name,
                   calibration_sha256=hashlib.sha256(cal_bytes).hexdigest(),
                   stm_read_volts=read_volts,
                   pulses_per_increment=args.pulses_per_increment,
                   state_encoding="increment v of state i: sigma_i * |v| siemens on node stm_nodes[2i] "
                                  "(v > 0) or stm_nodes[2i + 1] (v < 0); state = ((G+ - b+) - (G- - b-)) / sigma_i",
                   trained_from=float_path.name,
                   training=dict(epochs=args.epochs, cycle_to_cycle_spread=board.c2c,
                                 node_gain_spread=args.node_gain_spread, fill_of_ceiling=args.fill,
                                 initial_weights=Path(args.init).name if args.init else float_path.name,
                                 read_noise_spread=board.read_noise,
                                 read_disturb_fraction=board.read_disturb,
                                 read_step_siemens=board.read_step_siemens,
                                 sense_headroom_of_ceiling=SENSE_HEADROOM_OF_CEILING,
                                 stm_read_step_siemens=sorted({float(q) for pairs, _ in assignment
                                                              for q in board.arrays(pairs)["read_step"].ravel()}),
                                 learning_rate=args.lr, noise_scale=args.noise_scale,
                                 distill=args.distill, distill_temperature=args.distill_temperature,
                                 reference_weight=args.reference_weight, event_dropout=drop,
                                 slow_fraction_scale=args.slow_fraction_scale,
                                 **init_training)),
        test_accuracy=acc_ref, test_accuracy_chip_forward=float(np.mean(chip_accs)),
        test_accuracy_float_model_on_board_nodes=acc_float_ideal, seed=SEED)
    save_tensors(out, tensors, meta_out)
    print(f"wrote {out}", flush=True)


if __name__ == "__main__":
    main()
