/// Which way a pulse moves a non-volatile cell.
public enum SwitchingPolarity: String, Hashable, Sendable, Codable, CaseIterable {
    /// Positive pulses, conductance up towards `gMax`.
    case set
    /// Negative pulses, conductance down towards `gMin`.
    case reset
}

/// A measured pulse-response curve of one cell: the conductance before a train of identical
/// pulses and after each of them.
public struct PulseResponseCurve: Hashable, Sendable, Codable {
    public var polarity: SwitchingPolarity
    /// Pulse amplitude magnitude, volts.
    public var amplitudeVolts: Double
    public var widthSeconds: Double
    /// `conductancesSiemens[0]` before the first pulse, `[n]` after pulse `n`.
    public var conductancesSiemens: [Double]

    public init(polarity: SwitchingPolarity, amplitudeVolts: Double, widthSeconds: Double, conductancesSiemens: [Double]) {
        self.polarity = polarity
        self.amplitudeVolts = amplitudeVolts
        self.widthSeconds = widthSeconds
        self.conductancesSiemens = conductancesSiemens
    }

    public var pulseCount: Int { max(0, conductancesSiemens.count - 1) }
}
