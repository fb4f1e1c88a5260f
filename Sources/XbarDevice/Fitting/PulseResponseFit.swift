/// Per-pulse step fractions of one cell in one polarity, fitted to its pulse-response curves.
///
/// The soft-bounded law moves the conductance by `r * (bound - G)` per pulse on average
/// (`bound` is `gMax` for SET, `gMin` for RESET; `r = stepFraction * s(V, w)`). The fit
/// regresses each measured step `G[n+1] - G[n]` on the measured `bound - G[n]`: one-step
/// residuals are independent (cycle-to-cycle noise does not accumulate along the curve as it
/// does in a whole-trajectory fit), so the covariance gives honest uncertainties.
public struct PulseResponseFit: Sendable {
    public var polarity: SwitchingPolarity
    /// `gMax` (SET) or `gMin` (RESET), siemens.
    public var boundSiemens: Double
    public var boundUncertainty: Double
    /// Per-pulse fraction of the distance to the bound, one per curve, in the curves' order.
    public var rates: [Double]
    public var rateUncertainties: [Double]
    /// RMS of the one-step residuals, siemens.
    public var rmsStepResidualSiemens: Double
    /// Residuals of every step, per curve, siemens (for cycle-to-cycle estimates).
    public var stepResiduals: [[Double]]
    public var converged: Bool

    /// Fits curves of one cell, all of one polarity.
    ///
    /// - Throws: ``LeastSquaresError`` when the curves hold fewer steps than parameters.
    public static func fit(_ curves: [PulseResponseCurve], fitter: LevenbergMarquardt = LevenbergMarquardt()) throws(LeastSquaresError) -> PulseResponseFit {
        precondition(!curves.isEmpty && Set(curves.map(\.polarity)).count == 1, "curves of one polarity")
        let polarity = curves[0].polarity
        let sign = polarity == .set ? 1.0 : -1.0
        let all = curves.flatMap(\.conductancesSiemens)
        let lo = all.min() ?? 0, hi = all.max() ?? 0
        let span = max(hi - lo, 1e-12)
        // Work in units of the observed span so that parameters and residuals are O(1).
        let unit = span
        var rows: [(curve: Int, g: Double, step: Double)] = []
        for (k, c) in curves.enumerated() {
            let g = c.conductancesSiemens.map { $0 / unit }
            for n in 0..<max(0, g.count - 1) { rows.append((k, g[n], g[n + 1] - g[n])) }
        }
        let m = rows.count
        let boundGuess = polarity == .set ? hi / unit + 0.05 : max(lo / unit - 0.05, 1e-6)
        let rateGuesses = curves.indices.map { k -> Double in
            let mine = rows.filter { $0.curve == k }
            let distance = mine.reduce(0) { $0 + abs(boundGuess - $1.g) }
            let moved = mine.reduce(0) { $0 + sign * $1.step }
            return min(max(moved / max(distance, 1e-9), 1e-4), 0.9)
        }
        let initial = [boundGuess] + rateGuesses
        let bounds: [ParameterBound] = [.positive] + curves.map { _ in .interval(lower: 0, upper: 1) }
        let n = initial.count
        let result = try fitter.fit(
            initial: initial, bounds: bounds, residualCount: m,
            residuals: { p in rows.map { $0.step - p[1 + $0.curve] * (p[0] - $0.g) } },
            jacobian: { p in
                var j = [Double](repeating: 0, count: m * n)
                for (i, row) in rows.enumerated() {
                    j[i * n] = -p[1 + row.curve]
                    j[i * n + 1 + row.curve] = -(p[0] - row.g)
                }
                return j
            })
        var stepResiduals = curves.map { _ in [Double]() }
        for (i, row) in rows.enumerated() { stepResiduals[row.curve].append(result.residuals[i] * unit) }
        return PulseResponseFit(
            polarity: polarity, boundSiemens: result.parameters[0] * unit, boundUncertainty: result.uncertainties[0] * unit,
            rates: Array(result.parameters.dropFirst()), rateUncertainties: Array(result.uncertainties.dropFirst()),
            rmsStepResidualSiemens: result.rmsResidual * unit, stepResiduals: stepResiduals, converged: result.converged)
    }
}

extension PulseResponseCurve {
    /// The expected curve under the soft-bounded law, from this curve's first measured
    /// conductance: `G[n] = bound - (bound - G[0]) * (1 - rate)^n`.
    public func predicted(rate: Double, boundSiemens: Double) -> [Double] {
        guard let g0 = conductancesSiemens.first else { return [] }
        var out = [g0]
        var g = g0
        for _ in 0..<pulseCount {
            g += rate * (boundSiemens - g)
            out.append(g)
        }
        return out
    }
}
