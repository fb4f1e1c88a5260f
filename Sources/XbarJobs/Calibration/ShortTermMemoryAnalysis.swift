import Foundation
import XbarDevice
import XbarInstrument
import XbarWire

/// Fits one STM population of a calibration (the default one, or one device class): each
/// node's whole measured history (decay, pulse increments, saturation, read disturbance) with
/// a held-out repetition predicted but not fitted; then the pulse strength law across the
/// population's nodes, its device-to-device distributions and read noise. Time constants are
/// grouped across populations by the caller; the nodes' `group` is left at 0.
struct ShortTermMemoryAnalysis {
    var parameters: ShortTermMemoryCellParameters
    var uncertainties: [String: Double]
    var notMeasured: [String]
    var nodes: [NodeFitSummary]
    var heldOutRelativeRMS: Double?
    /// Held-out reads behind `heldOutRelativeRMS`.
    var heldOutReadCount: Int
    var heldOutTraces: Int
    var heldOutDescription: String

    /// - Parameters:
    ///   - defaults: the population's defaults: starting guesses, and the values kept for what
    ///     is not measured.
    ///   - keyPrefix: the population's path in uncertainties and `notMeasured`, e.g.
    ///     `shortTermMemory` or `shortTermMemoryClasses.wox_3ms`.
    init(_ traces: [STMTrace], sweep: STMSweep, heldOutRepetition: Int, defaults: ShortTermMemoryCellParameters,
         deviceClass: String?, keyPrefix: String, instrument: Instrument) throws {
        let conditions = Array(Set(sweep.points.map { PulseCondition(amplitudeVolts: $0.amplitudeVolts, widthSeconds: $0.widthSeconds) }))
            .sorted { ($0.widthSeconds, $0.amplitudeVolts) < ($1.widthSeconds, $1.amplitudeVolts) }
        var byNode: [CellIndex: [STMTrace]] = [:]
        for t in traces { byNode[t.node, default: []].append(t) }
        let guess = DecayLaw(baseSiemens: defaults.baseSiemens.mean, ceilingSiemens: defaults.ceilingSiemens.mean,
                             tauSeconds: defaults.tauSeconds.mean, slowTauSeconds: defaults.slowTauSeconds.mean,
                             slowFraction: defaults.slowFraction, pulseFractions: [],
                             readFraction: defaults.incrementFraction.mean * defaults.readDisturbFraction)
        let quantum = Double(instrument.adc.readFullScaleAmperes) / (pow(2, Double(instrument.adc.bits)) - 1) / sweep.readVolts

        var fits: [(node: CellIndex, fit: DecayFit)] = []
        var heldTraces = 0
        var noiseSum = 0.0, noiseDoF = 0, restLevelSum = 0.0, restTrains = 0
        for node in sweep.nodes {
            guard let list = byNode[node] else { continue }
            // A held-out repetition: its main train and its tail, predicted but not fitted.
            let history = DecayHistory(traces: list, conditions: conditions) {
                $0.point >= 0 && $0.repetition == heldOutRepetition
            }
            heldTraces += list.filter { $0.pulseCount > 0 && $0.repetition == heldOutRepetition }.count
            if let fit = try? DecayFit.fit(history, guess: guess) { fits.append((node, fit)) }
            // Read noise from the reads at rest, after removing the slow drift read
            // disturbance causes (a straight line over the short train).
            for rest in list where rest.point == STMTrace.restPoint && rest.conductancesSiemens.count >= 4 {
                let g = rest.conductancesSiemens, n = Double(g.count)
                let x = g.indices.map(Double.init), mx = (n - 1) / 2
                let my = g.reduce(0, +) / n
                let sxx = x.reduce(0) { $0 + ($1 - mx) * ($1 - mx) }
                let slope = zip(x, g).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) } / sxx
                let ss = zip(x, g).reduce(0) { $0 + pow($1.1 - my - slope * ($1.0 - mx), 2) }
                noiseSum += max(0, ss - (n - 2) * quantum * quantum / 12) / (my * my)
                noiseDoF += g.count - 2
                restLevelSum += my
                restTrains += 1
            }
        }
        guard fits.count >= 2 else {
            throw CalibrationError.tooFewDevices(kind: deviceClass.map { "STM nodes of device class \($0)" } ?? "STM nodes", fitted: fits.count, needed: 2)
        }

        // Strength law across nodes: per-pulse fraction k = incrementFraction * s(V, w).
        let law = try SwitchingLawFit.fit(
            fits.map { f in conditions.indices.map { RateObservation(amplitudeVolts: conditions[$0].amplitudeVolts, widthSeconds: conditions[$0].widthSeconds,
                                                                      rate: f.fit.law.pulseFractions[$0], uncertainty: f.fit.pulseFractionUncertainties[$0]) } },
            guess: SwitchingStrength(thresholdVolts: defaults.thresholdVolts.mean, overdriveScaleVolts: defaults.overdriveScaleVolts,
                                     referenceWidthSeconds: defaults.referenceWidthSeconds, widthExponent: defaults.widthExponent),
            stepFractionGuess: defaults.incrementFraction.mean, fitWidthExponent: Set(conditions.map(\.widthSeconds)).count > 1,
            maxThresholdVolts: Double(instrument.limits.maxSetVolts))

        var uncertainties: [String: Double] = [:]
        func population(_ name: String, _ values: [Double], _ sigmas: [Double], fallback: DistributedParameter) -> DistributedParameter {
            guard let p = PopulationEstimate(values: values, uncertainties: sigmas) else { return fallback }
            uncertainties["\(keyPrefix).\(name).mean"] = p.meanUncertainty
            uncertainties["\(keyPrefix).\(name).spread"] = p.spreadUncertainty
            return p.distributed
        }
        var heldSquares = 0.0, heldCount = 0
        var nodes: [NodeFitSummary] = []
        for (k, f) in fits.enumerated() {
            let l = f.fit.law
            var relative: Double?
            if f.fit.heldOutReadCount > 0, f.fit.heldOutRangeSiemens > 0 {
                let r = f.fit.heldOutRMSSiemens / f.fit.heldOutRangeSiemens
                relative = r
                heldSquares += r * r * Double(f.fit.heldOutReadCount)
                heldCount += f.fit.heldOutReadCount
            }
            nodes.append(NodeFitSummary(
                tile: sweep.tile, row: f.node.row, column: f.node.column, converged: f.fit.converged,
                tauSeconds: l.tauSeconds, tauUncertainty: f.fit.tauUncertainty,
                slowTauSeconds: l.slowFraction > 0 ? l.slowTauSeconds : nil, slowFraction: l.slowFraction > 0 ? l.slowFraction : nil,
                baseSiemens: l.baseSiemens, ceilingSiemens: l.ceilingSiemens, incrementFraction: law.devices[k].stepFraction,
                thresholdVolts: law.devices[k].thresholdVolts, group: 0, heldOutRelativeRMS: relative, deviceClass: deviceClass))
        }

        var p = defaults
        // Base and ceiling uncertainties are small next to the device spread; the spread of
        // fitted values is taken as is for them.
        p.baseSiemens = population("baseSiemens", fits.map(\.fit.law.baseSiemens), fits.map { _ in 0 }, fallback: defaults.baseSiemens)
        p.ceilingSiemens = population("ceilingSiemens", fits.map(\.fit.law.ceilingSiemens), fits.map { _ in 0 }, fallback: defaults.ceilingSiemens)
        p.tauSeconds = population("tauSeconds", fits.map(\.fit.law.tauSeconds), fits.map(\.fit.tauUncertainty), fallback: defaults.tauSeconds)
        if defaults.slowFraction > 0 {
            p.slowTauSeconds = population("slowTauSeconds", fits.map(\.fit.law.slowTauSeconds), fits.map(\.fit.slowTauUncertainty), fallback: defaults.slowTauSeconds)
            p.slowFraction = fits.reduce(0) { $0 + $1.fit.law.slowFraction } / Double(fits.count)
        }
        p.incrementFraction = population("incrementFraction", law.devices.map(\.stepFraction), law.devices.map(\.stepFractionUncertainty), fallback: defaults.incrementFraction)
        p.thresholdVolts = population("thresholdVolts", law.devices.map(\.thresholdVolts), law.devices.map(\.thresholdUncertainty), fallback: defaults.thresholdVolts)
        p.overdriveScaleVolts = law.overdriveScaleVolts
        uncertainties["\(keyPrefix).overdriveScaleVolts"] = law.overdriveScaleUncertainty
        if Set(conditions.map(\.widthSeconds)).count > 1 {
            p.widthExponent = law.widthExponent
            uncertainties["\(keyPrefix).widthExponent"] = law.widthExponentUncertainty
        }
        p.readDisturbFraction = zip(fits, law.devices).reduce(0) { $0 + $1.0.fit.law.readFraction / $1.1.stepFraction } / Double(fits.count)
        // Noise well under a converter step does not dither the reads: they round to the same
        // value and their scatter says nothing about the noise. Then it is not measured.
        var readNoiseResolved = false
        if noiseDoF > 0 {
            let estimate = (noiseSum / Double(noiseDoF)).squareRoot()
            if estimate * restLevelSum / Double(restTrains) >= quantum / 2 {
                p.readNoiseSpread = estimate
                uncertainties["\(keyPrefix).readNoiseSpread"] = estimate / (2 * Double(noiseDoF)).squareRoot()
                readNoiseResolved = true
            }
        }

        self.parameters = p
        self.uncertainties = uncertainties
        self.notMeasured = ["\(keyPrefix).cycleToCycleSpread", "\(keyPrefix).referenceWidthSeconds"]
            + (readNoiseResolved ? [] : ["\(keyPrefix).readNoiseSpread"])
            + (defaults.slowFraction > 0 ? [] : ["\(keyPrefix).slowTauSeconds", "\(keyPrefix).slowFraction"])
        self.nodes = nodes
        self.heldOutRelativeRMS = heldCount > 0 ? (heldSquares / Double(heldCount)).squareRoot() : nil
        self.heldOutReadCount = heldCount
        self.heldOutTraces = heldTraces
        self.heldOutDescription = heldOutRepetition >= 0
            ? "repetition \(heldOutRepetition + 1) of \(sweep.repetitions) of every STM sweep point" : "none"
    }
}
