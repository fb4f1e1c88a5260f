/// The result of a least-squares fit.
public struct LeastSquaresFit: Sendable {
    /// Why the iteration stopped.
    public enum Termination: String, Sendable, Codable {
        /// The gradient is orthogonal to the residuals within tolerance: a stationary point.
        case gradient
        /// The last accepted step was negligible relative to the parameters.
        case step
        /// The last accepted step reduced the cost by a negligible relative amount.
        case cost
        /// The damping grew without any step reducing the cost: no further progress possible.
        case stalled
        /// The iteration limit was reached before any convergence test passed.
        case iterationLimit
    }

    /// Fitted parameters, in the model's units.
    public var parameters: [Double]
    /// One-sigma uncertainties, `sqrt(diag(C))`; `.infinity` for a parameter the data do not
    /// constrain, `.nan` when there are no degrees of freedom left to estimate the noise.
    public var uncertainties: [Double]
    /// Covariance `C = (J^T J)^-1 * s^2` of the parameters at the solution, row-major
    /// `n x n`, with `J` the Jacobian with respect to the model's own parameters (not the
    /// bound transforms) and `s^2` the residual variance.
    public var covariance: [Double]
    /// Residuals at the solution, as the model returned them.
    public var residuals: [Double]
    /// `sum(r^2) / (m - n)`: the residual variance per degree of freedom.
    public var residualVariance: Double
    public var iterations: Int
    /// Residual evaluations, excluding those for finite-difference Jacobians.
    public var evaluations: Int
    public var termination: Termination

    /// Whether a convergence test passed (as opposed to stalling or running out of iterations).
    public var converged: Bool { termination == .gradient || termination == .step || termination == .cost }

    /// Root mean square of the residuals.
    public var rmsResidual: Double {
        residuals.isEmpty ? 0 : (residuals.reduce(0) { $0 + $1 * $1 } / Double(residuals.count)).squareRoot()
    }
}

/// Why a least-squares problem could not be fitted.
public enum LeastSquaresError: Error, Hashable, Sendable, CustomStringConvertible {
    /// More parameters than residuals.
    case underdetermined(parameters: Int, residuals: Int)
    /// Initial value `index` is outside its bound.
    case initialOutsideBounds(index: Int, value: Double, bound: ParameterBound)
    /// The model returned a residual vector of the wrong length.
    case residualCount(expected: Int, got: Int)
    /// The model gave a non-finite residual at the initial parameters.
    case nonFiniteInitialResiduals
    /// `bounds` and `initial` differ in length.
    case boundCount(parameters: Int, bounds: Int)

    public var description: String {
        switch self {
        case let .underdetermined(n, m):
            return "cannot fit \(n) parameters to \(m) residuals: measure more points or fix parameters"
        case let .initialOutsideBounds(i, v, b):
            return "initial value \(v) of parameter \(i) lies outside its bound \(b)"
        case let .residualCount(e, g):
            return "the model returned \(g) residuals, expected \(e)"
        case .nonFiniteInitialResiduals:
            return "the model is not finite at the initial parameters: start from a valid guess"
        case let .boundCount(n, b):
            return "\(n) initial parameters but \(b) bounds"
        }
    }
}
