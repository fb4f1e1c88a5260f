import Foundation

/// One stored read train of a state node: board-timed reads after a pulse (or a burst), or
/// without one. The store's form of a job's STM trace.
public struct TraceRecord: Sendable, Hashable {
    public var tile: Int
    public var row: Int
    public var column: Int
    /// Index of the sweep point in its sweep; negative for pulse-free trains (settle, rest).
    public var point: Int
    public var repetition: Int
    /// Pulse amplitude, volts; nil without a pulse.
    public var amplitudeVolts: Double?
    /// Pulse width, seconds; nil without a pulse.
    public var widthSeconds: Double?
    public var pulseCount: Int
    /// Board time at the end of the (last) pulse, nanoseconds.
    public var pulseEndNanoseconds: UInt64?
    /// Board time at the end of each pulse, nanoseconds.
    public var pulseTimesNanoseconds: [UInt64]
    /// Board time of each read, nanoseconds.
    public var timestampsNanoseconds: [UInt64]
    /// Conductance of each read, siemens.
    public var conductancesSiemens: [Double]

    public init(tile: Int, row: Int, column: Int, point: Int, repetition: Int, amplitudeVolts: Double?, widthSeconds: Double?,
                pulseCount: Int, pulseEndNanoseconds: UInt64?, pulseTimesNanoseconds: [UInt64],
                timestampsNanoseconds: [UInt64], conductancesSiemens: [Double]) {
        self.tile = tile
        self.row = row
        self.column = column
        self.point = point
        self.repetition = repetition
        self.amplitudeVolts = amplitudeVolts
        self.widthSeconds = widthSeconds
        self.pulseCount = pulseCount
        self.pulseEndNanoseconds = pulseEndNanoseconds
        self.pulseTimesNanoseconds = pulseTimesNanoseconds
        self.timestampsNanoseconds = timestampsNanoseconds
        self.conductancesSiemens = conductancesSiemens
    }
}

/// One stored pulse-response curve: a cell's conductance before a train of identical pulses
/// and after each of them.
public struct PulseResponseRecord: Sendable, Hashable {
    public var tile: Int
    public var row: Int
    public var column: Int
    /// "set" or "reset".
    public var polarity: String
    /// Pulse amplitude magnitude, volts.
    public var amplitudeVolts: Double
    public var widthSeconds: Double
    /// `[0]` before the first pulse, `[n]` after pulse `n`, siemens.
    public var conductancesSiemens: [Double]

    public init(tile: Int, row: Int, column: Int, polarity: String, amplitudeVolts: Double, widthSeconds: Double,
                conductancesSiemens: [Double]) {
        self.tile = tile
        self.row = row
        self.column = column
        self.polarity = polarity
        self.amplitudeVolts = amplitudeVolts
        self.widthSeconds = widthSeconds
        self.conductancesSiemens = conductancesSiemens
    }
}

/// A calibration file known to the store.
public struct CalibrationRecord: Sendable, Hashable {
    public var id: Int64
    /// Where the file was when registered (absolute path).
    public var path: String?
    /// SHA-256 of the file's bytes, hex: two registrations of the same content are one calibration.
    public var contentDigest: String
    public var instrumentName: String
    /// SHA-256 of the instrument file the calibration was made for, hex.
    public var instrumentDigest: String?
    public var formatVersion: Int?
    /// When the calibration was made (the file's own time stamp).
    public var createdAt: Date
    /// The run that measured it, when this store recorded that run.
    public var runID: Int64?
}
