"""Build (or load from the out/ cache) the two event data sets."""
from __future__ import annotations

import os
from pathlib import Path

from .eventio import load_events, save_events

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "out" / "data"
EXAMPLES = ROOT / "examples"
SEED = 0


def get_dataset(task, rebuild=False):
    CACHE.mkdir(parents=True, exist_ok=True)
    tr_p, te_p = CACHE / f"{task}_train.safetensors", CACHE / f"{task}_test.safetensors"
    if tr_p.exists() and te_p.exists() and not rebuild:
        return load_events(tr_p), load_events(te_p)
    if task == "event_digits":
        from .event_camera import build_digits
        tr, te = build_digits(seed=SEED)
    elif task == "spoken_digits":
        from .spoken_digits import build_spoken
        tr, te = build_spoken(seed=SEED)
    else:
        raise ValueError(task)
    save_events(tr_p, tr)
    save_events(te_p, te)
    return load_events(tr_p), load_events(te_p)


if __name__ == "__main__":
    import sys
    import time
    for task in sys.argv[1:] or ["event_digits", "spoken_digits"]:
        t0 = time.time()
        tr, te = get_dataset(task, rebuild=bool(os.environ.get("REBUILD")))
        n = tr.offsets[-1] / len(tr)
        print(f"{task}: train {len(tr)} test {len(te)} mean events/sample {n:.0f} "
              f"({time.time() - t0:.0f} s)")
