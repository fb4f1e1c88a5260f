"""Read an XbarLab run store from Python.

    import xbarlab
    store = xbarlab.open_store("xbarlab.sqlite")
    store.runs()                 # DataFrame, one row per run
    store.ledger(12)             # DataFrame, one row per pulse or read of run 12
    store.shadow_map(12)         # {tile: 2-D array of siemens}

The store is opened read-only: a notebook never changes what a run recorded.
"""
from .store import RunStore, open_store

__all__ = ["RunStore", "open_store"]
