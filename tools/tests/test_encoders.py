"""Properties of the event camera emulator and the filterbank/threshold encoder."""
import numpy as np

from tools.event_camera import emulate_dvs, pool_events, saccade_path, render_frames
from tools.spoken_digits import delta_encode, filterbank_log_energy, audio_to_events, N_BANDS, SR


def _ramp_frames():
    T, H, W = 50, 4, 5
    t = np.linspace(0, 0.049, T)
    frames = np.full((T, H, W), 0.5)
    frames[:, 0, 0] = np.linspace(0.2, 1.0, T)      # brightening pixel
    frames[:, 1, 2] = np.linspace(1.0, 0.1, T)      # darkening pixel
    frames[:, 2, 3] = 0.5 * (1 + 0.01 * np.sin(np.arange(T)))  # tiny flicker < threshold
    return t, frames


def test_events_only_where_log_intensity_changes_beyond_threshold():
    t, frames = _ramp_frames()
    thr, eps = 0.2, 0.05
    et, ex, ey, ep = emulate_dvs(frames, t, threshold=thr, log_eps=eps)
    pix = set(zip(ey.tolist(), ex.tolist()))
    assert pix == {(0, 0), (1, 2)}
    # number of events = floor(|total log change| / threshold) for monotonic ramps
    for (y, x) in pix:
        dl = abs(np.log(frames[-1, y, x] + eps) - np.log(frames[0, y, x] + eps))
        assert np.sum((ey == y) & (ex == x)) == int(np.floor(dl / thr))


def test_polarity_sign_and_sorted_timestamps():
    t, frames = _ramp_frames()
    et, ex, ey, ep = emulate_dvs(frames, t, threshold=0.2)
    assert np.all(ep[(ey == 0) & (ex == 0)] == 1)
    assert np.all(ep[(ey == 1) & (ex == 2)] == -1)
    assert np.all(np.diff(et) >= 0)
    assert et.min() >= t[0] and et.max() <= t[-1]


def test_constant_scene_gives_no_events():
    frames = np.full((20, 8, 8), 0.7)
    et, *_ = emulate_dvs(frames, np.arange(20) * 1e-3, threshold=0.1)
    assert len(et) == 0


def test_digit_saccades_and_pooling_layout():
    rng = np.random.default_rng(0)
    img = np.zeros((8, 8)); img[2:6, 3:5] = 1.0
    tt, pos = saccade_path(rng)
    frames = render_frames(img, pos)
    et, ex, ey, ep = emulate_dvs(frames, tt, threshold=0.3)
    pt, pc, pp = pool_events(et, ex, ey, ep, pool=4, grid=8, count=2)
    assert len(pt) > 0 and np.all(np.diff(pt) >= 0)
    assert pc.min() >= 0 and pc.max() < 128
    assert np.all((pc < 64) == (pp > 0))
    # pooled count per channel = floor(input count / 2)
    ch_in = np.where(ep > 0, 0, 64) + (ey // 4) * 8 + ex // 4
    assert np.array_equal(np.bincount(pc, minlength=128), np.bincount(ch_in, minlength=128) // 2)


def test_delta_encoder_threshold_crossings():
    t = np.arange(10) * 0.005
    logE = np.zeros((10, 3))
    logE[:, 0] = np.linspace(0, 3.0, 10)   # rises by 3.0 -> 3 ON events at thr 1.0
    logE[:, 1] = np.linspace(0, -2.5, 10)  # falls by 2.5 -> 2 OFF events
    logE[:, 2] = 0.3 * np.sin(np.arange(10))  # stays within threshold
    et, ec, ep = delta_encode(t, logE, threshold=1.0)
    assert np.all(np.diff(et) >= 0)
    B = 3
    assert np.sum(ec == 0) == 3 and np.all(ep[ec == 0] == 1)
    assert np.sum(ec == B + 1) == 2 and np.all(ep[ec == B + 1] == -1)
    assert not np.any((ec == 2) | (ec == B + 2))


def test_filterbank_puts_a_tone_in_the_right_band():
    from tools.spoken_digits import BAND_CENTRES
    f = 1000.0
    x = np.sin(2 * np.pi * f * np.arange(SR // 4) / SR).astype(np.float32)
    _, E = filterbank_log_energy(x)
    assert E.shape[1] == N_BANDS
    best = int(np.argmax(E[len(E) // 2]))
    assert abs(BAND_CENTRES[best] - f) / f < 0.15


def test_audio_to_events_tone_burst():
    n = SR // 2
    x = np.zeros(n, np.float32)
    x[n // 4: n // 2] = np.sin(2 * np.pi * 800 * np.arange(n // 4) / SR)
    x += 1e-4 * np.random.default_rng(0).standard_normal(n).astype(np.float32)
    et, ec, ep = audio_to_events(x)
    assert len(et) > 0 and np.all(np.diff(et) >= 0)
    on_t, off_t = et[ep > 0], et[ep < 0]
    # onset produces ON events near 0.125 s, offset OFF events near 0.25 s
    assert np.median(on_t) < np.median(off_t)
    assert np.all((ec < N_BANDS) == (ep > 0))
