import XbarBoard
import XbarInstrument
import XbarWire

/// The shapes of I–V sweep `xbar sweep` runs.
public enum IVSweepShape: String, Hashable, Sendable, CaseIterable {
    /// 0 V up to the SET vertex and back to 0 V.
    case single
    /// 0 V up to the SET vertex, down to the RESET vertex, back to 0 V.
    case bipolar

    /// The vertices of one cycle, volts.
    public func vertices(setVolts: Double, resetVolts: Double) -> [Float] {
        switch self {
        case .single: return [Float(setVolts), 0]
        case .bipolar: return [Float(setVolts), 0, Float(-abs(resetVolts)), 0]
        }
    }
}

/// One cell's I–V curve and what it tells.
public struct IVCurve: Hashable, Sendable {
    public var tile: UInt8
    public var cell: CellIndex
    public var curve: SweptCell
    public var analysis: IVAnalysis
}

/// SET and RESET voltages and the on/off ratio of one cell's curve, cycle by cycle.
///
/// Each step's read gives the cell's state `G = I_read / V_read`. On a leg rising from 0 V
/// the SET voltage is the first step whose `G` exceeds the leg's first `G` by `riseFraction`;
/// on a leg falling below 0 V the RESET voltage (a magnitude) is the first step whose `G` is
/// below the leg's first by `fallFraction`. The on/off ratio of a cycle is the highest `G`
/// over the lowest after its RESET leg (after its SET leg for a single sweep).
public struct IVAnalysis: Hashable, Sendable {
    /// Volts per cycle; nil where the cell did not switch.
    public var setVolts: [Double?]
    /// Volts (magnitude) per cycle; nil where the cell did not reset or the shape has no RESET leg.
    public var resetVolts: [Double?]
    /// Per cycle.
    public var onOffRatios: [Double]

    /// Relative rise that counts as SET: 10 %, several times a one-read noise of 1-3 %.
    public static let riseFraction = 0.1
    /// Relative fall that counts as RESET: 3 %, eight sigmas of a 16-read average (RESET starts from
    /// the high state, where a read is many converter steps).
    public static let fallFraction = 0.03

    public init(points: [SweepPoint], readVolts: Double, cycles: Int) {
        setVolts = []
        resetVolts = []
        onOffRatios = []
        let perCycle = cycles > 0 ? points.count / cycles : 0
        guard perCycle > 0 else { return }
        for c in 0..<cycles {
            let cycle = points[(c * perCycle)..<((c + 1) * perCycle)]
            var set: Double?, reset: Double?
            var legStart: Double?, legSign: Float = 0, previous: Float = 0
            var high = 0.0, lowAfter = Double.infinity
            for p in cycle {
                let g = Double(p.readAmperes) / readVolts
                let moving: Float = p.volts > previous ? 1 : -1
                // A leg moving away from 0 V starts where its direction first matches its sign.
                let sign: Float = p.volts > 0 ? 1 : p.volts < 0 ? -1 : 0
                if sign != 0 && moving == sign {
                    if legSign != sign || legStart == nil { legStart = g; legSign = sign }
                    if sign > 0, set == nil, let b = legStart, g > b * (1 + Self.riseFraction) { set = Double(p.volts) }
                    if sign < 0, reset == nil, let b = legStart, g < b * (1 - Self.fallFraction) { reset = Double(-p.volts) }
                } else {
                    legStart = nil
                }
                high = max(high, g)
                previous = p.volts
            }
            // The off state: the lowest read after the cycle's last RESET leg, else the
            // lowest of the cycle.
            for p in cycle.reversed() {
                lowAfter = min(lowAfter, Double(p.readAmperes) / readVolts)
                if p.volts < 0 { break }
            }
            setVolts.append(set)
            resetVolts.append(reset)
            onOffRatios.append(lowAfter > 0 ? high / lowAfter : .infinity)
        }
    }
}

/// Sweeps cells of one tile with board-timed SWEEPs, as many cells per request as a reply carries.
public struct IVSweepJob {
    public let board: any Board
    public let sweepTemplate: VoltageSweep

    /// - Parameter sweepTemplate: the sweep every batch runs (its `cells` are replaced).
    public init(board: any Board, sweepTemplate: VoltageSweep) {
        self.board = board
        self.sweepTemplate = sweepTemplate
    }

    public func cellsPerRequest(maxPayloadBytes: Int) -> Int {
        max(1, (maxPayloadBytes - 16) / (3 + VoltageSweep.pointBytes * (sweepTemplate.stepCount ?? 1)))
    }

    /// Sweeps `cells` of `tile`; `progress` hears each batch's curves.
    ///
    /// - Throws: ``BoardError`` from the board.
    public func run(tile: UInt8, cells: [CellIndex], maxPayloadBytes: Int, progress: ([IVCurve]) throws -> Void) throws {
        let perRequest = cellsPerRequest(maxPayloadBytes: maxPayloadBytes)
        var start = 0
        while start < cells.count {
            let batch = Array(cells[start..<min(start + perRequest, cells.count)])
            start += batch.count
            var s = sweepTemplate
            s.cells = .list(tile: tile, batch)
            let data = try board.sweep(s)
            guard data.cells.count == batch.count else {
                throw BoardError.unexpectedReply(operation: "SWEEP", reply: "SWEEP_DATA of \(data.cells.count) cells for \(batch.count)")
            }
            try progress(batch.enumerated().map { i, cell in
                IVCurve(tile: tile, cell: cell, curve: data.cells[i],
                        analysis: IVAnalysis(points: data.cells[i].points, readVolts: Double(s.readVolts), cycles: Int(s.cycles)))
            })
        }
    }
}
