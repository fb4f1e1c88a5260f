/// What a SWEEP may do, which sets the limit its positive steps are held to.
public enum SweepMode: UInt8, Hashable, Sendable, CaseIterable {
    /// I–V sweeps of formed cells: positive steps up to `maxSetVolts`, negative steps down to
    /// `-maxResetVolts`.
    case switching = 0
    /// Forming of pristine cells: positive steps only, up to `maxFormingVolts`.
    case forming = 1
}

/// A board-timed staircase of voltage steps on each selected cell in turn, with a current
/// measurement at every step and an optional read after it: one request gives whole I–V
/// curves, or forms cells by a ramp that stops each cell once its read reaches `stopAmperes`.
///
/// The staircase starts at 0 V and walks to each vertex in turn in steps of `stepVolts` (the
/// last step of a leg lands on the vertex), `cycles` times; see ``staircaseVolts``. Each step
/// holds its voltage for `stepWidthSeconds` with the current limited to `complianceAmperes`.
public struct VoltageSweep: Hashable, Sendable {
    public var mode: SweepMode
    /// How long each step holds its voltage, seconds.
    public var stepWidthSeconds: Float
    /// Staircase increment, volts, > 0.
    public var stepVolts: Float
    /// Current compliance of every step, amperes: above 0, at most the board's compliance limit.
    public var complianceAmperes: Float
    /// Read voltage after each step, volts (the read ADC's range does not apply: see the spec).
    public var readVolts: Float
    /// Reads averaged per step, at least 1.
    public var readAverages: UInt16
    /// A cell's sweep ends after the first step whose read reaches this current, amperes; 0
    /// sweeps every step.
    public var stopAmperes: Float
    /// How many times the vertex path is walked, at least 1.
    public var cycles: UInt16
    /// The voltages the staircase turns at, volts, in order (1 to ``maxVertices``).
    public var verticesVolts: [Float]
    public var cells: CellSet

    /// Most vertices one sweep carries.
    public static let maxVertices = 16
    /// Most steps one cell's sweep may take (cycles included).
    public static let maxStepsPerCell = 4096
    /// Bytes of one point in SWEEP_DATA: board time u64, step volts, step amperes, read amperes.
    public static let pointBytes = 20

    public init(mode: SweepMode, stepWidthSeconds: Float, stepVolts: Float, complianceAmperes: Float,
                readVolts: Float, readAverages: UInt16 = 1, stopAmperes: Float = 0, cycles: UInt16 = 1,
                verticesVolts: [Float], cells: CellSet) {
        self.mode = mode
        self.stepWidthSeconds = stepWidthSeconds
        self.stepVolts = stepVolts
        self.complianceAmperes = complianceAmperes
        self.readVolts = readVolts
        self.readAverages = readAverages
        self.stopAmperes = stopAmperes
        self.cycles = cycles
        self.verticesVolts = verticesVolts
        self.cells = cells
    }

    /// Step voltages of one cell's full sweep, volts, in order (all cycles).
    ///
    /// Each leg from the previous turning point (0 V first) to the next vertex takes
    /// `ceil(|distance| / stepVolts)` steps of `stepVolts`, its last step on the vertex; a
    /// vertex equal to the previous point adds no step. Empty for a non-positive or non-finite
    /// step, or when the count would pass ``maxStepsPerCell`` (the checks refuse both first).
    public var staircaseVolts: [Float] {
        guard stepVolts.isFinite, stepVolts > 0, let count = stepCount, count <= Self.maxStepsPerCell else { return [] }
        var volts: [Float] = []
        volts.reserveCapacity(count)
        let step = Double(stepVolts)
        for _ in 0..<Int(cycles) {
            var from = 0.0
            for vertex in verticesVolts.map(Double.init) {
                let distance = vertex - from
                let n = Int((abs(distance) / step - 1e-9).rounded(.up))
                if n > 0 {
                    let signed = distance < 0 ? -step : step
                    for k in 1...n { volts.append(Float(k == n ? vertex : from + signed * Double(k))) }
                }
                from = vertex
            }
        }
        return volts
    }

    /// Steps of one cell's full sweep; nil when the vertices or step are not finite numbers.
    public var stepCount: Int? {
        guard stepVolts.isFinite, stepVolts > 0, verticesVolts.allSatisfy(\.isFinite) else { return nil }
        var from = 0.0, n = 0.0
        for vertex in verticesVolts.map(Double.init) {
            n += (abs(vertex - from) / Double(stepVolts) - 1e-9).rounded(.up)
            from = vertex
        }
        let total = n * Double(cycles)
        return total > Double(Int32.max) ? Int(Int32.max) : Int(total)
    }
}

/// One point of a sweep: the step's voltage and current, and the read after it.
public struct SweepPoint: Hashable, Sendable {
    /// Board time at the end of the step, nanoseconds since the board's last reset.
    public var boardTimeNanoseconds: UInt64
    /// Step voltage, volts.
    public var volts: Float
    /// Current through the cell at the end of the step, amperes (signed like the voltage; at
    /// most the sweep's compliance in magnitude).
    public var amperes: Float
    /// Current of the read after the step, amperes.
    public var readAmperes: Float

    public init(boardTimeNanoseconds: UInt64, volts: Float, amperes: Float, readAmperes: Float) {
        self.boardTimeNanoseconds = boardTimeNanoseconds
        self.volts = volts
        self.amperes = amperes
        self.readAmperes = readAmperes
    }
}

/// One cell's part of a SWEEP_DATA reply.
public struct SweptCell: Hashable, Sendable {
    /// Whether the sweep ended early because a read reached `stopAmperes`.
    public var stopped: Bool
    public var points: [SweepPoint]

    public init(stopped: Bool, points: [SweepPoint]) {
        self.stopped = stopped
        self.points = points
    }
}

/// The SWEEP_DATA reply: each selected cell's curve, in CellSet order.
public struct SweepData: Hashable, Sendable {
    public var cells: [SweptCell]

    public init(cells: [SweptCell]) {
        self.cells = cells
    }
}
