import XbarBoard
import XbarInstrument
import XbarWire

/// How `xbar form` ramps pristine cells: a board-timed staircase from 0 V to `maxVolts` under
/// `complianceAmperes`, each cell stopping at the first step whose read reaches
/// `formedSiemens`; then one strong RESET pulse tells formed cells (they reset below
/// `formedSiemens`) from over-formed ones (stuck high, they do not).
public struct FormingSettings: Hashable, Sendable {
    /// Highest ramp step, volts; at most the instrument's `limits.max_forming_volts`.
    public var maxVolts: Double
    /// Ramp increment, volts.
    public var stepVolts: Double
    /// How long each step holds, seconds.
    public var stepWidthSeconds: Double
    /// Current compliance of the ramp, amperes; it sets the formed filament (`I / V`).
    public var complianceAmperes: Double
    /// Read voltage after each step, volts.
    public var readVolts: Double
    /// A cell counts as formed once its read conductance reaches this, siemens.
    public var formedSiemens: Double

    public init(maxVolts: Double, stepVolts: Double, stepWidthSeconds: Double, complianceAmperes: Double,
                readVolts: Double, formedSiemens: Double) {
        self.maxVolts = maxVolts
        self.stepVolts = stepVolts
        self.stepWidthSeconds = stepWidthSeconds
        self.complianceAmperes = complianceAmperes
        self.readVolts = readVolts
        self.formedSiemens = formedSiemens
    }

    /// The lab's defaults for an instrument: a ramp to its forming limit in 50 mV steps of 1 us
    /// under 100 uA (or its compliance limit, if lower), formed at 10 uS (a decade above a
    /// typical Gmin, three above a pristine cell), read at its read voltage.
    public static func defaults(for instrument: Instrument) -> FormingSettings {
        FormingSettings(maxVolts: Double(instrument.limits.maxFormingVolts ?? instrument.limits.maxSetVolts),
                        stepVolts: 0.05, stepWidthSeconds: 1e-6,
                        complianceAmperes: min(100e-6, Double(instrument.limits.complianceAmperes)),
                        readVolts: instrument.defaultReadVolts, formedSiemens: 10e-6)
    }
}

/// What forming did to one cell.
public enum FormingOutcome: String, Hashable, Sendable, CaseIterable, Codable {
    /// Reached the formed conductance and resets: ready to program.
    case formed
    /// Never reached it up to the ramp's highest step.
    case failed
    /// Reached it but does not reset: stuck high.
    case overFormed = "over-formed"
}

/// One cell's forming.
public struct FormingResult: Hashable, Sendable {
    public var tile: UInt8
    public var cell: CellIndex
    public var outcome: FormingOutcome
    /// The step that formed it, volts; nil when it never formed.
    public var formingVolts: Double?
    /// Read conductance at the end of the ramp, siemens.
    public var formedSiemens: Double
    /// Read conductance after the RESET check, siemens (the ramp's for failed cells).
    public var afterResetSiemens: Double
    /// The ramp as the board measured it.
    public var curve: SweptCell
}
