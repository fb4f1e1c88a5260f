import Foundation

extension DistributedParameter {
    /// One device's value of a strictly positive parameter: lognormal with exactly this
    /// population mean and relative standard deviation (`spread`), i.e.
    /// `mean * exp(sigma * xi - sigma^2 / 2)` with `sigma^2 = ln(1 + spread^2)`.
    ///
    /// Always consumes one normal number, even without spread, so that the draws of the
    /// other parameters of a cell do not shift when one spread is set to zero.
    public func drawPositive(using generator: inout Xoshiro256StarStar) -> Double {
        let xi = generator.nextNormal()
        guard spread > 0 else { return mean }
        let variance = log1p(spread * spread)
        return mean * exp(variance.squareRoot() * xi - variance / 2)
    }
}
