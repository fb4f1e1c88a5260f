/// Parameters of a non-volatile (RRAM) cell population.
///
/// Switching law: a pulse of amplitude `V` (volts) and width `w` (seconds) with
/// `|V| <= threshold` does nothing. Above threshold, SET (`V > 0`) moves `G` up by
/// `dG = setStepFraction * s * (gMax - G) * (1 + cycleToCycleSpread * xi)` and RESET (`V < 0`)
/// moves it down by `resetStepFraction * s * (G - gMin) * (1 + cycleToCycleSpread * xi)`, where
/// `s = (exp((|V| - threshold) / overdriveScaleVolts) - 1) / (e - 1) * (w / referenceWidthSeconds)^widthExponent`,
/// so `s = 1` at an overdrive of `overdriveScaleVolts` and the reference width, and the step
/// fractions are the fraction of the remaining distance to the bound moved by such a pulse.
/// The noise factor `1 + cycleToCycleSpread * xi` is floored at 0 (a SET never lowers `G`, a
/// RESET never raises it) and the result is kept within `[gMin, gMax]`. Stuck cells ignore pulses.
/// Every strictly positive parameter with a spread is drawn lognormal per cell.
public struct NonVolatileCellParameters: Hashable, Sendable, Codable {
    /// Lowest conductance, siemens.
    public var gMinSiemens: DistributedParameter
    /// Highest conductance, siemens.
    public var gMaxSiemens: DistributedParameter
    /// SET threshold, volts (positive).
    public var setThresholdVolts: DistributedParameter
    /// RESET threshold magnitude, volts (positive).
    public var resetThresholdVolts: DistributedParameter
    /// Fraction of the distance to `gMax` moved by a reference SET pulse.
    public var setStepFraction: DistributedParameter
    /// Fraction of the distance to `gMin` moved by a reference RESET pulse.
    public var resetStepFraction: DistributedParameter
    /// Overdrive (volts above threshold) at which `s = 1`.
    public var overdriveScaleVolts: Double
    /// Pulse width at which `s = 1`, seconds.
    public var referenceWidthSeconds: Double
    /// Sub-linear width dependence, `0 < widthExponent <= 1`.
    public var widthExponent: Double
    /// Cycle-to-cycle relative spread of one step.
    public var cycleToCycleSpread: Double
    /// Relative read noise of one read, `G_read = G * (1 + readNoiseSpread * xi)`.
    public var readNoiseSpread: Double
    /// Fraction of cells stuck at `gMin`.
    public var stuckAtMinRate: Double
    /// Fraction of cells stuck at `gMax`.
    public var stuckAtMaxRate: Double
    /// Relaxation after programming: the conductance drifts as a random walk in log time, from
    /// one second after the cell was last programmed (any above-threshold pulse), with variance
    /// `(relaxationSpreadPerDecade * (gMax - gMin))^2` per decade; after `d` decades its standard
    /// deviation is `relaxationSpreadPerDecade * sqrt(d)` of the range. The walk takes a step
    /// every tenth of a decade and the drifted conductance is kept within `[gMin, gMax]`.
    public var relaxationSpreadPerDecade: Double
    /// Forming of pristine cells; nil for a population that is formed when it ships (its cells
    /// can never be pristine).
    public var forming: FormingParameters?
    /// Conduction scale `V0` of the sinh I–V law (``ConductionLaw``), volts; nil for ohmic
    /// cells. SWEEP steps carry the law's current; READ and MVM, at read voltages, the
    /// small-signal `G * V`.
    public var conductionScaleVolts: Double?
    /// Endurance wear and sub-threshold disturb; nil for cells that never wear.
    public var wear: NonVolatileWearParameters? = nil

    public init(gMinSiemens: DistributedParameter, gMaxSiemens: DistributedParameter,
                setThresholdVolts: DistributedParameter, resetThresholdVolts: DistributedParameter,
                setStepFraction: DistributedParameter, resetStepFraction: DistributedParameter,
                overdriveScaleVolts: Double, referenceWidthSeconds: Double, widthExponent: Double,
                cycleToCycleSpread: Double, readNoiseSpread: Double, stuckAtMinRate: Double,
                stuckAtMaxRate: Double, relaxationSpreadPerDecade: Double,
                forming: FormingParameters? = nil, conductionScaleVolts: Double? = nil) {
        self.gMinSiemens = gMinSiemens
        self.gMaxSiemens = gMaxSiemens
        self.setThresholdVolts = setThresholdVolts
        self.resetThresholdVolts = resetThresholdVolts
        self.setStepFraction = setStepFraction
        self.resetStepFraction = resetStepFraction
        self.overdriveScaleVolts = overdriveScaleVolts
        self.referenceWidthSeconds = referenceWidthSeconds
        self.widthExponent = widthExponent
        self.cycleToCycleSpread = cycleToCycleSpread
        self.readNoiseSpread = readNoiseSpread
        self.stuckAtMinRate = stuckAtMinRate
        self.stuckAtMaxRate = stuckAtMaxRate
        self.relaxationSpreadPerDecade = relaxationSpreadPerDecade
        self.forming = forming
        self.conductionScaleVolts = conductionScaleVolts
    }
}
