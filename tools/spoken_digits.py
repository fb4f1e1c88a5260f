"""Spoken digits task in the spirit of SHD: English + German digits (20 classes)
spoken by espeak-ng, noise added, a mel filterbank and per-channel log-energy
threshold crossings (send-on-delta) turn audio into ON/OFF events.

Test split uses espeak-ng voice variants the training split never heard.
"""
from __future__ import annotations

import multiprocessing as mp
import shutil
import subprocess

import numpy as np

from .eventio import EventSet

WORDS_EN = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
WORDS_DE = ["null", "eins", "zwei", "drei", "vier", "fünf", "sechs", "sieben", "acht", "neun"]
CLASS_NAMES = [f"en_{w}" for w in WORDS_EN] + [f"de_{w}" for w in WORDS_DE]

EN_VOICES = ["en-us", "en-gb", "en-gb-scotland", "en-gb-x-rp", "en-029"]
DE_VOICES = ["de"]

# espeak-ng variants (files under voices/!v). Disjoint train / test sets.
TRAIN_VARIANTS = ["m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3", "f4",
                  "klatt", "klatt2", "klatt3", "adam", "Alex", "Alicia", "Andy", "Annie",
                  "aunty", "belinda", "benjamin", "boris", "caleb", "david", "ed",
                  "edward", "Gene", "grandpa", "iven", "iven2", "john", "linda", "max",
                  "Michael", "Mike", "norbert", "paul", "pedro", "quincy", "rob", "robert",
                  "steph", "travis", "victor", "zac", "anika", "sandro"]
TEST_VARIANTS = ["m8", "f5", "klatt4", "Jacky", "steph2", "shelby", "Lee", "iven3",
                 "edward2", "grandma"]

SR = 16000
N_BANDS = 32
HOP = 80            # 5 ms at 16 kHz
WIN = 400           # 25 ms
FMIN, FMAX = 100.0, 7000.0
DELTA_THRESHOLD = 1.0     # natural-log energy step per event (~4.3 dB)
FLOOR_DB = -40.0          # log energy floor relative to utterance peak


def espeak_available():
    return shutil.which("espeak-ng") is not None


def synthesize(text, voice, speed, pitch, amplitude=100):
    """Run espeak-ng and return float32 mono audio at 22050 Hz (espeak native rate)."""
    out = subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch),
                          "-a", str(amplitude), "--stdout", text],
                         check=True, capture_output=True).stdout
    # WAV header from --stdout is 44 bytes with a bogus length field
    data = np.frombuffer(out[44:], dtype="<i2").astype(np.float32) / 32768.0
    return data, 22050


def resample(x, sr_in, sr_out=SR):
    from scipy.signal import resample_poly
    from math import gcd
    g = gcd(sr_in, sr_out)
    return resample_poly(x, sr_out // g, sr_in // g).astype(np.float32)


def mel_filterbank(n_bands=N_BANDS, n_fft=512, sr=SR, fmin=FMIN, fmax=FMAX):
    mel = lambda f: 2595.0 * np.log10(1 + f / 700.0)
    imel = lambda m: 700.0 * (10 ** (m / 2595.0) - 1)
    pts = imel(np.linspace(mel(fmin), mel(fmax), n_bands + 2))
    freqs = np.fft.rfftfreq(n_fft, 1 / sr)
    fb = np.zeros((n_bands, len(freqs)))
    for b in range(n_bands):
        lo, c, hi = pts[b], pts[b + 1], pts[b + 2]
        fb[b] = np.clip(np.minimum((freqs - lo) / (c - lo), (hi - freqs) / (hi - c)), 0, None)
    return fb, pts[1:-1]


_FB, BAND_CENTRES = mel_filterbank()


def filterbank_log_energy(x, sr=SR):
    """Returns (frame times [F] in seconds (frame centres), log energy [F, N_BANDS])."""
    n_fft = 512
    pad = np.pad(x, (WIN // 2, WIN // 2))
    n_frames = 1 + (len(pad) - WIN) // HOP
    idx = np.arange(WIN)[None, :] + HOP * np.arange(n_frames)[:, None]
    frames = pad[idx] * np.hanning(WIN)[None, :]
    spec = np.abs(np.fft.rfft(frames, n=n_fft, axis=1)) ** 2
    E = spec @ _FB.T
    t = np.arange(n_frames) * HOP / sr
    return t, E


def delta_encode(t, logE, threshold=DELTA_THRESHOLD):
    """Send-on-delta threshold crossing per band.

    Each band keeps a reference level; whenever the log energy moves by a multiple of
    `threshold` away from it an event is emitted per crossing (ON = rising, OFF =
    falling) with a linearly interpolated timestamp, and the reference follows.
    Channel = band for ON, N_BANDS + band for OFF.
    """
    F, B = logE.shape
    ref = logE[0].copy()
    ts, cs, ps = [], [], []
    for k in range(1, F):
        diff = logE[k] - ref
        n = np.floor(np.abs(diff) / threshold).astype(np.int64)
        for b in np.flatnonzero(n):
            s = 1 if diff[b] > 0 else -1
            for j in range(1, n[b] + 1):
                level = ref[b] + s * j * threshold
                d = logE[k, b] - logE[k - 1, b]
                frac = np.clip((level - logE[k - 1, b]) / d, 0, 1) if d != 0 else 1.0
                ts.append(t[k - 1] + frac * (t[k] - t[k - 1]))
                cs.append(b if s > 0 else B + b)
                ps.append(s)
            ref[b] += s * n[b] * threshold
    t_ = np.asarray(ts, dtype=np.float64)
    order = np.argsort(t_, kind="stable")
    return t_[order], np.asarray(cs, np.int32)[order], np.asarray(ps, np.int8)[order]


def audio_to_events(x, sr=SR, threshold=DELTA_THRESHOLD, floor_db=FLOOR_DB):
    t, E = filterbank_log_energy(x, sr)
    logE = np.log(E + 1e-12)
    peak = logE.max()
    logE = np.maximum(logE, peak + floor_db / 10 * np.log(10))
    return delta_encode(t, logE, threshold)


def make_utterance(cls, variant, rng, snr_db):
    lang_de = cls >= 10
    word = (WORDS_DE if lang_de else WORDS_EN)[cls % 10]
    base = rng.choice(DE_VOICES if lang_de else EN_VOICES)
    speed = int(rng.integers(120, 221))
    pitch = int(rng.integers(20, 81))
    x, sr = synthesize(word, f"{base}+{variant}", speed, pitch)
    x = resample(x, sr)
    # trim espeak's trailing silence, add random leading silence, random gain
    nz = np.flatnonzero(np.abs(x) > 1e-3)
    if len(nz):
        x = x[max(0, nz[0] - 160): nz[-1] + 800]
    lead = int(rng.uniform(0.0, 0.1) * SR)
    x = np.concatenate([np.zeros(lead, np.float32), x, np.zeros(int(0.05 * SR), np.float32)])
    x = x * rng.uniform(0.3, 1.0)
    # noise: mix of white and brown-ish (low-pass) noise at the given SNR
    p_sig = np.mean(x[np.abs(x) > 1e-4] ** 2) if np.any(np.abs(x) > 1e-4) else 1e-6
    w = rng.standard_normal(len(x))
    br = np.cumsum(rng.standard_normal(len(x)))
    br -= np.convolve(br, np.ones(401) / 401, mode="same")
    noise = w / w.std() + rng.uniform(0, 1) * br / (br.std() + 1e-9)
    noise *= np.sqrt(p_sig / 10 ** (snr_db / 10) / np.mean(noise ** 2))
    return (x + noise).astype(np.float32), dict(word=word, voice=f"{base}+{variant}",
                                                 speed=speed, pitch=pitch, snr_db=snr_db)


def _job(args):
    cls, variant, s, snr_lo, snr_hi = args
    rng = np.random.default_rng(s)
    snr = float(rng.uniform(snr_lo, snr_hi))
    x, info = make_utterance(cls, variant, rng, snr)
    return audio_to_events(x)


def channel_names():
    return ([f"ON band{b} {BAND_CENTRES[b]:.0f}Hz" for b in range(N_BANDS)] +
            [f"OFF band{b} {BAND_CENTRES[b]:.0f}Hz" for b in range(N_BANDS)])


def build_spoken(seed=0, train_per_variant=2, test_per_class=15):
    """Training: every train variant x class x train_per_variant. Test: held-out variants."""
    rng = np.random.default_rng(seed)
    tr_jobs, te_jobs = [], []
    for v in TRAIN_VARIANTS:
        for c in range(20):
            for r in range(train_per_variant):
                tr_jobs.append((c, v, int(rng.integers(1 << 31)), 10.0, 30.0))
    for c in range(20):
        for r in range(test_per_class):
            v = TEST_VARIANTS[(c + r) % len(TEST_VARIANTS)]
            te_jobs.append((c, v, int(rng.integers(1 << 31)), 10.0, 30.0))
    with mp.get_context("fork").Pool(2) as pool:
        tr = pool.map(_job, tr_jobs, chunksize=16)
        te = pool.map(_job, te_jobs, chunksize=16)
    meta = {
        "task": "spoken_digits",
        "description": "espeak-ng English+German digits, white+brown noise at 10-30 dB SNR, "
                       "32-band mel filterbank (25 ms window, 5 ms hop, 100-7000 Hz), "
                       "log-energy send-on-delta events (ON/OFF)",
        "num_channels": 2 * N_BANDS,
        "channel_layout": "channel = band (ON, rising) or 32 + band (OFF, falling)",
        "channel_names": channel_names(),
        "band_centre_hz": [round(float(f), 1) for f in BAND_CENTRES],
        "class_names": CLASS_NAMES,
        "seed": seed,
        "delta_threshold_ln": DELTA_THRESHOLD,
        "floor_db": FLOOR_DB,
        "train_variants": TRAIN_VARIANTS,
        "test_variants": TEST_VARIANTS,
    }
    train = EventSet.from_lists(tr, [j[0] for j in tr_jobs], dict(meta, split="train"))
    test = EventSet.from_lists(te, [j[0] for j in te_jobs],
                               dict(meta, split="test",
                                    voices_per_sample=[j[1] for j in te_jobs]))
    return train, test
