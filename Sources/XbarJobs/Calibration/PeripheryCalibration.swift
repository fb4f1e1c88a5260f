import XbarDevice

/// The calibration file's periphery section: the fitted array periphery of one board, in the
/// form a simulated board takes (``XbarDevice/ArrayPeripheryParameters``, with the measured
/// tile's column gains and offsets), and what a user needs to judge it.
public struct PeripheryCalibration: Hashable, Sendable, Codable {
    /// The tile the pattern was programmed on and the probes ran on.
    public var tile: UInt8
    /// Fitted: line resistances, column gains and offsets (and their spreads), the converters'
    /// bow (from reads at several voltages), each converter's deviation per code (the mean
    /// residual of the codes read 30 times or more; 0 for the others), the half-select
    /// fraction of passive tiles.
    public var parameters: ArrayPeripheryParameters
    /// One-sigma uncertainties by parameter path, e.g. `periphery.lineOhms`;
    /// `periphery.columnGain` and `periphery.columnOffsetAmperes` are a typical column's.
    public var uncertainties: [String: Double]
    /// Parameter paths left at the instrument's value.
    public var notMeasured: [String]
    /// Probe vectors held out of the fit.
    public var heldOutProbes: Int
    /// RMS error of the held-out probes' predicted column currents over their RMS current.
    public var heldOutRelativeRMS: Double
    /// The same for a prediction from the reads alone, as if the periphery were ideal.
    public var heldOutIdealRelativeRMS: Double
    /// RMS residual of the fitted probes over their RMS current.
    public var fitResidualRelativeRMS: Double
}
