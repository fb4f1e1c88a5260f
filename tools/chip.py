"""Chip budget and tile mapping for the XbarLab target board.

Board: four non-volatile 64x64 tiles, 256 STM state nodes.
Signed weights are differential pairs placed along the COLUMNS: output j of a matrix
uses physical columns (2*j, 2*j+1) = (G+, G-), so one tile holds up to 64 inputs
(rows) x 32 outputs (column pairs). A matrix W [out, in] is placed with its input
index i on physical row row_offset + i and its output j on column pair
col_pair_offset + j. Several matrices may share a tile in disjoint row ranges
(only the rows of the matrix being evaluated are driven). A matrix with more than
64 inputs is split across tiles by rows and the partial sums are added digitally.
Signed STM states are pairs of STM nodes, so at most 128 signed states in total.
"""
from __future__ import annotations

TILES = 4
TILE_ROWS = 64
TILE_COLS = 64
STM_NODES = 256
PAIR = "columns"  # differential pair along columns: 64 in x 32 out per tile


def place(matrices):
    """matrices: list of (name, n_out, n_in). Greedy row-slab packing.

    Returns list of placements dicts; raises ValueError if it does not fit.
    """
    max_out = TILE_COLS // 2
    free = [TILE_ROWS] * TILES  # next free row = TILE_ROWS - free
    placements = []
    for name, n_out, n_in in matrices:
        if n_out > max_out:
            raise ValueError(f"{name}: {n_out} outputs > {max_out} column pairs")
        remaining, in_off = n_in, 0
        while remaining > 0:
            # first tile with any free rows; prefer a tile where the whole rest fits
            cand = [t for t in range(TILES) if free[t] >= remaining] or \
                   [t for t in range(TILES) if free[t] > 0]
            if not cand:
                raise ValueError(f"{name}: does not fit on {TILES} tiles")
            t = cand[0]
            take = min(remaining, free[t])
            row0 = TILE_ROWS - free[t]
            placements.append(dict(matrix=name, tile=t, row_offset=row0, rows=take,
                                   input_offset=in_off, col_pair_offset=0, outputs=n_out,
                                   pair="columns (G+ at col 2j, G- at col 2j+1)"))
            free[t] -= take
            remaining -= take
            in_off += take
    return placements


def check_states(n_signed_states):
    if 2 * n_signed_states > STM_NODES:
        raise ValueError(f"{n_signed_states} signed states need {2 * n_signed_states} "
                         f"STM nodes > {STM_NODES}")
    return dict(signed_states=n_signed_states, stm_nodes=2 * n_signed_states,
                stm_nodes_available=STM_NODES)
