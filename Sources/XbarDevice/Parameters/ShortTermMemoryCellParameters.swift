/// Parameters of a short-term-memory (volatile, e.g. WOx) cell population.
///
/// Conductance `G = baseSiemens + g`, where the volatile part `g = g_fast + g_slow` decays as
/// `g_fast * exp(-t / tauSeconds) + g_slow * exp(-t / slowTauSeconds)`. A pulse of amplitude
/// `V > threshold` and width `w` raises `g` by
/// `incrementFraction * s * (ceilingSiemens - g) * (1 + cycleToCycleSpread * xi)`, with `s` as for
/// non-volatile cells; the fraction `slowFraction` of each increment goes to the slow component.
/// The noise factor is floored at 0, `g` never passes the ceiling, and negative or
/// sub-threshold pulses change nothing. A read at `V_read` returns
/// `I = G * V_read * (1 + readNoiseSpread * xi)` and then raises `g` by
/// `readDisturbFraction * incrementFraction * (ceilingSiemens - g)` (that fraction of a
/// reference pulse's increment). Every strictly positive parameter with a spread is drawn
/// lognormal per cell.
public struct ShortTermMemoryCellParameters: Hashable, Sendable, Codable {
    /// Stable base conductance, siemens.
    public var baseSiemens: DistributedParameter
    /// Ceiling of the volatile part, siemens.
    public var ceilingSiemens: DistributedParameter
    /// Decay time constant of the fast (main) volatile component, seconds.
    public var tauSeconds: DistributedParameter
    /// Time constant of the optional slow component, seconds.
    public var slowTauSeconds: DistributedParameter
    /// Fraction of each increment that goes to the slow component (0 disables it).
    public var slowFraction: Double
    /// Fraction of the distance to the ceiling added by a reference pulse.
    public var incrementFraction: DistributedParameter
    /// Potentiation threshold, volts.
    public var thresholdVolts: DistributedParameter
    /// Overdrive at which `s = 1`, volts.
    public var overdriveScaleVolts: Double
    /// Width at which `s = 1`, seconds.
    public var referenceWidthSeconds: Double
    /// Sub-linear width dependence.
    public var widthExponent: Double
    /// Cycle-to-cycle relative spread of one increment.
    public var cycleToCycleSpread: Double
    /// Relative read noise of one read.
    public var readNoiseSpread: Double
    /// Increment caused by one read, as a fraction of a reference pulse's.
    public var readDisturbFraction: Double

    public init(baseSiemens: DistributedParameter, ceilingSiemens: DistributedParameter,
                tauSeconds: DistributedParameter, slowTauSeconds: DistributedParameter, slowFraction: Double,
                incrementFraction: DistributedParameter, thresholdVolts: DistributedParameter,
                overdriveScaleVolts: Double, referenceWidthSeconds: Double, widthExponent: Double,
                cycleToCycleSpread: Double, readNoiseSpread: Double, readDisturbFraction: Double) {
        self.baseSiemens = baseSiemens
        self.ceilingSiemens = ceilingSiemens
        self.tauSeconds = tauSeconds
        self.slowTauSeconds = slowTauSeconds
        self.slowFraction = slowFraction
        self.incrementFraction = incrementFraction
        self.thresholdVolts = thresholdVolts
        self.overdriveScaleVolts = overdriveScaleVolts
        self.referenceWidthSeconds = referenceWidthSeconds
        self.widthExponent = widthExponent
        self.cycleToCycleSpread = cycleToCycleSpread
        self.readNoiseSpread = readNoiseSpread
        self.readDisturbFraction = readDisturbFraction
    }
}
