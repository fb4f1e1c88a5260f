/// One pulse an algorithm chose for a cell.
public struct PulseChoice: Hashable, Sendable {
    /// Volts: positive SETs (raises conductance), negative RESETs.
    public var amplitudeVolts: Double
    /// Seconds.
    public var widthSeconds: Double
    /// True when no stronger pulse in this direction is allowed (amplitude, and for algorithms
    /// that vary it width, at their limits): a cell that does not respond to such pulses is stuck.
    public var isMaximal: Bool

    public init(amplitudeVolts: Double, widthSeconds: Double, isMaximal: Bool) {
        self.amplitudeVolts = amplitudeVolts
        self.widthSeconds = widthSeconds
        self.isMaximal = isMaximal
    }
}

/// A write-verify pulse policy: which pulse to give a cell next, and what to learn from how
/// it responded. ``WriteVerifyProgrammer`` runs the loop (batching, verify, convergence, stuck
/// detection, disturb re-verify); an algorithm only chooses pulses.
///
/// Cells are numbered row-major within one tile. `nextPulse` must not change any state: all
/// learning happens in `observe`, so that replaying a run's ledger into `observe` rebuilds
/// exactly the state the run had (this is how `--resume` continues a killed run).
public protocol ProgrammingAlgorithm: AnyObject {
    /// Short name used in run records: "ispp", "adaptive", "fixed", "width-ramp".
    var name: String { get }

    /// The next pulse for a cell whose last verified conductance `measuredSiemens` is out of
    /// tolerance of `targetSiemens`.
    func nextPulse(cell: Int, measuredSiemens: Double, targetSiemens: Double) -> PulseChoice

    /// Learns from one pulse: the verified conductance before and after it, and the standard
    /// deviation of a verify read at that conductance (siemens), so noise is not taken for response.
    func observe(cell: Int, pulse: PulseChoice, beforeSiemens: Double, afterSiemens: Double, readNoiseSiemens: Double)
}

/// Which algorithm to use, by its command-line name.
public enum ProgrammingAlgorithmKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// Incremental step-pulse programming: the fixed-step baseline.
    case ispp
    /// Per-cell adaptive amplitude and width from the device model and the cell's responses.
    case adaptive
    /// One fixed amplitude and width per direction: the identical-pulse baseline.
    case fixed
    /// A fixed amplitude and a width that doubles per pulse: the width-ramped baseline.
    case widthRamp = "width-ramp"
}
