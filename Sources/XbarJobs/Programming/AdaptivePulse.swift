import Foundation
import XbarDevice

/// Adaptive write-verify: each pulse's amplitude and width are chosen so the expected step is
/// the distance still to go, by inverting the soft-bounded step law of the device model
/// (``NonVolatileCellParameters``: `dG = a * s(V, w) * headroom`), and each cell's own
/// sensitivity (a gain on `a`, one per direction) is estimated online from its responses.
///
/// The model's population parameters come from a calibration when there is one, else from the
/// instrument's defaults; the per-cell gain absorbs the cell's own step fraction, threshold and
/// bounds. Without a visible response to a pulse that should have given one, the gain drops
/// threefold, so a stiff cell quickly gets strong pulses and a stuck one reaches maximal pulses.
public final class AdaptivePulse: ProgrammingAlgorithm {
    public let name = "adaptive"
    let device: NonVolatileCellParameters
    let envelope: PulseEnvelope
    /// Smallest overdrive preferred before shortening the pulse instead, volts: close to the
    /// threshold a cell's own threshold spread dominates its response.
    let preferredMinOverdriveVolts = 0.3
    let rangeSiemens: Double

    /// Natural-log gains, per cell, for SET and RESET.
    var logGainSet: [Double]
    var logGainReset: [Double]
    var observationsSet: [Int]
    var observationsReset: [Int]

    public init(cellCount: Int, device: NonVolatileCellParameters, envelope: PulseEnvelope) {
        self.device = device
        self.envelope = envelope
        rangeSiemens = device.gMaxSiemens.mean - device.gMinSiemens.mean
        logGainSet = Array(repeating: 0, count: cellCount)
        logGainReset = Array(repeating: 0, count: cellCount)
        observationsSet = Array(repeating: 0, count: cellCount)
        observationsReset = Array(repeating: 0, count: cellCount)
    }

    /// `s(V, w)` of the device model at the population threshold.
    func strength(volts: Double, width: Double, up: Bool) -> Double {
        let threshold = up ? device.setThresholdVolts.mean : device.resetThresholdVolts.mean
        let over = abs(volts) - threshold
        guard over > 0 else { return 0 }
        return (exp(over / device.overdriveScaleVolts) - 1) / (M_E - 1)
            * pow(width / device.referenceWidthSeconds, device.widthExponent)
    }

    /// Distance to the bound the step law scales with, floored at 2 % of the range so a cell
    /// reading beyond the nominal bound still gets a finite pulse.
    func headroom(_ g: Double, up: Bool) -> Double {
        let h = up ? device.gMaxSiemens.mean - g : g - device.gMinSiemens.mean
        return max(h, 0.02 * rangeSiemens)
    }

    public func nextPulse(cell: Int, measuredSiemens g: Double, targetSiemens t: Double) -> PulseChoice {
        let up = t > g
        let fraction = up ? device.setStepFraction.mean : device.resetStepFraction.mean
        let gain = exp(up ? logGainSet[cell] : logGainReset[cell])
        let needed = abs(t - g) / (gain * fraction * headroom(g, up: up))
        let (volts, width, maximal) = shape(strength: needed, up: up, maxVolts: envelope.maxVolts(up: up, targetSiemens: t))
        return PulseChoice(amplitudeVolts: up ? volts : -volts, widthSeconds: width, isMaximal: maximal)
    }

    /// Amplitude and width giving strength `s`: the reference width when the amplitude that
    /// needs is comfortably above threshold and within limits; shorter pulses for small steps;
    /// longer ones (up to the width and energy limits) at the largest amplitude for big steps.
    func shape(strength s: Double, up: Bool, maxVolts: Double) -> (volts: Double, width: Double, maximal: Bool) {
        let threshold = up ? device.setThresholdVolts.mean : device.resetThresholdVolts.mean
        let vo = device.overdriveScaleVolts, wref = device.referenceWidthSeconds, beta = device.widthExponent
        func volts(_ s: Double, _ w: Double) -> Double { threshold + vo * log(1 + s * (M_E - 1) / pow(w / wref, beta)) }
        func width(_ s: Double, _ v: Double) -> Double {
            wref * pow(s / ((exp((v - threshold) / vo) - 1) / (M_E - 1)), 1 / beta)
        }
        var w = min(max(wref, envelope.minWidth), envelope.maxWidth(atVolts: maxVolts))
        var v = volts(s, w)
        let floorVolts = min(threshold + preferredMinOverdriveVolts, maxVolts)
        if v < floorVolts {
            v = floorVolts
            w = width(s, v)
            if w < envelope.minWidth {
                w = envelope.minWidth
                v = min(max(volts(s, w), threshold + 0.02), maxVolts)
            }
        }
        if v >= maxVolts {
            v = maxVolts
            let wMax = envelope.maxWidth(atVolts: v)
            w = max(min(width(s, v), wMax), envelope.minWidth)
            return (v, w, w >= wMax)
        }
        return (v, min(w, envelope.maxWidth(atVolts: v)), false)
    }

    public func observe(cell: Int, pulse: PulseChoice, beforeSiemens: Double, afterSiemens: Double, readNoiseSiemens: Double) {
        let up = pulse.amplitudeVolts > 0
        let fraction = up ? device.setStepFraction.mean : device.resetStepFraction.mean
        let unitStep = fraction * strength(volts: pulse.amplitudeVolts, width: pulse.widthSeconds, up: up)
            * headroom(beforeSiemens, up: up)
        let observed = (afterSiemens - beforeSiemens) * (up ? 1 : -1)
        // The difference of two verify reads has sqrt(2) times one read's noise; three of those
        // is what counts as a response.
        let noiseFloor = 3 * 2.0.squareRoot() * readNoiseSiemens
        var logGain = up ? logGainSet[cell] : logGainReset[cell]
        var count = up ? observationsSet[cell] : observationsReset[cell]
        if observed > noiseFloor, unitStep > 0 {
            // A running mean in the log domain, fast at first and steadier later: one step's
            // cycle-to-cycle spread is 20-50 %, so single responses are noisy estimates.
            let rate = max(0.3, 1 / Double(count + 1))
            logGain += rate * (log(observed / unitStep) - logGain)
            count += 1
        } else if exp(logGain) * unitStep > 2 * noiseFloor {
            logGain = max(logGain - log(3), log(1e-4))
        }
        if up {
            logGainSet[cell] = logGain
            observationsSet[cell] = count
        } else {
            logGainReset[cell] = logGain
            observationsReset[cell] = count
        }
    }
}
