import XbarBoard
import XbarInstrument
import XbarWire

/// Holds the unused cells of a diagonal matrix's slab (an S4D's decay `A`) at their own floor:
/// after write-verify leaves them at the map's `low` (three device-to-device spreads above the
/// mean `gMin`), strong RESET pulses take each one down to where it cannot go lower.
///
/// Why: a diagonal's column pair carries one weight and 31 zero-weight pairs of cells whose
/// conductances drift as they relax (a random walk in log time, about 1.9 % of the range per
/// cell after an hour on `usb-4x64`), and with the states driving every row, each output picks
/// up `sum_i dG_ij x_i` from the others' states: a coupling that feeds the recurrence at every
/// step. A cell at its floor only drifts up (its walk is cut at `gMin`), and both cells of an
/// unused pair drift up alike, so their difference, which is all a pair adds, spreads about
/// 0.58 times as much (`sqrt(1 - 1/pi)` against `sqrt(2)` of one walk); pulsed again just before
/// use, a pair differs only by its cells' floors (10 % of 1.5 uS apart) instead of by the
/// write-verify's tolerance and an hour's walk.
///
/// Measured (spoken-digit S4D float, layer 0, an hour after programming): the step's error
/// falls from 4.2 % to 2.3 % rms mapped as `a - 1`, from 14.3 % to 6.1 % mapped as `a`. Over
/// 100 samples it moves accuracy by no more than sampling error once the decay is mapped as
/// `a - 1` (see the README's S4D paragraph), so ``ChipPreparation`` leaves it off by default
/// (``ChipPreparation/floorsDiagonals``); `xbar-bench infer --s4d-on-chip-study` measures it.
public struct DiagonalFloor: Sendable {
    /// RESET amplitude, volts (negative), and width, seconds, within the instrument's limits.
    public var resetVolts: Double
    public var widthSeconds: Double
    /// Pulses per cell.
    public var pulsesPerCell: Int

    /// The strongest RESET the instrument allows at a width whose energy stays within its limit.
    public init(instrument: Instrument, pulsesPerCell: Int = 4) {
        let limits = instrument.limits
        resetVolts = -Double(limits.maxResetVolts) * 0.9
        let energyWidth = Double(limits.maxPulseEnergyJoules) / (abs(resetVolts) * Double(limits.complianceAmperes)) * 0.9
        widthSeconds = min(Double(limits.maxPulseWidthSeconds), max(Double(limits.minPulseWidthSeconds), energyWidth))
        self.pulsesPerCell = max(1, pulsesPerCell)
    }

    /// The cells held at the floor, per tile index: every cell of a diagonal slab whose target is
    /// the map's `low` (the off-diagonal pairs, and the unused cell of each diagonal pair).
    public static func cells(of map: WeightMap, model: SSMModel) -> [UInt8: [CellIndex]] {
        var out: [UInt8: [CellIndex]] = [:]
        for p in map.placements where isDiagonal(p, model: model) {
            guard let t = map.tiles.first(where: { Int($0.tile.index) == p.tile }) else { continue }
            let columns = Int(t.tile.columns)
            for r in p.physicalRows {
                for c in p.physicalColumns where t.siemens[r * columns + c] <= map.lowSiemens {
                    out[t.tile.index, default: []].append(CellIndex(row: UInt16(r), column: UInt16(c)))
                }
            }
        }
        return out
    }

    /// Whether `p` places a whole diagonal matrix (output `j` depends on input `j` alone).
    public static func isDiagonal(_ p: TilePlacement, model: SSMModel) -> Bool {
        guard let W = model.matrix(named: p.matrix), W.rows == W.columns, p.rows == W.columns, p.outputs == W.rows else { return false }
        return (0..<W.rows).allSatisfy { r in (0..<W.columns).allSatisfy { c in r == c || W[r, c] == 0 } }
    }

    /// Pulses the cells down, as many per PULSE_BATCH as the board's payload carries.
    ///
    /// - Returns: the cells pulsed.
    /// - Throws: `BoardError` from IDENTIFY and the pulse batches.
    @discardableResult
    public func apply(to board: any Board, map: WeightMap, model: SSMModel) throws -> Int {
        // A pulse takes at most 16 bytes on the wire, after a header of well under 64.
        let cellsPerBatch = max(1, (Int(try board.identify().maxPayloadBytes) - 64) / (16 * pulsesPerCell))
        var count = 0
        for (tile, cells) in Self.cells(of: map, model: model).sorted(by: { $0.key < $1.key }) {
            var start = 0
            while start < cells.count {
                let part = cells[start..<min(start + cellsPerBatch, cells.count)]
                var pulses: [CellPulse] = []
                for _ in 0..<pulsesPerCell {
                    pulses += part.map { CellPulse(cell: $0, amplitudeVolts: Float(resetVolts), widthSeconds: Float(widthSeconds)) }
                }
                _ = try board.pulseBatch(PulseBatch(tile: tile, scheme: .grounded, verify: nil, pulses: pulses))
                start += cellsPerBatch
            }
            count += cells.count
        }
        return count
    }
}
