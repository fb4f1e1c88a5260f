"""Emulated event camera (DVS) and the event-camera digits task (N-MNIST-like).

sklearn's bundled 8x8 digits are upscaled, moved in three saccades in front of an
emulated DVS, and the pixel events are pooled back to 8x8 x 2 polarities.
"""
from __future__ import annotations

import multiprocessing as mp

import numpy as np
from scipy.ndimage import map_coordinates, zoom

from .eventio import EventSet

# ---------------------------------------------------------------- emulator


def emulate_dvs(frames, times, threshold=0.2, log_eps=0.05, threshold_sigma=0.0,
                rng=None):
    """Log-intensity change detector.

    frames: [T, H, W] linear intensity >= 0 sampled at `times` (seconds, increasing).
    Each pixel keeps a reference log intensity; whenever the current log intensity
    departs from it by a multiple of the pixel's threshold, one event per crossing is
    emitted (polarity +1 for brighter, -1 for darker) with a timestamp linearly
    interpolated between the two frames, and the reference moves by that multiple.

    Returns (t [N] float64 sorted, x [N] int32, y [N] int32, p [N] int8).
    """
    frames = np.asarray(frames, dtype=np.float64)
    times = np.asarray(times, dtype=np.float64)
    T, H, W = frames.shape
    logI = np.log(frames + log_eps)
    thr = np.full((H, W), float(threshold))
    if threshold_sigma > 0:
        rng = rng or np.random.default_rng(0)
        thr = thr * np.clip(1.0 + threshold_sigma * rng.standard_normal((H, W)), 0.5, 1.5)
    ref = logI[0].copy()
    ts, xs, ys, ps = [], [], [], []
    for k in range(1, T):
        prev, cur = logI[k - 1], logI[k]
        diff = cur - ref
        n = np.floor(np.abs(diff) / thr).astype(np.int64)
        if not n.any():
            continue
        yy, xx = np.nonzero(n)
        nk = n[yy, xx]
        s = np.sign(diff[yy, xx])
        # expand crossings j = 1..n
        rep = np.repeat(np.arange(len(nk)), nk)
        j = np.arange(nk.sum()) - np.repeat(np.cumsum(nk) - nk, nk) + 1
        level = ref[yy, xx][rep] + s[rep] * j * thr[yy, xx][rep]
        p0, p1 = prev[yy, xx][rep], cur[yy, xx][rep]
        denom = np.where(p1 != p0, p1 - p0, 1.0)
        frac = np.clip((level - p0) / denom, 0.0, 1.0)
        ts.append(times[k - 1] + frac * (times[k] - times[k - 1]))
        xs.append(xx[rep]); ys.append(yy[rep]); ps.append(s[rep])
        ref[yy, xx] += s * nk * thr[yy, xx]
    if not ts:
        z = np.zeros(0)
        return z, z.astype(np.int32), z.astype(np.int32), z.astype(np.int8)
    t = np.concatenate(ts); x = np.concatenate(xs); y = np.concatenate(ys)
    p = np.concatenate(ps)
    order = np.argsort(t, kind="stable")
    return (t[order], x[order].astype(np.int32), y[order].astype(np.int32),
            p[order].astype(np.int8))


def pool_events(t, x, y, p, pool=4, grid=8, count=2):
    """Pool pixel events to a grid x grid x 2 channel layout.

    A pooled channel (polarity, cell) is an integrate-and-fire counter: it emits one
    event (at the time of the triggering input event) every `count` input events.
    Channel index = (0 if ON else 1) * grid*grid + row * grid + col.
    """
    gx, gy = x // pool, y // pool
    ok = (gx >= 0) & (gx < grid) & (gy >= 0) & (gy < grid)
    t, gx, gy, p = t[ok], gx[ok], gy[ok], p[ok]
    ch = np.where(p > 0, 0, 1) * grid * grid + gy * grid + gx
    # k-th event of each channel (1-based) fires when k % count == 0
    order = np.argsort(ch, kind="stable")  # t already sorted -> stable keeps time order
    chs = ch[order]
    start = np.r_[0, np.flatnonzero(np.diff(chs)) + 1]
    rank = np.arange(len(chs)) - np.repeat(start, np.diff(np.r_[start, len(chs)]))
    fire = np.zeros(len(ch), dtype=bool)
    fire[order] = (rank + 1) % count == 0
    pol = np.where(ch[fire] < grid * grid, 1, -1).astype(np.int8)
    return t[fire], ch[fire].astype(np.int32), pol


# ---------------------------------------------------------------- digits task

CANVAS = 32       # emulated sensor is CANVAS x CANVAS pixels
UPSCALE = 3       # 8x8 digit -> 24x24
POOL = 4          # 32/4 = 8x8 pooled grid
FRAME_DT = 1e-3   # 1 ms frame step
SACCADE_S = 0.1   # each of the 3 saccades lasts 100 ms


def saccade_path(rng, amp_px=2.0, jitter=0.0):
    """Three saccades along a triangle (like N-MNIST), returns times and (dx, dy)."""
    n = int(round(3 * SACCADE_S / FRAME_DT)) + 1
    t = np.arange(n) * FRAME_DT
    corners = np.array([[0.0, 0.0], [amp_px, amp_px], [-amp_px, amp_px], [0.0, 0.0]])
    if jitter > 0:
        corners[1:3] += rng.normal(0, jitter, (2, 2))
    seg = np.minimum((t / SACCADE_S).astype(int), 2)
    frac = t / SACCADE_S - seg
    frac = np.clip(frac, 0, 1)
    # smooth (cosine) velocity profile within each saccade
    frac = 0.5 - 0.5 * np.cos(np.pi * frac)
    pos = corners[seg] + (corners[seg + 1] - corners[seg]) * frac[:, None]
    pos -= np.array([0.0, amp_px * 2 / 3])  # centre the triangle
    return t, pos


def render_frames(img8, pos, background=0.1):
    """img8: [8, 8] in [0, 1]; pos: [T, 2] (dx, dy) in sensor pixels."""
    big = np.clip(zoom(img8, UPSCALE, order=1), 0, 1)
    big = np.pad(big, (CANVAS - big.shape[0]) // 2)
    T = len(pos)
    yy, xx = np.mgrid[0:CANVAS, 0:CANVAS].astype(np.float64)
    cy = yy[None] - pos[:, 1, None, None]
    cx = xx[None] - pos[:, 0, None, None]
    coords = np.stack([cy.reshape(T, -1), cx.reshape(T, -1)])
    vals = map_coordinates(big, coords.reshape(2, -1), order=1, mode="constant", cval=0.0)
    return background + (1 - background) * vals.reshape(T, CANVAS, CANVAS)


DVS_THRESHOLD = 0.3
POOL_COUNT = 5


def digit_to_events(img8, rng, threshold=DVS_THRESHOLD, threshold_sigma=0.05, amp_px=2.0,
                    jitter=0.0, pool_count=POOL_COUNT):
    t, pos = saccade_path(rng, amp_px=amp_px, jitter=jitter)
    frames = render_frames(img8, pos)
    et, ex, ey, ep = emulate_dvs(frames, t, threshold=threshold,
                                 threshold_sigma=threshold_sigma, rng=rng)
    return pool_events(et, ex, ey, ep, pool=POOL, grid=CANVAS // POOL, count=pool_count)


def channel_layout(grid=8):
    names = []
    for pol in ("ON", "OFF"):
        for r in range(grid):
            for c in range(grid):
                names.append(f"{pol} row{r} col{c}")
    return names


def _digit_job(args):
    img, s, jitter = args
    rng = np.random.default_rng(s)
    return digit_to_events(img, rng, jitter=jitter, amp_px=rng.uniform(1.5, 2.5))


def build_digits(seed=0, test_size=300, train_copies=2):
    """Returns (train EventSet, test EventSet)."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    imgs = d.images / 16.0
    y = d.target.astype(np.int32)
    idx_tr, idx_te = train_test_split(np.arange(len(y)), test_size=test_size,
                                      random_state=seed, stratify=y)
    meta = {
        "task": "event_digits",
        "description": "sklearn load_digits, upscaled x3 on a 32x32 emulated DVS, 3 saccades "
                       "(300 ms), log-intensity threshold events, pooled 4x4 -> 8x8 x {ON,OFF}",
        "num_channels": 128,
        "channel_layout": "channel = (0 if ON else 1)*64 + row*8 + col",
        "channel_names": channel_layout(),
        "class_names": [str(i) for i in range(10)],
        "seed": seed,
        "duration_seconds": 3 * SACCADE_S,
        "dvs_threshold_log": DVS_THRESHOLD,
        "dvs_threshold_sigma": 0.05,
        "pool_count": POOL_COUNT,
    }

    def make(indices, copies, seed_, jitter):
        jobs = [(imgs[i], seed_ * 100003 + c * 7919 + int(i), jitter)
                for c in range(copies) for i in indices]
        with mp.get_context("fork").Pool(2) as pool:
            samples = pool.map(_digit_job, jobs, chunksize=64)
        labels = [y[i] for c in range(copies) for i in indices]
        return EventSet.from_lists(samples, labels, meta)

    train = make(idx_tr, train_copies, seed + 1, jitter=0.3)
    test = make(idx_te, 1, seed + 2, jitter=0.3)
    test.meta = dict(meta, split="test", source_indices=[int(i) for i in idx_te])
    train.meta = dict(meta, split="train")
    return train, test
