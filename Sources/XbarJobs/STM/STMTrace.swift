import XbarWire

/// One board-timed read train of state nodes, after a pulse (or a burst of pulses), or
/// without one.
public struct STMTrace: Hashable, Sendable, Codable {
    public var tile: UInt8
    public var node: CellIndex
    /// Index of the sweep point (pulse condition and count) in the sweep, or
    /// ``settlePoint`` / ``restPoint`` for pulse-free trains.
    public var point: Int

    /// The `point` of a board-timed wait before a sweep point (reads of one reference node).
    public static let settlePoint = -1
    /// The `point` of the pulse-free reads at rest taken before the sweep (read noise).
    public static let restPoint = -2
    /// Repetition of the sweep point, from 0.
    public var repetition: Int
    /// Pulse amplitude, volts; nil for a train without a pulse.
    public var amplitudeVolts: Double?
    /// Pulse width, seconds; nil for a train without a pulse.
    public var widthSeconds: Double?
    /// Pulses applied just before the train (0 without a pulse).
    public var pulseCount: Int
    /// Board time at the end of the (last) pulse, nanoseconds; nil without a pulse.
    public var pulseEndNanoseconds: UInt64?
    /// Board time of the end of each pulse, nanoseconds (a burst spreads its pulses over the
    /// batch, interleaved with the other nodes'); empty without a pulse.
    public var pulseTimesNanoseconds: [UInt64] = []
    /// Board time of each read, nanoseconds.
    public var timestampsNanoseconds: [UInt64]
    /// Conductance of each read (current / read voltage), siemens.
    public var conductancesSiemens: [Double]

    public init(tile: UInt8, node: CellIndex, point: Int, repetition: Int, amplitudeVolts: Double?, widthSeconds: Double?,
                pulseCount: Int, pulseEndNanoseconds: UInt64?, timestampsNanoseconds: [UInt64], conductancesSiemens: [Double]) {
        self.tile = tile
        self.node = node
        self.point = point
        self.repetition = repetition
        self.amplitudeVolts = amplitudeVolts
        self.widthSeconds = widthSeconds
        self.pulseCount = pulseCount
        self.pulseEndNanoseconds = pulseEndNanoseconds
        self.timestampsNanoseconds = timestampsNanoseconds
        self.conductancesSiemens = conductancesSiemens
    }
}

extension Array where Element == STMTrace {
    /// The traces as CSV, one row per read: what a spreadsheet or NumPy user loads.
    public func csv() -> String {
        var out = "tile,row,column,point,repetition,amplitude_volts,width_seconds,pulse_count,read_index,board_time_ns,seconds_after_pulse,conductance_siemens\n"
        for t in self {
            for (i, time) in t.timestampsNanoseconds.enumerated() {
                let after = t.pulseEndNanoseconds.map { String(Double(Int64(time) - Int64($0)) * 1e-9) } ?? ""
                out += "\(t.tile),\(t.node.row),\(t.node.column),\(t.point),\(t.repetition),"
                out += "\(t.amplitudeVolts.map { String($0) } ?? ""),\(t.widthSeconds.map { String($0) } ?? ""),\(t.pulseCount),"
                out += "\(i),\(time),\(after),\(t.conductancesSiemens[i])\n"
            }
        }
        return out
    }
}
