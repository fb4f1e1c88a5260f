import XbarDevice
import XbarWire

extension SimulatedBoard {
    /// Puts a chip's recorded state into a non-volatile tile: every cell at the conductance the
    /// records give (siemens, row-major) as if just programmed, and stuck exactly where the
    /// records found it stuck (`stuck`, row-major; `.none` elsewhere).
    ///
    /// A cell keeps the parameters it drew for what the records do not tell (thresholds, step
    /// fractions); its drawn bounds are widened to hold the recorded value, and a stuck cell's
    /// bound is the value it is stuck at.
    ///
    /// - Throws: `BoardError.fault` (`.badArgument`) for an unknown or STM tile, or counts that
    ///   are not the tile's cell count.
    /// - Parameter bounds: cells whose records show them at one of their own bounds (row-major;
    ///   empty: none): a cell that stopped responding short of its target while far from the
    ///   bound a stuck cell sits at has reached its own upper (or lower) bound, and stays within it.
    /// - Parameter responses: the switching law each cell showed (row-major; empty or nil: its
    ///   own draw), applied before the bounds are widened to the recorded value.
    public func adoptRecordedTile(_ index: UInt8, siemens: [Double], stuck: [StuckState],
                                  bounds: [RecordedBound] = [], responses: [RecordedResponse?] = []) throws(BoardError) {
        guard case .nonVolatile(let info, let array)? = tiles[Int(index)] else {
            throw badArgument("tile \(index) is not a non-volatile tile of this board; only those hold recorded conductances")
        }
        guard siemens.count == info.cellCount, stuck.count == info.cellCount else {
            throw badArgument("tile \(index) has \(info.cellCount) cells; the record gives \(siemens.count) conductances and \(stuck.count) stuck states")
        }
        for i in 0..<info.cellCount {
            let g = siemens[i]
            guard g.isFinite, g >= 0 else {
                throw badArgument("tile \(index) cell \(i / Int(info.columns)):\(i % Int(info.columns)): recorded conductance \(g) S is not a conductance")
            }
            var draw = array.draws[i]
            if stuck[i] == .none, i < responses.count, let response = responses[i] { draw = response.applied(to: draw) }
            draw.stuck = stuck[i]
            switch stuck[i] {
            case .atMin: draw.gMinSiemens = g; draw.gMaxSiemens = max(draw.gMaxSiemens, g * 1.001)
            case .atMax: draw.gMaxSiemens = g; draw.gMinSiemens = min(draw.gMinSiemens, g / 1.001)
            case .none: draw.gMinSiemens = min(draw.gMinSiemens, g); draw.gMaxSiemens = max(draw.gMaxSiemens, g)
            }
            if stuck[i] == .none, i < bounds.count {
                switch bounds[i] {
                case .upper: draw.gMaxSiemens = g; draw.gMinSiemens = min(draw.gMinSiemens, g / 1.001)
                case .lower: draw.gMinSiemens = g; draw.gMaxSiemens = max(draw.gMaxSiemens, g * 1.001)
                case .none: break
                }
            }
            array.adopt(i, draw: draw, siemens: g, at: clock.seconds)
        }
    }
}

/// Which of its own bounds a recorded cell sits at, as far as its records tell.
public enum RecordedBound: UInt8, Hashable, Sendable {
    case none, upper, lower
}
