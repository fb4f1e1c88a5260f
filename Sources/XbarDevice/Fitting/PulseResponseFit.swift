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
    /// Residuals of every step, per curve, siemens (for cycle-to-cycle estimates); NaN for a
    /// step left out of the fit.
    public var stepResiduals: [[Double]]
    public var converged: Bool

    /// Fits curves of one cell, all of one polarity.
    ///
    /// - Throws: ``LeastSquaresError`` when the curves hold fewer steps than parameters.
    /// - Parameter resolutionSiemens: one converter step as conductance; steps starting or
    ///   ending within `floorSteps` steps of zero are left out, as rounding there is
    ///   deterministic (the read noise is smaller than a step) and biases the regression.
    /// - Parameter fixedBoundSiemens: the bound when it is known better than the curves can
    ///   tell (a bound near zero that the converter cannot resolve); fitted when nil.
    public static func fit(_ curves: [PulseResponseCurve], resolutionSiemens: Double = 0, floorSteps: Double = 4,
                           fixedBoundSiemens: Double? = nil,
                           fitter: LevenbergMarquardt = LevenbergMarquardt()) throws(LeastSquaresError) -> PulseResponseFit {
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
            let floor = floorSteps * resolutionSiemens / unit
            for n in 0..<max(0, g.count - 1) where g[n] > floor && g[n + 1] > floor { rows.append((k, g[n], g[n + 1] - g[n])) }
        }
        let m = rows.count
        let fixed = fixedBoundSiemens.map { $0 / unit }
        let boundGuess = fixed ?? (polarity == .set ? hi / unit + 0.05 : max(lo / unit - 0.05, 1e-6))
        let rateGuesses = curves.indices.map { k -> Double in
            let mine = rows.filter { $0.curve == k }
            let distance = mine.reduce(0) { $0 + abs(boundGuess - $1.g) }
            let moved = mine.reduce(0) { $0 + sign * $1.step }
            return min(max(moved / max(distance, 1e-9), 1e-4), 0.9)
        }
        let initial = [boundGuess] + rateGuesses
        // Rates may come out slightly negative: a curve below a cell's threshold must scatter
        // around zero, not sit on a bound, or the population fit reads a bias into it.
        let bounds: [ParameterBound] = [.positive] + curves.map { _ in .interval(lower: -0.5, upper: 1) }
        let n = initial.count
        // A fixed bound keeps its slot, pinned by a stiff extra residual.
        let pin = fixed == nil ? 0 : 1
        let result = try fitter.fit(
            initial: initial, bounds: bounds, residualCount: m + pin,
            residuals: { p in
                rows.map { $0.step - p[1 + $0.curve] * (p[0] - $0.g) } + (fixed.map { [($0 - p[0]) * 1e6] } ?? [])
            },
            jacobian: { p in
                var j = [Double](repeating: 0, count: (m + pin) * n)
                if pin == 1 { j[m * n] = -1e6 }
                for (i, row) in rows.enumerated() {
                    j[i * n] = -p[1 + row.curve]
                    j[i * n + 1 + row.curve] = -(p[0] - row.g)
                }
                return j
            })
        var stepResiduals = curves.map { _ in [Double]() }
        for (i, row) in rows.enumerated() { stepResiduals[row.curve].append(result.residuals[i] * unit) }
        let residuals = Array(result.residuals.prefix(m))
        // Rows left out still need a slot so residuals stay aligned with the curve's steps.
        for (k, c) in curves.enumerated() {
            let floor = floorSteps * resolutionSiemens
            let g = c.conductancesSiemens
            var aligned: [Double] = []
            var next = stepResiduals[k].makeIterator()
            for n in 0..<max(0, g.count - 1) { aligned.append(g[n] > floor && g[n + 1] > floor ? next.next() ?? .nan : .nan) }
            stepResiduals[k] = aligned
        }
        return PulseResponseFit(
            polarity: polarity, boundSiemens: result.parameters[0] * unit, boundUncertainty: fixed == nil ? result.uncertainties[0] * unit : 0,
            rates: Array(result.parameters.dropFirst()), rateUncertainties: Array(result.uncertainties.dropFirst()),
            rmsStepResidualSiemens: (residuals.reduce(0) { $0 + $1 * $1 } / Double(max(1, m))).squareRoot() * unit, stepResiduals: stepResiduals, converged: result.converged)
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
