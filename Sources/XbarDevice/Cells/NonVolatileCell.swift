/// Whether a non-volatile cell is stuck, and where.
public enum StuckState: UInt8, Hashable, Sendable, Codable {
    case none = 0
    /// Stuck at its `gMin`: pulses do nothing.
    case atMin = 1
    /// Stuck at its `gMax`: pulses do nothing.
    case atMax = 2
}

/// The parameters one non-volatile cell drew from its population (device-to-device spread):
/// fixed for the cell's life.
public struct NonVolatileCellDraw: Hashable, Sendable, Codable {
    public var gMinSiemens: Double
    public var gMaxSiemens: Double
    public var setThresholdVolts: Double
    public var resetThresholdVolts: Double
    public var setStepFraction: Double
    public var resetStepFraction: Double
    public var stuck: StuckState

    public init(gMinSiemens: Double, gMaxSiemens: Double, setThresholdVolts: Double, resetThresholdVolts: Double,
                setStepFraction: Double, resetStepFraction: Double, stuck: StuckState) {
        self.gMinSiemens = gMinSiemens
        self.gMaxSiemens = gMaxSiemens
        self.setThresholdVolts = setThresholdVolts
        self.resetThresholdVolts = resetThresholdVolts
        self.setStepFraction = setStepFraction
        self.resetStepFraction = resetStepFraction
        self.stuck = stuck
    }

    /// Draws a cell from the population with the cell's own stream (see ``CellStreams``).
    ///
    /// Every positive quantity is lognormal (``DistributedParameter/drawPositive(using:)``);
    /// step fractions are capped at 1 so a step never passes its bound, and `gMax` is kept
    /// above `gMin` (a draw the other way round would only happen for unphysical spreads).
    public init(drawingFrom parameters: NonVolatileCellParameters, key: UInt64) {
        var generator = CellStreams.drawGenerator(key: key)
        gMinSiemens = parameters.gMinSiemens.drawPositive(using: &generator)
        gMaxSiemens = max(parameters.gMaxSiemens.drawPositive(using: &generator), gMinSiemens * 1.001)
        setThresholdVolts = parameters.setThresholdVolts.drawPositive(using: &generator)
        resetThresholdVolts = parameters.resetThresholdVolts.drawPositive(using: &generator)
        setStepFraction = min(parameters.setStepFraction.drawPositive(using: &generator), 1)
        resetStepFraction = min(parameters.resetStepFraction.drawPositive(using: &generator), 1)
        let u = generator.nextOpenUnit()
        if u < parameters.stuckAtMinRate {
            stuck = .atMin
        } else if u < parameters.stuckAtMinRate + parameters.stuckAtMaxRate {
            stuck = .atMax
        } else {
            stuck = .none
        }
    }

    /// The conductance a stuck cell has, or nil when it is not stuck. Siemens.
    public var stuckConductance: Double? {
        switch stuck {
        case .none: return nil
        case .atMin: return gMinSiemens
        case .atMax: return gMaxSiemens
        }
    }

    /// The conductance after one pulse of `amplitudeVolts` (positive SETs, negative RESETs) and
    /// `widthSeconds`, starting from `g` (siemens), by the law in ``NonVolatileCellParameters``.
    ///
    /// Returns nil, drawing nothing, when the pulse is at or below the threshold of its polarity
    /// or the cell is stuck: such a pulse changes nothing at all. Compliance is not applied here.
    public func conductanceAfterPulse(from g: Double, amplitudeVolts v: Double, widthSeconds w: Double,
                                      parameters p: NonVolatileCellParameters,
                                      generator: inout Xoshiro256StarStar) -> Double? {
        guard stuck == .none else { return nil }
        if v > 0 {
            let s = strength(thresholdVolts: setThresholdVolts, p)(amplitudeVolts: v, widthSeconds: w)
            guard s > 0 else { return nil }
            let noise = max(0, 1 + p.cycleToCycleSpread * generator.nextNormal())
            let step = setStepFraction * s * (gMaxSiemens - g) * noise
            return min(max(g + step, gMinSiemens), gMaxSiemens)
        } else {
            let s = strength(thresholdVolts: resetThresholdVolts, p)(amplitudeVolts: v, widthSeconds: w)
            guard s > 0 else { return nil }
            let noise = max(0, 1 + p.cycleToCycleSpread * generator.nextNormal())
            let step = resetStepFraction * s * (g - gMinSiemens) * noise
            return min(max(g - step, gMinSiemens), gMaxSiemens)
        }
    }

    private func strength(thresholdVolts: Double, _ p: NonVolatileCellParameters) -> SwitchingStrength {
        SwitchingStrength(thresholdVolts: thresholdVolts, overdriveScaleVolts: p.overdriveScaleVolts,
                          referenceWidthSeconds: p.referenceWidthSeconds, widthExponent: p.widthExponent)
    }
}
