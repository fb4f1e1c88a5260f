import XbarDevice

/// The simplest program-and-verify baseline: every pulse in a direction is the same, one
/// amplitude and one width, repeated until the verify read lands within tolerance (as in the
/// identical-pulse trains of early memristor tuning work). The amplitude sits a little above
/// three device-to-device spreads over the population's mean threshold, so that nearly every
/// cell switches at all; it learns nothing, so a cell whose step at that amplitude exceeds the
/// tolerance band oscillates around its target until its pulses run out.
public final class FixedAmplitudePulse: ProgrammingAlgorithm {
    public let name = "fixed"
    /// SET and RESET amplitudes, volts (magnitudes).
    public let setVolts: Double
    public let resetVolts: Double
    let envelope: PulseEnvelope
    public let widthSeconds: Double

    /// - Parameters:
    ///   - device: population means of the thresholds are used.
    ///   - overdriveVolts: added to three threshold spreads above the mean (0.05 V by default).
    public init(device: NonVolatileCellParameters, envelope: PulseEnvelope, overdriveVolts: Double = 0.05) {
        self.envelope = envelope
        setVolts = min(device.setThresholdVolts.mean * (1 + 3 * device.setThresholdVolts.spread) + overdriveVolts, envelope.maxVolts(up: true))
        resetVolts = min(device.resetThresholdVolts.mean * (1 + 3 * device.resetThresholdVolts.spread) + overdriveVolts, envelope.maxVolts(up: false))
        widthSeconds = min(max(device.referenceWidthSeconds, envelope.minWidth),
                           envelope.maxWidth(atVolts: max(setVolts, resetVolts)))
    }

    public func nextPulse(cell: Int, measuredSiemens: Double, targetSiemens: Double) -> PulseChoice {
        let up = targetSiemens > measuredSiemens
        // A SET stays within what the compliance allows for a cell reaching its target.
        let volts = min(up ? setVolts : resetVolts, envelope.maxVolts(up: up, targetSiemens: targetSiemens))
        // The one pulse this scheme has is also its strongest: a cell it cannot move is stuck to it.
        return PulseChoice(amplitudeVolts: up ? volts : -volts, widthSeconds: widthSeconds, isMaximal: true)
    }

    public func observe(cell: Int, pulse: PulseChoice, beforeSiemens: Double, afterSiemens: Double, readNoiseSiemens: Double) {}
}
