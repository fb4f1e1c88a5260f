import Foundation

/// A tile of non-volatile cells: each cell's drawn parameters and programmed state, stored
/// row-major in contiguous arrays so that matrix-vector products run as plain vector loops.
///
/// Conductances include post-programming relaxation (see
/// ``NonVolatileCellParameters/relaxationSpreadPerDecade``), brought up to date with
/// ``refresh(to:)`` before the tile is used at a new time.
public final class NonVolatileTile {
    public let rows: Int
    public let columns: Int
    public let parameters: NonVolatileCellParameters
    /// Whether each cell has an access transistor (1T1R) that isolates it while unselected,
    /// so that no bias scheme disturbs it. Passive tiles are disturbed by the scheme.
    public let isolatesUnselectedCells: Bool
    /// Each cell's drawn parameters, row-major (replaced only by ``adopt(_:draw:siemens:at:)``).
    public internal(set) var draws: [NonVolatileCellDraw]
    /// Conductance of every cell as of the last refresh, siemens, row-major.
    // Exclusivity of the per-cell arrays is not checked at run time: a tile is used by one
    // thread and its methods never hold two accesses to one array, and the checks cost more
    // than the physics in the pulse loop.
    @exclusivity(unchecked) public internal(set) var conductances: [Double]
    /// Counts changes of ``conductances``: what depends on them (the effective conductances of
    /// resistive lines) is recomputed when it moves.
    public internal(set) var revision: UInt64 = 0
    /// Forming state of every cell (see NonVolatileTile+Forming.swift): empty while the whole
    /// tile is formed, which keeps the pulse loop's check to one integer compare.
    var formingStates: [FormingState] = []
    var formingDraws: [FormingDraw] = []
    var pristineCount = 0
    /// Cycles counted and failures drawn, when the cells wear (``NonVolatileCellParameters/wear``).
    public let wear: TileWear?

    private let keys: [UInt64]
    @exclusivity(unchecked) var squaredConductances: [Double]
    @exclusivity(unchecked) private var programmedSiemens: [Double]
    @exclusivity(unchecked) private var relaxationOffset: [Double]
    @exclusivity(unchecked) private var programmedAt: [Double]
    @exclusivity(unchecked) private var relaxationStep: [Int32]
    @exclusivity(unchecked) private var nextRelaxation: [Double]
    @exclusivity(unchecked) private var programCount: [UInt32]
    @exclusivity(unchecked) private var earliestRelaxation = Double.infinity
    private var minimumSetThreshold: Double
    private var minimumResetThreshold: Double
    /// How far below threshold a pulse still disturbs a cell, volts.
    private let disturbReach: Double

    /// Relaxation advances in steps of this many decades of time since programming.
    public static let relaxationDecadesPerStep = 0.1

    /// A fresh tile: every cell at its `gMin` (stuck cells at their stuck value), not relaxing.
    ///
    /// - Parameter cellKey: the key of the cell's own random stream, by (row, column).
    public init(rows: Int, columns: Int, parameters: NonVolatileCellParameters, isolatesUnselectedCells: Bool,
                cellKey: (Int, Int) -> UInt64) {
        self.rows = rows
        self.columns = columns
        self.parameters = parameters
        self.isolatesUnselectedCells = isolatesUnselectedCells
        let n = rows * columns
        var keys: [UInt64] = []
        keys.reserveCapacity(n)
        for r in 0..<rows { for c in 0..<columns { keys.append(cellKey(r, c)) } }
        self.keys = keys
        wear = parameters.wear.map { TileWear(parameters: $0, keys: keys) }
        disturbReach = parameters.wear?.disturbReachVolts ?? 0
        let draws = keys.map { NonVolatileCellDraw(drawingFrom: parameters, key: $0) }
        self.draws = draws
        let start = draws.map { $0.stuckConductance ?? $0.gMinSiemens }
        conductances = start
        squaredConductances = start.map { $0 * $0 }
        programmedSiemens = start
        relaxationOffset = [Double](repeating: 0, count: n)
        programmedAt = [Double](repeating: 0, count: n)
        relaxationStep = [Int32](repeating: 0, count: n)
        nextRelaxation = [Double](repeating: .infinity, count: n)
        programCount = [UInt32](repeating: 0, count: n)
        let active = draws.filter { $0.stuck == .none }
        minimumSetThreshold = active.map(\.setThresholdVolts).min() ?? .infinity
        minimumResetThreshold = active.map(\.resetThresholdVolts).min() ?? .infinity
    }

    /// Brings every cell's relaxation up to time `t` (seconds). Cheap when nothing is due.
    public func refresh(to t: Double) {
        guard t >= earliestRelaxation else { return }
        var earliest = Double.infinity
        for i in 0..<conductances.count {
            if nextRelaxation[i] <= t { refreshCell(i, to: t) }
            earliest = min(earliest, nextRelaxation[i])
        }
        earliestRelaxation = earliest
    }

    /// Conductance of cell `index` (row-major) at time `t`, siemens, without read noise.
    public func conductance(_ index: Int, at t: Double) -> Double {
        refreshCell(index, to: t)
        return conductances[index]
    }

    /// Sets a cell's conductance as if it had just been programmed there at time `t` (used to
    /// start a simulation from recorded conductances). Kept within the cell's own bounds;
    /// a stuck cell keeps its stuck value, a pristine one its pristine conductance.
    public func setConductance(_ index: Int, siemens: Double, at t: Double) {
        guard draws[index].stuck == .none, formingState(index) == .formed else { return }
        let d = draws[index]
        program(index, to: min(max(siemens, d.gMinSiemens), d.gMaxSiemens), at: t)
    }

    /// Replaces a cell's drawn parameters with what is known of the cell (a twin of a chip
    /// takes its bounds and stuck state from the chip's records) and sets its conductance at
    /// time `t`, within the new draw's bounds, where it stays until the cell is next pulsed:
    /// relaxation is a zero-mean walk, so a recorded value is the best prediction of a cell's
    /// later state; a cell pulsed again relaxes like any other.
    public func adopt(_ index: Int, draw: NonVolatileCellDraw, siemens: Double, at t: Double) {
        draws[index] = draw
        if draw.stuck == .none {
            minimumSetThreshold = min(minimumSetThreshold, draw.setThresholdVolts)
            minimumResetThreshold = min(minimumResetThreshold, draw.resetThresholdVolts)
        }
        program(index, to: draw.stuckConductance ?? min(max(siemens, draw.gMinSiemens), draw.gMaxSiemens), at: t)
        nextRelaxation[index] = .infinity
    }

    /// Applies one pulse to the cell at (`row`, `column`) at time `t`, and its disturb to the
    /// other cells of a passive tile: cells sharing its row or column see
    /// `halfSelectFraction * V`, all other cells `unselectedFraction * V` (V/3 scheme: -1/3),
    /// and each switches only if that exceeds its own threshold.
    ///
    /// Compliance: a SET cannot take a cell past `complianceAmperes / V`.
    /// - Returns: how many cell-pulses (selected or disturbed) compliance limited.
    public func pulse(row: Int, column: Int, amplitudeVolts v: Double, widthSeconds w: Double, at t: Double,
                      halfSelectFraction: Double, unselectedFraction: Double, complianceAmperes: Double,
                      generator: inout Xoshiro256StarStar) -> Int {
        var hits = step(row * columns + column, v, w, t, complianceAmperes, &generator) ? 1 : 0
        guard !isolatesUnselectedCells else { return hits }
        let half = v * halfSelectFraction
        if halfSelectFraction != 0 && canSwitchSomeCell(half) {
            for c in 0..<columns where c != column {
                if step(row * columns + c, half, w, t, complianceAmperes, &generator) { hits += 1 }
            }
            for r in 0..<rows where r != row {
                if step(r * columns + column, half, w, t, complianceAmperes, &generator) { hits += 1 }
            }
        }
        let unselected = v * unselectedFraction
        if unselectedFraction != 0 && canSwitchSomeCell(unselected) {
            for r in 0..<rows where r != row {
                for c in 0..<columns where c != column {
                    if step(r * columns + c, unselected, w, t, complianceAmperes, &generator) { hits += 1 }
                }
            }
        }
        return hits
    }

    /// Adds the tile's column currents for row voltages `voltages` (`rows` values, volts) into
    /// `currents` (`columns` values, amperes), and `sum_i (G_ij * V_i)^2` into `squares`
    /// (A^2): the variance of a column's read noise is `readNoiseSpread^2` times that.
    ///
    /// - Parameter effective: conductances that carry the current instead of the cells' own
    ///   (row-major, e.g. ``LineResistance/effectiveConductances(_:rows:columns:)``); the read
    ///   noise stays that of the cells.
    public func accumulateColumnCurrents(voltages: UnsafeBufferPointer<Double>,
                                         currents: UnsafeMutableBufferPointer<Double>,
                                         squares: UnsafeMutableBufferPointer<Double>,
                                         effective: [Double]? = nil) {
        precondition(voltages.count >= rows && currents.count >= columns && squares.count >= columns,
                     "column currents need \(rows) voltages and room for \(columns) columns")
        precondition(effective == nil || effective!.count == rows * columns, "effective conductances must be rows x columns")
        let rows = self.rows, columns = self.columns
        let stride = columns * MemoryLayout<Double>.stride
        (effective ?? conductances).withUnsafeBytes { g in
            squaredConductances.withUnsafeBytes { g2 in
                // Eight columns at a time held in registers over all rows: each conductance is
                // loaded once and the loop runs on SIMD lanes.
                var j = 0
                while j + 8 <= columns {
                    var current = SIMD8<Double>(repeating: 0), square = SIMD8<Double>(repeating: 0)
                    var offset = j * MemoryLayout<Double>.stride
                    for i in 0..<rows {
                        let v = voltages[i]
                        current += v * g.loadUnaligned(fromByteOffset: offset, as: SIMD8<Double>.self)
                        square += (v * v) * g2.loadUnaligned(fromByteOffset: offset, as: SIMD8<Double>.self)
                        offset += stride
                    }
                    for k in 0..<8 {
                        currents[j + k] += current[k]
                        squares[j + k] += square[k]
                    }
                    j += 8
                }
                let gd = g.bindMemory(to: Double.self), g2d = g2.bindMemory(to: Double.self)
                while j < columns {
                    var current = 0.0, square = 0.0
                    for i in 0..<rows {
                        let v = voltages[i]
                        current += v * gd[i * columns + j]
                        square += v * v * g2d[i * columns + j]
                    }
                    currents[j] += current
                    squares[j] += square
                    j += 1
                }
            }
        }
    }

    // MARK: - Cell state

    private func canSwitchSomeCell(_ volts: Double) -> Bool {
        volts > 0 ? volts > minimumSetThreshold - disturbReach : -volts > minimumResetThreshold - disturbReach
    }

    /// One pulse on one cell; returns whether compliance limited it.
    @inline(__always)
    func step(_ i: Int, _ v: Double, _ w: Double, _ t: Double, _ compliance: Double,
              _ generator: inout Xoshiro256StarStar) -> Bool {
        if pristineCount > 0 && formingStates[i] == .pristine { return formingStep(i, v, t, compliance) }
        refreshCell(i, to: t)
        let g = conductances[i]
        // A worn cell switches between bounds that have moved towards each other.
        let draw = wear?.worn(draws[i], i) ?? draws[i]
        guard var next = draw.conductanceAfterPulse(from: g, amplitudeVolts: v, widthSeconds: w,
                                                    parameters: parameters, generator: &generator)
        else {
            if let wear, draw.stuck == .none {
                let f = wear.disturbFraction(draw, volts: v, widthSeconds: w, referenceWidthSeconds: parameters.referenceWidthSeconds,
                                             widthExponent: parameters.widthExponent)
                if f > 0 { creep(i, by: f * ((v > 0 ? draw.gMaxSiemens : draw.gMinSiemens) - g)) }
            }
            return false
        }
        var limited = false
        if v > 0 {
            let ceiling = compliance / v
            if next > ceiling {
                limited = true
                next = max(ceiling, g)
            }
        }
        program(i, to: next, at: t)
        if let wear, wear.count(i, polarity: v > 0 ? 1 : -1) { fail(i, at: t) }
        return limited
    }

    /// A cell that reached its cycles to failure sticks where its wear left it.
    func fail(_ i: Int, at t: Double) {
        guard let wear, draws[i].stuck == .none else { return }
        draws[i] = wear.failed(draws[i], i)
        program(i, to: draws[i].stuckConductance ?? conductances[i], at: t)
    }

    /// Moves a cell by `delta` siemens without programming it: a sub-threshold disturb shifts
    /// the level the cell relaxes around but does not restart its relaxation.
    private func creep(_ i: Int, by delta: Double) {
        let d = draws[i]
        programmedSiemens[i] = min(max(programmedSiemens[i] + delta, d.gMinSiemens), d.gMaxSiemens)
        let g = min(max(programmedSiemens[i] + relaxationOffset[i], d.gMinSiemens), d.gMaxSiemens)
        conductances[i] = g
        squaredConductances[i] = g * g
        revision &+= 1
    }

    func program(_ i: Int, to g: Double, at t: Double) {
        programmedSiemens[i] = g
        relaxationOffset[i] = 0
        programmedAt[i] = t
        relaxationStep[i] = 0
        programCount[i] &+= 1
        if parameters.relaxationSpreadPerDecade > 0 {
            let next = t + pow(10, Self.relaxationDecadesPerStep)
            nextRelaxation[i] = next
            earliestRelaxation = min(earliestRelaxation, next)
        } else {
            nextRelaxation[i] = .infinity
        }
        conductances[i] = g
        squaredConductances[i] = g * g
        revision &+= 1
    }

    /// Relaxation is a random walk in log time: every tenth of a decade after the first second
    /// since programming, the offset takes a normal step of standard deviation
    /// `relaxationSpreadPerDecade * range * sqrt(0.1)`. Steps come from the cell's own stream
    /// keyed by (programming count, step), so the path does not depend on when it is looked at.
    private func refreshCell(_ i: Int, to t: Double) {
        guard t >= nextRelaxation[i] else { return }
        let d = draws[i]
        let stepSpread = parameters.relaxationSpreadPerDecade * (d.gMaxSiemens - d.gMinSiemens)
            * Self.relaxationDecadesPerStep.squareRoot()
        var k = relaxationStep[i]
        var offset = relaxationOffset[i]
        var next = nextRelaxation[i]
        while next <= t {
            k += 1
            offset += stepSpread * CellStreams.normal(key: keys[i], epoch: UInt64(programCount[i]), step: UInt64(k))
            next = programmedAt[i] + pow(10, Double(k + 1) * Self.relaxationDecadesPerStep)
        }
        relaxationStep[i] = k
        relaxationOffset[i] = offset
        nextRelaxation[i] = next
        let g = min(max(programmedSiemens[i] + offset, d.gMinSiemens), d.gMaxSiemens)
        conductances[i] = g
        squaredConductances[i] = g * g
        revision &+= 1
    }
}
