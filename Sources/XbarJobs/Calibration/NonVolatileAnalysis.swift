import Foundation
import XbarDevice
import XbarInstrument

/// Fits the non-volatile part of a calibration: per-cell step fits (stage 1), the switching
/// law across all cells with shared overdrive scale and width exponent (stage 2), population
/// distributions, read and cycle-to-cycle noise, and the held-out curves' errors.
struct NonVolatileAnalysis {
    var parameters: NonVolatileCellParameters
    var uncertainties: [String: Double]
    var notMeasured: [String]
    var cells: [CellFitSummary]
    var heldOutRelativeRMS: Double?
    var heldOutCurves: Int
    var heldOutDescription: String

    init(_ measured: [NonVolatileCellMeasurement], plan: CalibrationPlan.NonVolatile, instrument: Instrument) throws {
        let defaults = instrument.device.nonVolatile
        let held = plan.heldOutCondition
        let defaultRange = defaults.gMaxSiemens.mean - defaults.gMinSiemens.mean
        var cells: [CellFitSummary] = []
        var stuckMin = 0, stuckMax = 0
        let quantum = Double(instrument.adc.readFullScaleAmperes) / (pow(2, Double(instrument.adc.bits)) - 1) / plan.readVolts

        // Stage 1: per cell and polarity.
        struct CellFit { var index: Int; var gMaxUncertainty: Double; var set: PulseResponseFit; var reset: PulseResponseFit; var setCurves: [PulseResponseCurve]; var resetCurves: [PulseResponseCurve] }
        var fits: [CellFit] = []
        for m in measured {
            let all = (m.setCurves + m.resetCurves).flatMap(\.conductancesSiemens)
            let lo = all.min() ?? 0, hi = all.max() ?? 0
            var summary = CellFitSummary(tile: m.tile, row: m.cell.row, column: m.cell.column, status: "ok")
            // A cell that never moves by 5 % of the nominal range is stuck.
            if hi - lo < 0.05 * defaultRange {
                let stuckHigh = (lo + hi) / 2 > (defaults.gMinSiemens.mean + defaults.gMaxSiemens.mean) / 2
                summary.status = stuckHigh ? "stuck-at-max" : "stuck-at-min"
                if stuckHigh { stuckMax += 1 } else { stuckMin += 1 }
                cells.append(summary)
                continue
            }
            let setCurves = m.setCurves.enumerated().filter { $0.offset != held }.map(\.element)
            let resetCurves = m.resetCurves.enumerated().filter { $0.offset != held }.map(\.element)
            do {
                // Both bounds come from the levels the strong preparations left before each
                // curve of the other polarity (the plan drives cells to within a fraction of a
                // percent of their bounds), not from extrapolating curves towards them: no curve
                // gets close enough to its bound to pin it, and the lower bound sits within a
                // few converter steps of zero, where reads are rounded rather than noisy.
                let ceilings = m.resetCurves.compactMap(\.conductancesSiemens.first).sorted()
                let floors = m.setCurves.compactMap(\.conductancesSiemens.first).sorted()
                let set = try PulseResponseFit.fit(setCurves, resolutionSiemens: quantum,
                                                   fixedBoundSiemens: ceilings[ceilings.count / 2])
                // Its rounding error (up to half a step) matters less the farther a step is
                // from it: only steps above twelve converter steps are used.
                let reset = try PulseResponseFit.fit(resetCurves, resolutionSiemens: quantum, floorSteps: 12,
                                                     fixedBoundSiemens: max(floors[floors.count / 2], quantum / 2))
                fits.append(CellFit(index: cells.count, gMaxUncertainty: SampleMoments(ceilings).medianUncertainty, set: set, reset: reset, setCurves: setCurves, resetCurves: resetCurves))
            } catch {
                summary.status = "not-converged"
            }
            cells.append(summary)
        }
        guard fits.count >= 2 else {
            throw CalibrationError.tooFewDevices(kind: "non-volatile cells", fitted: fits.count, needed: 2)
        }

        // Stage 2: the switching law, both polarities in one fit: each device (cell and
        // polarity) has its own step fraction and threshold, the overdrive scale and width
        // exponent are shared. With per-device thresholds free, the scale is measured only by
        // the curvature of each device's rates over its few amplitudes; SET alone leaves it
        // about 5 % uncertain (and the step fractions 1.5 times that), both polarities halve
        // the variance. RESET rates come from steps clear of the converter's floor (stage 1).
        func observations(_ fit: PulseResponseFit, _ curves: [PulseResponseCurve]) -> [RateObservation] {
            curves.indices.map { RateObservation(amplitudeVolts: curves[$0].amplitudeVolts, widthSeconds: curves[$0].widthSeconds,
                                                 rate: fit.rates[$0], uncertainty: fit.rateUncertainties[$0]) }
        }
        let widths = Set([plan.setConditions, plan.resetConditions].flatMap { list in
            list.indices.filter { $0 != held }.map { list[$0].widthSeconds }
        })
        let maxThreshold = Double(max(instrument.limits.maxSetVolts, instrument.limits.maxResetVolts))
        let law = try SwitchingLawFit.fit(
            fits.map { observations($0.set, $0.setCurves) } + fits.map { observations($0.reset, $0.resetCurves) },
            guess: SwitchingStrength(thresholdVolts: defaults.setThresholdVolts.mean, overdriveScaleVolts: defaults.overdriveScaleVolts,
                                     referenceWidthSeconds: defaults.referenceWidthSeconds, widthExponent: defaults.widthExponent),
            thresholdGuesses: fits.map { _ in defaults.setThresholdVolts.mean } + fits.map { _ in defaults.resetThresholdVolts.mean },
            stepFractionGuess: (defaults.setStepFraction.mean + defaults.resetStepFraction.mean) / 2,
            fitWidthExponent: widths.count > 1, maxThresholdVolts: maxThreshold)
        let c = fits.count

        // Read noise at the upper bound, then cycle-to-cycle spread from the one-step residuals.
        let okCells = Set(fits.map(\.index))
        let readNoise = ReadNoiseEstimate(reads: measured.indices.filter { okCells.contains($0) }.map { measured[$0].noiseReads },
                                          quantumSiemens: quantum)
        let sigmaRead = readNoise?.relativeSigma ?? defaults.readNoiseSpread
        var excess = 0.0, predictedSquares = 0.0
        for f in fits {
            for (fit, curves) in [(f.set, f.setCurves), (f.reset, f.resetCurves)] {
                for (k, curve) in curves.enumerated() {
                    let g = curve.conductancesSiemens
                    for n in 0..<(g.count - 1) {
                        let step = fit.rates[k] * (fit.boundSiemens - g[n])
                        // Only steps large against read noise say anything about step noise.
                        guard abs(step) > 2 * sigmaRead * g[n] else { continue }
                        let r = fit.stepResiduals[k][n]
                        guard r.isFinite else { continue }
                        // Verify reads are averages: their noise variance is divided by the count.
                        excess += r * r - (sigmaRead * sigmaRead * (g[n] * g[n] + g[n + 1] * g[n + 1]) + quantum * quantum / 6) / Double(plan.verifyAverages)
                        predictedSquares += step * step
                    }
                }
            }
        }
        let cycleToCycle = predictedSquares > 0 ? max(0, excess / predictedSquares).squareRoot() : defaults.cycleToCycleSpread

        // Per-cell results, populations.
        var uncertainties: [String: Double] = [:]
        func population(_ name: String, _ values: [Double], _ sigmas: [Double], fallback: DistributedParameter) -> DistributedParameter {
            guard let p = PopulationEstimate(values: values, uncertainties: sigmas) else { return fallback }
            uncertainties["nonVolatile.\(name).mean"] = p.meanUncertainty
            uncertainties["nonVolatile.\(name).spread"] = p.spreadUncertainty
            return p.distributed
        }
        var heldSquares = 0.0, heldPoints = 0, heldCurves = 0
        for (k, f) in fits.enumerated() {
            let setDevice = law.devices[k], resetDevice = law.devices[c + k]
            let range = f.set.boundSiemens - f.reset.boundSiemens
            var s = cells[f.index]
            s.gMinSiemens = f.reset.boundSiemens
            s.gMaxSiemens = f.set.boundSiemens
            s.setStepFraction = setDevice.stepFraction
            s.setThresholdVolts = setDevice.thresholdVolts
            s.resetStepFraction = resetDevice.stepFraction
            s.resetThresholdVolts = resetDevice.thresholdVolts
            let n1 = f.set.stepResiduals.joined().count, n2 = f.reset.stepResiduals.joined().count
            s.relativeStepResidual = ((pow(f.set.rmsStepResidualSiemens, 2) * Double(n1) + pow(f.reset.rmsStepResidualSiemens, 2) * Double(n2))
                / Double(max(1, n1 + n2))).squareRoot() / range
            if !f.set.converged || !f.reset.converged { s.status = "not-converged" }
            // Held-out curves, predicted from the fitted law alone.
            let m = measured[f.index]
            var cellSquares = 0.0, cellPoints = 0
            for (curve, device, bound) in [(m.setCurves, k, f.set.boundSiemens), (m.resetCurves, c + k, f.reset.boundSiemens)] where held < curve.count {
                let heldCurve = curve[held]
                let rate = law.devices[device].stepFraction * law.strength(device: device)(
                    amplitudeVolts: heldCurve.amplitudeVolts, widthSeconds: heldCurve.widthSeconds)
                let predicted = heldCurve.predicted(rate: min(rate, 1), boundSiemens: bound)
                for (p, g) in zip(predicted.dropFirst(), heldCurve.conductancesSiemens.dropFirst()) {
                    cellSquares += pow((p - g) / range, 2)
                    cellPoints += 1
                }
                heldCurves += 1
            }
            if cellPoints > 0 { s.heldOutRelativeRMS = (cellSquares / Double(cellPoints)).squareRoot() }
            heldSquares += cellSquares
            heldPoints += cellPoints
            cells[f.index] = s
        }
        let sampled = Double(measured.count)
        var p = defaults
        // Each lower bound is known to a converter step (uniform rounding: q / sqrt(12)).
        p.gMinSiemens = population("gMinSiemens", fits.map(\.reset.boundSiemens), fits.map { _ in quantum / 12.0.squareRoot() }, fallback: defaults.gMinSiemens)
        p.gMaxSiemens = population("gMaxSiemens", fits.map(\.set.boundSiemens), fits.map(\.gMaxUncertainty), fallback: defaults.gMaxSiemens)
        p.setStepFraction = population("setStepFraction", law.devices[0..<c].map(\.stepFraction), law.devices[0..<c].map(\.stepFractionUncertainty), fallback: defaults.setStepFraction)
        p.setThresholdVolts = population("setThresholdVolts", law.devices[0..<c].map(\.thresholdVolts), law.devices[0..<c].map(\.thresholdUncertainty), fallback: defaults.setThresholdVolts)
        p.resetStepFraction = population("resetStepFraction", law.devices[c...].map(\.stepFraction), law.devices[c...].map(\.stepFractionUncertainty), fallback: defaults.resetStepFraction)
        p.resetThresholdVolts = population("resetThresholdVolts", law.devices[c...].map(\.thresholdVolts), law.devices[c...].map(\.thresholdUncertainty), fallback: defaults.resetThresholdVolts)
        p.overdriveScaleVolts = law.overdriveScaleVolts
        uncertainties["nonVolatile.overdriveScaleVolts"] = law.overdriveScaleUncertainty
        p.widthExponent = law.widthExponent
        if widths.count > 1 { uncertainties["nonVolatile.widthExponent"] = law.widthExponentUncertainty }
        p.readNoiseSpread = sigmaRead
        if let readNoise { uncertainties["nonVolatile.readNoiseSpread"] = readNoise.uncertainty }
        p.cycleToCycleSpread = cycleToCycle
        p.stuckAtMinRate = Double(stuckMin) / sampled
        p.stuckAtMaxRate = Double(stuckMax) / sampled
        // Binomial standard error of a rate measured on the sample.
        uncertainties["nonVolatile.stuckAtMinRate"] = (max(p.stuckAtMinRate, 1 / sampled) / sampled).squareRoot()
        uncertainties["nonVolatile.stuckAtMaxRate"] = (max(p.stuckAtMaxRate, 1 / sampled) / sampled).squareRoot()

        self.parameters = p
        self.uncertainties = uncertainties
        self.notMeasured = ["nonVolatile.relaxationSpreadPerDecade", "nonVolatile.referenceWidthSeconds"]
            + (widths.count > 1 ? [] : ["nonVolatile.widthExponent"])
        self.cells = cells
        self.heldOutRelativeRMS = heldPoints > 0 ? (heldSquares / Double(heldPoints)).squareRoot() : nil
        self.heldOutCurves = heldCurves
        let heldSet = plan.setConditions[held], heldReset = plan.resetConditions[held]
        self.heldOutDescription = String(format: "SET curves at %.3g V and RESET curves at %.3g V, %.3g s pulses",
                                         heldSet.amplitudeVolts, heldReset.amplitudeVolts, heldSet.widthSeconds)
    }
}

/// Why a calibration could not be fitted.
public enum CalibrationError: Error, Hashable, Sendable, CustomStringConvertible {
    case tooFewDevices(kind: String, fitted: Int, needed: Int)
    case nothingToMeasure(instrument: String)

    public var description: String {
        switch self {
        case let .tooFewDevices(kind, fitted, needed):
            return "only \(fitted) \(kind) could be fitted, \(needed) needed: check the board responds to pulses, or sample more devices"
        case .nothingToMeasure(let name):
            return "instrument \(name) has neither weight tiles nor state tiles to calibrate"
        }
    }
}
