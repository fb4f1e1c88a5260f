import Foundation

/// A node's ``DecayLaw`` fitted to its ``DecayHistory``, with uncertainties.
public struct DecayFit: Sendable {
    public var law: DecayLaw
    public var tauUncertainty: Double
    public var slowTauUncertainty: Double
    public var pulseFractionUncertainties: [Double]
    /// RMS of the fitted reads' residuals, siemens.
    public var rmsResidualSiemens: Double
    /// RMS of the held-out reads' prediction errors, siemens (0 without held-out reads).
    public var heldOutRMSSiemens: Double
    /// Measured volatile range of the held-out reads (largest minus the fitted base), siemens.
    public var heldOutRangeSiemens: Double
    public var heldOutReadCount: Int
    public var converged: Bool

    /// Fits a node's history.
    ///
    /// - Parameters:
    ///   - guess: starting law; its `slowFraction == 0` disables the slow component
    ///     (not fitted), otherwise slow time constant and fraction are fitted.
    /// - Throws: ``LeastSquaresError`` when the history has too few fitted reads.
    public static func fit(_ history: DecayHistory, guess: DecayLaw,
                           fitter: LevenbergMarquardt = LevenbergMarquardt()) throws(LeastSquaresError) -> DecayFit {
        let reads: [(time: Double, g: Double, heldOut: Bool)] = history.events.compactMap {
            if case let .read(t, g, h) = $0 { return (t, g, h) } else { return nil }
        }
        let fitted = reads.indices.filter { !reads[$0].heldOut }
        let values = reads.map(\.g)
        let lo = values.min() ?? 0, hi = values.max() ?? 1
        // Conductances in units of the measured swing, so residuals are O(1).
        let unit = max(hi - lo, 1e-3 * max(abs(hi), 1e-12))
        let conditions = history.conditions.count
        let withSlow = guess.slowFraction > 0

        // Starting point from the data: base from the quietest reads, fractions from the first
        // read after each pulse.
        let base = max(lo, 1e-12)
        let ceiling = max(guess.ceilingSiemens, 1.2 * (hi - base))
        // A burst of n pulses from rest reaches `C (1 - (1 - k)^n)`: invert that per burst.
        var firstAfter = [[Double]](repeating: [], count: conditions)
        var pending: (condition: Int, time: Double, count: Int)?
        for e in history.events {
            switch e {
            case let .pulse(t, c): pending = (c, t, (pending?.condition == c ? pending!.count : 0) + 1)
            case let .read(t, g, _):
                if let p = pending {
                    let reached = min(max((g - base) * exp((t - p.time) / guess.tauSeconds) / ceiling, 0), 0.95)
                    firstAfter[p.condition].append(1 - pow(1 - reached, 1 / Double(p.count)))
                    pending = nil
                }
            }
        }
        let fractions = (0..<conditions).map { c -> Double in
            let list = firstAfter[c]
            let mean = list.isEmpty ? 0 : list.reduce(0, +) / Double(list.count)
            return min(max(mean, 1e-4), 0.9)
        }
        // Time constants stay within a factor of ten of the guess, and the slow one above three
        // fast ones: otherwise the two components can swap roles or one can collapse onto the
        // read interval, fitting noise.
        let tauBound = ParameterBound.interval(lower: guess.tauSeconds / 10, upper: guess.tauSeconds * 10)
        var initial = [base / unit, ceiling / unit, guess.tauSeconds, max(guess.readFraction, 1e-6)] + fractions
        var bounds: [ParameterBound] = [.positive, .positive, tauBound, .interval(lower: 0, upper: 0.5)]
            + fractions.map { _ in .interval(lower: 0, upper: 1) }
        if withSlow {
            initial += [guess.slowTauSeconds, min(max(guess.slowFraction, 0.01), 0.5)]
            bounds += [.interval(lower: 3 * guess.tauSeconds, upper: 10 * guess.slowTauSeconds), .interval(lower: 0, upper: 0.6)]
        }
        func law(_ p: [Double]) -> DecayLaw {
            DecayLaw(baseSiemens: p[0] * unit, ceilingSiemens: p[1] * unit, tauSeconds: p[2],
                     slowTauSeconds: withSlow ? p[4 + conditions] : guess.slowTauSeconds,
                     slowFraction: withSlow ? p[5 + conditions] : 0,
                     pulseFractions: Array(p[4..<(4 + conditions)]), readFraction: p[3])
        }
        let result = try fitter.fit(initial: initial, bounds: bounds, residualCount: fitted.count) { p in
            let predicted = law(p).predictedReads(history)
            return fitted.map { (values[$0] - predicted[$0]) / unit }
        }
        let best = law(result.parameters)
        let predicted = best.predictedReads(history)
        let heldOut = reads.indices.filter { reads[$0].heldOut }
        let heldOutSquares = heldOut.reduce(0.0) { $0 + pow(values[$1] - predicted[$1], 2) }
        let heldOutRange = (heldOut.map { values[$0] }.max() ?? best.baseSiemens) - best.baseSiemens
        return DecayFit(
            law: best, tauUncertainty: result.uncertainties[2],
            slowTauUncertainty: withSlow ? result.uncertainties[4 + conditions] : 0,
            pulseFractionUncertainties: Array(result.uncertainties[4..<(4 + conditions)]),
            rmsResidualSiemens: result.rmsResidual * unit,
            heldOutRMSSiemens: heldOut.isEmpty ? 0 : (heldOutSquares / Double(heldOut.count)).squareRoot(),
            heldOutRangeSiemens: heldOutRange, heldOutReadCount: heldOut.count, converged: result.converged)
    }
}
