/// Mean and unbiased variance of a sample of measurements: the one place they are computed.
public struct SampleMoments: Hashable, Sendable {
    public var count: Int
    /// 0 for an empty sample.
    public var mean: Double
    /// Unbiased (`n - 1`) variance; 0 for fewer than two values.
    public var variance: Double

    public init<Values: Collection>(_ values: Values) where Values.Element == Double {
        count = values.count
        let n = Double(count)
        mean = count > 0 ? values.reduce(0, +) / n : 0
        let m = mean
        variance = count > 1 ? values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / (n - 1) : 0
    }

    public var standardDeviation: Double { variance.squareRoot() }

    /// Standard deviation over the mean's magnitude (0 when the mean is 0).
    public var relativeSpread: Double { mean != 0 ? standardDeviation / abs(mean) : 0 }

    /// One-sigma uncertainty of the mean, `sd / sqrt(n)`; infinite for fewer than two values.
    public var meanUncertainty: Double { count > 1 ? (variance / Double(count)).squareRoot() : .infinity }

    /// One-sigma uncertainty of the median of a normal sample: `sqrt(pi / 2)` times that of the mean.
    public var medianUncertainty: Double { (Double.pi / 2).squareRoot() * meanUncertainty }
}
