import Foundation

/// The range a fitted parameter may take.
///
/// Bounds are enforced by reparameterisation: the fitter works on an unbounded internal
/// variable `u` and the model only ever sees `p = transform(u)`, so no step can leave the
/// allowed range and no clamping distorts the step direction.
public enum ParameterBound: Hashable, Sendable {
    /// Any finite value (`p = u`).
    case free
    /// Strictly positive (`p = exp(u)`): scale-like quantities, rates, time constants.
    case positive
    /// Strictly inside `(lower, upper)` (`p = lower + (upper - lower) / (1 + exp(-u))`).
    case interval(lower: Double, upper: Double)

    /// Whether `value` lies strictly inside the range.
    public func contains(_ value: Double) -> Bool {
        guard value.isFinite else { return false }
        switch self {
        case .free: return true
        case .positive: return value > 0
        case let .interval(lo, hi): return value > lo && value < hi
        }
    }

    func external(_ u: Double) -> Double {
        switch self {
        case .free: return u
        case .positive: return exp(u)
        case let .interval(lo, hi): return lo + (hi - lo) / (1 + exp(-u))
        }
    }

    func internalValue(_ p: Double) -> Double {
        switch self {
        case .free: return p
        case .positive: return log(p)
        case let .interval(lo, hi):
            let x = (p - lo) / (hi - lo)
            return log(x / (1 - x))
        }
    }

    /// Keeps an internal value where the external one is still strictly inside the bound
    /// (a logistic of more than 30 rounds to the bound itself).
    func limitInternal(_ u: Double) -> Double {
        switch self {
        case .free: return u
        case .positive: return min(max(u, -700), 700)
        case .interval: return min(max(u, -30), 30)
        }
    }

    /// `dp/du` at internal value `u`.
    func derivative(_ u: Double) -> Double {
        switch self {
        case .free: return 1
        case .positive: return exp(u)
        case let .interval(lo, hi):
            let s = 1 / (1 + exp(-u))
            return (hi - lo) * s * (1 - s)
        }
    }
}
