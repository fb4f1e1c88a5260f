import Testing
@testable import XbarDevice

/// Fits against data the project's own device models generate (no converter here: the
/// simulated board's quantisation is exercised by the calibration tests).
@Suite("Fitting device-model data")
struct DeviceModelFitTests {
    let stm = ShortTermMemoryCellParameters(
        baseSiemens: DistributedParameter(2e-6), ceilingSiemens: DistributedParameter(2e-5),
        tauSeconds: DistributedParameter(0.015), slowTauSeconds: DistributedParameter(0.5), slowFraction: 0,
        incrementFraction: DistributedParameter(0.05), thresholdVolts: DistributedParameter(0.8),
        // Cycle-to-cycle noise kept small here: the decay fit holds each condition's per-pulse
        // fraction fixed, so a short burst's luck would read as an amplitude error (the
        // calibration plan answers that with long bursts and repetitions).
        overdriveScaleVolts: 0.5, referenceWidthSeconds: 1e-6, widthExponent: 0.5, cycleToCycleSpread: 0.05,
        readNoiseSpread: 0.015, readDisturbFraction: 0.01)

    @Test("a node's decay time constant comes back from bursts and read trains within 2 %, ceiling and base within 5 %")
    func decayHistory() throws {
        var cell = ShortTermMemoryCell(drawn: ShortTermMemoryCellDraw(
            baseSiemens: 2.1e-6, ceilingSiemens: 1.9e-5, tauSeconds: 0.0137, slowTauSeconds: 0.5,
            incrementFraction: 0.06, thresholdVolts: 0.78))
        var generator = Xoshiro256StarStar(seed: 3)
        let conditions = [PulseCondition(amplitudeVolts: 1.1, widthSeconds: 1e-6), PulseCondition(amplitudeVolts: 1.5, widthSeconds: 1e-6)]
        var events: [DecayHistory.Event] = []
        var t = 0.0
        // Reads at rest first, as the calibration plan takes them: they pin the base apart
        // from the slow rise that disturbing reads cause.
        for _ in 0..<30 {
            t += 0.001
            let amperes = cell.read(readVolts: 0.5, at: t, parameters: stm, generator: &generator)
            events.append(.read(timeSeconds: t, conductanceSiemens: amperes / 0.5, heldOut: false))
        }
        t += 0.2
        for (condition, pulses) in [(0, 10), (1, 5), (1, 30), (0, 10), (1, 5), (1, 30)] {
            for _ in 0..<pulses {
                t += 2e-6
                cell.pulse(amplitudeVolts: conditions[condition].amplitudeVolts, widthSeconds: 1e-6, at: t, parameters: stm, generator: &generator)
                events.append(.pulse(timeSeconds: t, condition: condition))
            }
            for _ in 0..<40 {
                t += 0.002
                let amperes = cell.read(readVolts: 0.5, at: t, parameters: stm, generator: &generator)
                events.append(.read(timeSeconds: t, conductanceSiemens: amperes / 0.5, heldOut: false))
            }
            t += 0.2
        }
        let guess = DecayLaw(baseSiemens: 2e-6, ceilingSiemens: 2e-5, tauSeconds: 0.02, slowTauSeconds: 0.5, slowFraction: 0,
                             pulseFractions: [], readFraction: 5e-4)
        let fit = try DecayFit.fit(DecayHistory(conditions: conditions, events: events), guess: guess)
        #expect(fit.converged)
        // 240 reads at 1.5 % noise over two decades of decay: the time constant is known to
        // well under 1 %; 2 % leaves room for cycle-to-cycle noise of the increments.
        #expect(abs(fit.law.tauSeconds / 0.0137 - 1) < 0.02)
        #expect(abs(fit.law.tauSeconds - 0.0137) < 4 * fit.tauUncertainty)
        #expect(abs(fit.law.ceilingSiemens / 1.9e-5 - 1) < 0.05)
        // The base trades off against the read disturbance (steady disturbing reads raise the
        // floor the decay settles to), hence 5 % rather than 2 %.
        #expect(abs(fit.law.baseSiemens / 2.1e-6 - 1) < 0.05)
    }

    @Test("per-pulse step fractions of a non-volatile cell come back within their stated uncertainty")
    func pulseResponse() throws {
        let nv = NonVolatileCellParameters(
            gMinSiemens: DistributedParameter(1e-6), gMaxSiemens: DistributedParameter(1e-4),
            setThresholdVolts: DistributedParameter(1.0), resetThresholdVolts: DistributedParameter(1.2),
            setStepFraction: DistributedParameter(0.04), resetStepFraction: DistributedParameter(0.05),
            overdriveScaleVolts: 0.5, referenceWidthSeconds: 1e-6, widthExponent: 0.5, cycleToCycleSpread: 0.3,
            readNoiseSpread: 0.01, stuckAtMinRate: 0, stuckAtMaxRate: 0, relaxationSpreadPerDecade: 0)
        let cell = NonVolatileCellDraw(gMinSiemens: 1.2e-6, gMaxSiemens: 9.5e-5, setThresholdVolts: 0.97, resetThresholdVolts: 1.15,
                                       setStepFraction: 0.045, resetStepFraction: 0.05, stuck: .none)
        var generator = Xoshiro256StarStar(seed: 8)
        var curves: [PulseResponseCurve] = []
        var truth: [Double] = []
        for volts in [1.2, 1.35, 1.5] {
            var g = 1.2e-6
            var measured = [g]
            for _ in 0..<60 {
                g = cell.conductanceAfterPulse(from: g, amplitudeVolts: volts, widthSeconds: 1e-6, parameters: nv, generator: &generator) ?? g
                measured.append(g)
            }
            curves.append(PulseResponseCurve(polarity: .set, amplitudeVolts: volts, widthSeconds: 1e-6, conductancesSiemens: measured))
            truth.append(0.045 * SwitchingStrength(thresholdVolts: 0.97, overdriveScaleVolts: 0.5, referenceWidthSeconds: 1e-6,
                                                   widthExponent: 0.5)(amplitudeVolts: volts, widthSeconds: 1e-6))
        }
        let fit = try PulseResponseFit.fit(curves)
        for k in truth.indices {
            // Four sigmas: one-step uncertainties run about 25 % small (read noise enters two
            // neighbouring steps with opposite signs), so three would fail one curve in a hundred.
            #expect(abs(fit.rates[k] - truth[k]) < 4 * fit.rateUncertainties[k], "curve \(k): \(fit.rates[k]) vs \(truth[k])")
        }
        #expect(abs(fit.boundSiemens / 9.5e-5 - 1) < 0.03)
    }
}
