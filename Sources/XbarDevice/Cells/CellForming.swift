import Foundation

/// Where a non-volatile cell stands with forming.
public enum FormingState: UInt8, Hashable, Sendable, Codable {
    /// Formed (or made formed): switches as usual.
    case formed = 0
    /// Pristine: no filament yet; conducts its pristine conductance and ignores pulses below
    /// its forming voltage.
    case pristine = 1
}

/// What forming does to one cell, drawn once from ``FormingParameters`` (device-to-device).
public struct FormingDraw: Hashable, Sendable, Codable {
    /// How a cell responds to a pulse at or above its forming voltage.
    public enum Outcome: UInt8, Hashable, Sendable, Codable {
        /// Forms under compliance and switches afterwards.
        case forms = 0
        /// Never forms.
        case neverForms = 1
        /// Forms past compliance control: stuck at its `gMax`.
        case overForms = 2
    }

    /// Volts; a positive pulse at least this large forms the cell.
    public var formingVolts: Double
    /// Siemens, while pristine.
    public var pristineSiemens: Double
    public var outcome: Outcome

    /// Draws from the cell's own stream, kept apart from its switching draws so that adding
    /// forming to a model changes no other parameter of any cell.
    public init(drawingFrom p: FormingParameters, key: UInt64) {
        var generator = CellStreams.drawGenerator(key: key ^ 0xF0F0_F0F0_0000_0003)
        formingVolts = p.formingVolts.drawPositive(using: &generator)
        pristineSiemens = p.pristineSiemens.drawPositive(using: &generator)
        let u = generator.nextOpenUnit()
        outcome = u < p.neverFormRate ? .neverForms : u < p.neverFormRate + p.overFormRate ? .overForms : .forms
    }

    /// The conductance right after a positive pulse of `volts` under `complianceAmperes` forms
    /// the cell whose switching draw is `cell`, siemens; nil when the pulse does not form it.
    public func formedConductance(volts: Double, complianceAmperes: Double, cell: NonVolatileCellDraw) -> Double? {
        guard volts >= formingVolts, outcome != .neverForms else { return nil }
        if outcome == .overForms { return cell.gMaxSiemens }
        if let stuck = cell.stuckConductance { return stuck }
        return min(max(complianceAmperes / volts, cell.gMinSiemens), cell.gMaxSiemens)
    }
}

/// The current through a cell at a voltage: `I = G * V0 * sinh(V / V0)`, where `G` is the
/// cell's small-signal conductance and `V0` the population's conduction scale
/// (``NonVolatileCellParameters/conductionScaleVolts``); ohmic (`G * V`) without one. At a read
/// voltage well below `V0` the two agree (0.2 V at 0.5 V: 2.7 %); at switching voltages the
/// sinh law carries several times the ohmic current, as filamentary RRAM does.
public enum ConductionLaw {
    /// Amperes, signed like `volts`.
    @inlinable
    public static func amperes(siemens g: Double, volts v: Double, scaleVolts v0: Double?) -> Double {
        guard let v0, v0 > 0 else { return g * v }
        return g * v0 * sinh(v / v0)
    }
}
