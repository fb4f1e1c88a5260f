import XbarDevice

/// Pulse-width ramped program-and-verify: a fixed amplitude a little above three
/// device-to-device spreads over the population's mean threshold (so nearly every cell
/// switches), and a width that doubles with every pulse in the same direction, from the
/// board's shortest pulse up to the longest the energy limit allows at that amplitude; on
/// overshoot the direction flips and the ramp restarts from the shortest width. The ramp finds
/// each cell's needed strength without a model, as the amplitude ramp of ISPP does, but moves
/// in factors of two of the step (the switching law's width exponent) rather than in fixed
/// volts of overdrive.
public final class WidthRampPulse: ProgrammingAlgorithm {
    public let name = "width-ramp"
    public let setVolts: Double
    public let resetVolts: Double
    let envelope: PulseEnvelope
    let minWidth: Double
    let maxSetWidth: Double
    let maxResetWidth: Double

    var ramp: PulseRamp

    /// - Parameters:
    ///   - overdriveVolts: added to three threshold spreads above the mean (0.05 V by default);
    ///     the short end of the ramp then gives steps finer than a tolerance band.
    public init(cellCount: Int, device: NonVolatileCellParameters, envelope: PulseEnvelope, overdriveVolts: Double = 0.05) {
        self.envelope = envelope
        setVolts = min(device.setThresholdVolts.mean * (1 + 3 * device.setThresholdVolts.spread) + overdriveVolts, envelope.maxVolts(up: true))
        resetVolts = min(device.resetThresholdVolts.mean * (1 + 3 * device.resetThresholdVolts.spread) + overdriveVolts, envelope.maxVolts(up: false))
        minWidth = envelope.minWidth
        maxSetWidth = max(envelope.maxWidth(atVolts: setVolts), minWidth)
        maxResetWidth = max(envelope.maxWidth(atVolts: resetVolts), minWidth)
        ramp = PulseRamp(cellCount: cellCount)
    }

    public func nextPulse(cell: Int, measuredSiemens: Double, targetSiemens: Double) -> PulseChoice {
        let up = targetSiemens > measuredSiemens
        // A SET stays within what the compliance allows for a cell reaching its target.
        let volts = min(up ? setVolts : resetVolts, envelope.maxVolts(up: up, targetSiemens: targetSiemens))
        let k = ramp.step(cell: cell, up: up)
        let longest = up ? maxSetWidth : maxResetWidth
        // 2^k grows past any width limit long before k could overflow a double's exponent.
        let width = min(minWidth * Double(1 << min(k, 60)), longest)
        return PulseChoice(amplitudeVolts: up ? volts : -volts, widthSeconds: width, isMaximal: width >= longest)
    }

    public func observe(cell: Int, pulse: PulseChoice, beforeSiemens: Double, afterSiemens: Double, readNoiseSiemens: Double) {
        ramp.record(cell: cell, pulse: pulse)
    }
}
