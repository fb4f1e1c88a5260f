import Foundation

/// A Levenberg–Marquardt least-squares fitter: minimises `sum(r_i(p)^2)`.
///
/// - Scaling: the damping term is `mu * D` with `D` the running maximum of `diag(J^T J)`
///   (Moré's scaling), so the fit does not depend on the units of the parameters.
/// - Damping update: Nielsen's gain-ratio rule (`mu *= max(1/3, 1 - (2 rho - 1)^3)` after an
///   accepted step, `mu *= nu; nu *= 2` after a rejected one).
/// - Convergence: the gradient test (largest cosine between the residual vector and a
///   Jacobian column), a relative step test in scaled internal coordinates, and a relative
///   cost reduction test; see ``LeastSquaresFit/Termination``.
/// - Bounds: by reparameterisation (``ParameterBound``); the model only sees values inside.
/// - Uncertainties: `C = (J^T J)^-1 * s^2`, `s^2 = sum(r^2) / (m - n)`, at the solution.
public struct LevenbergMarquardt: Sendable {
    public var maxIterations: Int
    /// Gradient test: stop when every Jacobian column is this close to orthogonal to `r`.
    public var gradientTolerance: Double
    /// Step test: stop when the scaled step is this small relative to the scaled parameters.
    public var stepTolerance: Double
    /// Cost test: stop when an accepted step reduces the cost by less than this fraction.
    public var costTolerance: Double
    /// Initial damping, relative to the scaled curvature.
    public var initialDamping: Double

    public init(maxIterations: Int = 200, gradientTolerance: Double = 1e-10, stepTolerance: Double = 1e-10,
                costTolerance: Double = 1e-12, initialDamping: Double = 1e-3) {
        self.maxIterations = maxIterations
        self.gradientTolerance = gradientTolerance
        self.stepTolerance = stepTolerance
        self.costTolerance = costTolerance
        self.initialDamping = initialDamping
    }

    /// Fits a model.
    ///
    /// - Parameters:
    ///   - initial: starting parameters, strictly inside their bounds, of the right magnitude
    ///     (finite-difference steps are relative to it).
    ///   - bounds: one per parameter (`.free` when unbounded).
    ///   - residualCount: `m`, the length of the residual vector, at least `n`.
    ///   - residuals: the (weighted) residuals at given parameters.
    ///   - jacobian: `dr_i/dp_j` row-major `m x n`; central differences when nil.
    /// - Throws: ``LeastSquaresError`` when the problem is malformed or the start is invalid.
    ///   Non-convergence is not an error: inspect ``LeastSquaresFit/termination``.
    public func fit(initial: [Double], bounds: [ParameterBound]? = nil, residualCount m: Int,
                    residuals model: ([Double]) -> [Double],
                    jacobian analytic: (([Double]) -> [Double])? = nil) throws(LeastSquaresError) -> LeastSquaresFit {
        let n = initial.count
        let bounds = bounds ?? [ParameterBound](repeating: .free, count: n)
        guard bounds.count == n else { throw .boundCount(parameters: n, bounds: bounds.count) }
        guard m >= n else { throw .underdetermined(parameters: n, residuals: m) }
        for j in 0..<n where !bounds[j].contains(initial[j]) {
            throw .initialOutsideBounds(index: j, value: initial[j], bound: bounds[j])
        }
        let typical = initial.map { $0 == 0 ? 1.0 : abs($0) }

        func external(_ u: [Double]) -> [Double] { (0..<n).map { bounds[$0].external(u[$0]) } }
        var evaluations = 0
        func evaluate(_ p: [Double]) throws(LeastSquaresError) -> [Double] {
            evaluations += 1
            let r = model(p)
            guard r.count == m else { throw .residualCount(expected: m, got: r.count) }
            return r
        }
        func jacobian(_ p: [Double], _ r: [Double]) -> [Double] {
            if let analytic { return analytic(p) }
            var jac = [Double](repeating: 0, count: m * n)
            for j in 0..<n {
                let h = 6.0e-6 * max(abs(p[j]), typical[j])
                var plus = p, minus = p
                plus[j] += h
                minus[j] -= h
                // Stay inside the bound: fall back to a one-sided difference at its edge.
                let plusInside = bounds[j].contains(plus[j]), minusInside = bounds[j].contains(minus[j])
                let rp = plusInside ? model(plus) : r
                let rm = minusInside ? model(minus) : r
                let span = (plusInside ? h : 0) + (minusInside ? h : 0)
                if span == 0 { continue }
                for i in 0..<m { jac[i * n + j] = (rp[i] - rm[i]) / span }
            }
            return jac
        }
        func cost(_ r: [Double]) -> Double { 0.5 * r.reduce(0) { $0 + $1 * $1 } }

        var u = (0..<n).map { bounds[$0].internalValue(initial[$0]) }
        var p = external(u)
        var r = try evaluate(p)
        guard r.allSatisfy(\.isFinite) else { throw .nonFiniteInitialResiduals }
        var f = cost(r)

        // Normal equations in internal coordinates.
        var jp = jacobian(p, r)
        var a = [Double](repeating: 0, count: n * n)
        var g = [Double](repeating: 0, count: n)
        func normalEquations() {
            let chain = (0..<n).map { bounds[$0].derivative(u[$0]) }
            var ju = jp
            for i in 0..<m { for j in 0..<n { ju[i * n + j] *= chain[j] } }
            Self.normal(ju, r, m: m, n: n, a: &a, g: &g)
        }
        normalEquations()
        var scale = (0..<n).map { max(a[$0 * n + $0], .leastNormalMagnitude) }
        var mu = initialDamping
        var nu = 2.0
        var iterations = 0
        var termination = LeastSquaresFit.Termination.iterationLimit

        while iterations < maxIterations {
            // Gradient test: the largest cosine between r and a column of J.
            let rNorm = (2 * f).squareRoot()
            if rNorm == 0 { termination = .gradient; break }
            var cosine = 0.0
            for j in 0..<n where a[j * n + j] > 0 {
                cosine = max(cosine, abs(g[j]) / (a[j * n + j].squareRoot() * rNorm))
            }
            if cosine <= gradientTolerance { termination = .gradient; break }

            iterations += 1
            var damped = a
            for j in 0..<n { damped[j * n + j] += mu * scale[j] }
            guard let factor = CholeskyFactor(damped, size: n) else {
                mu *= nu; nu *= 2
                if mu > 1e20 { termination = .stalled; break }
                continue
            }
            let h = factor.solve(g.map { -$0 })
            var scaledStep = 0.0, scaledU = 0.0
            for j in 0..<n {
                scaledStep += scale[j] * h[j] * h[j]
                scaledU += scale[j] * u[j] * u[j]
            }
            if scaledStep.squareRoot() <= stepTolerance * (scaledU.squareRoot() + stepTolerance) {
                termination = .step; break
            }
            let uNew = (0..<n).map { bounds[$0].limitInternal(u[$0] + h[$0]) }
            let pNew = external(uNew)
            let rNew = try evaluate(pNew)
            let fNew = rNew.allSatisfy(\.isFinite) ? cost(rNew) : .infinity
            // Predicted reduction of the linear model: h^T (mu D h - g) / 2.
            var predicted = 0.0
            for j in 0..<n { predicted += h[j] * (mu * scale[j] * h[j] - g[j]) }
            predicted *= 0.5
            let rho = predicted > 0 ? (f - fNew) / predicted : -1
            if rho > 0, fNew.isFinite {
                let reduction = (f - fNew) / max(f, .leastNormalMagnitude)
                u = uNew; p = pNew; r = rNew; f = fNew
                jp = jacobian(p, r)
                normalEquations()
                for j in 0..<n { scale[j] = max(scale[j], a[j * n + j]) }
                mu *= max(1.0 / 3.0, 1 - pow(2 * rho - 1, 3))
                nu = 2
                if reduction <= costTolerance { termination = .cost; break }
            } else {
                mu *= nu; nu *= 2
                if mu > 1e20 { termination = .stalled; break }
            }
        }

        let (covariance, sigma, variance) = Self.covariance(jp, r, m: m, n: n)
        return LeastSquaresFit(parameters: p, uncertainties: sigma, covariance: covariance, residuals: r,
                               residualVariance: variance, iterations: iterations, evaluations: evaluations,
                               termination: termination)
    }

    /// `A = J^T J`, `g = J^T r`.
    static func normal(_ jac: [Double], _ r: [Double], m: Int, n: Int, a: inout [Double], g: inout [Double]) {
        a = [Double](repeating: 0, count: n * n)
        g = [Double](repeating: 0, count: n)
        jac.withUnsafeBufferPointer { jb in
            a.withUnsafeMutableBufferPointer { ab in
                g.withUnsafeMutableBufferPointer { gb in
                    for i in 0..<m {
                        let row = i * n
                        let ri = r[i]
                        for j in 0..<n {
                            let jij = jb[row + j]
                            if jij == 0 { continue }
                            gb[j] += jij * ri
                            for k in 0...j { ab[j * n + k] += jij * jb[row + k] }
                        }
                    }
                    for j in 0..<n { for k in 0..<j { ab[k * n + j] = ab[j * n + k] } }
                }
            }
        }
    }

    /// Covariance `(J^T J)^-1 s^2` over the parameters the data constrain; a parameter whose
    /// Jacobian column is zero gets an infinite uncertainty instead of poisoning the rest.
    static func covariance(_ jac: [Double], _ r: [Double], m: Int, n: Int) -> ([Double], [Double], Double) {
        var a = [Double](), g = [Double]()
        normal(jac, r, m: m, n: n, a: &a, g: &g)
        let dof = m - n
        let ssr = r.reduce(0) { $0 + $1 * $1 }
        let variance = dof > 0 ? ssr / Double(dof) : .nan
        let active = (0..<n).filter { a[$0 * n + $0] > 0 }
        var covariance = [Double](repeating: .nan, count: n * n)
        var sigma = [Double](repeating: .infinity, count: n)
        let k = active.count
        var sub = [Double](repeating: 0, count: k * k)
        for (x, i) in active.enumerated() { for (y, j) in active.enumerated() { sub[x * k + y] = a[i * n + j] } }
        if let factor = CholeskyFactor(sub, size: k) {
            let inv = factor.inverse()
            for (x, i) in active.enumerated() {
                for (y, j) in active.enumerated() { covariance[i * n + j] = inv[x * k + y] * variance }
                sigma[i] = (inv[x * k + x] * variance).squareRoot()
            }
        }
        return (covariance, sigma, variance)
    }
}
