import XbarDevice

/// The fixed-step baseline (incremental step-pulse programming, as NeuRRAM's and ArC's
/// converge-to-state routines): pulses of a fixed width whose amplitude starts just above the
/// switching threshold and grows by a fixed step with every pulse in the same direction; on
/// overshoot the direction flips and the ramp restarts from its first amplitude.
public final class IncrementalStepPulse: ProgrammingAlgorithm {
    public let name = "ispp"
    /// First amplitude above the mean threshold, volts.
    public let startOverdriveVolts: Double
    /// Amplitude increment per pulse, volts.
    public let stepVolts: Double
    public let widthSeconds: Double
    let setThreshold: Double
    let resetThreshold: Double
    let envelope: PulseEnvelope

    var ramp: PulseRamp

    /// - Parameters:
    ///   - device: population means of the thresholds are used (the baseline learns nothing per cell).
    ///   - startOverdriveVolts: 0.1 V: "just above threshold", as in NeuRRAM's routine.
    ///   - stepVolts: 0.05 V per pulse, the increment of NeuRRAM's and ArC's routines.
    public init(cellCount: Int, device: NonVolatileCellParameters, envelope: PulseEnvelope,
                startOverdriveVolts: Double = 0.1, stepVolts: Double = 0.05) {
        self.startOverdriveVolts = startOverdriveVolts
        self.stepVolts = stepVolts
        self.envelope = envelope
        widthSeconds = min(max(device.referenceWidthSeconds, envelope.minWidth), envelope.maxWidth(atVolts: max(envelope.maxSetVolts, envelope.maxResetVolts)))
        setThreshold = device.setThresholdVolts.mean
        resetThreshold = device.resetThresholdVolts.mean
        ramp = PulseRamp(cellCount: cellCount)
    }

    public func nextPulse(cell: Int, measuredSiemens: Double, targetSiemens: Double) -> PulseChoice {
        let up = targetSiemens > measuredSiemens
        let k = ramp.step(cell: cell, up: up)
        let maxVolts = envelope.maxVolts(up: up, targetSiemens: targetSiemens)
        let volts = min((up ? setThreshold : resetThreshold) + startOverdriveVolts + Double(k) * stepVolts, maxVolts)
        return PulseChoice(amplitudeVolts: up ? volts : -volts, widthSeconds: widthSeconds, isMaximal: volts >= maxVolts)
    }

    public func observe(cell: Int, pulse: PulseChoice, beforeSiemens: Double, afterSiemens: Double, readNoiseSiemens: Double) {
        ramp.record(cell: cell, pulse: pulse)
    }
}
