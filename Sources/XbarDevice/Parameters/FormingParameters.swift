/// Parameters of forming: how a pristine non-volatile cell (as it leaves the fab, before its
/// filament exists) becomes a switching cell.
///
/// Forming law: a pristine cell conducts `pristineSiemens` (drawn per cell) and ignores SET and
/// RESET pulses. A positive pulse (or sweep step) of at least the cell's forming voltage
/// (`formingVolts`, drawn lognormal per cell) forms it: its conductance becomes what the
/// compliance current lets the new filament carry, `complianceAmperes / V`, kept within the
/// cell's `[gMin, gMax]`, and from then on it switches by ``NonVolatileCellParameters``'s law.
/// A fraction `neverFormRate` of cells never forms at any voltage (they stay pristine); a
/// fraction `overFormRate` over-forms: its filament grows past what compliance controls and the
/// cell ends stuck at its `gMax`, ignoring every later pulse.
public struct FormingParameters: Hashable, Sendable, Codable {
    /// Forming voltage at the reference width, volts (positive).
    public var formingVolts: DistributedParameter
    /// Conductance of a pristine cell, siemens.
    public var pristineSiemens: DistributedParameter
    /// Fraction of cells that never form.
    public var neverFormRate: Double
    /// Fraction of cells that over-form, stuck at `gMax`.
    public var overFormRate: Double

    public init(formingVolts: DistributedParameter, pristineSiemens: DistributedParameter,
                neverFormRate: Double, overFormRate: Double) {
        self.formingVolts = formingVolts
        self.pristineSiemens = pristineSiemens
        self.neverFormRate = neverFormRate
        self.overFormRate = overFormRate
    }

    /// The fraction of cells a forming ramp up to any voltage above every forming voltage
    /// leaves formed and switching: neither never-forming, nor over-formed, nor stuck by the
    /// population's `stuckAtMinRate` and `stuckAtMaxRate` (which apply to formed cells).
    public func expectedYield(of cells: NonVolatileCellParameters) -> Double {
        (1 - neverFormRate - overFormRate) * (1 - cells.stuckAtMinRate - cells.stuckAtMaxRate)
    }
}
