/// The device-to-device distribution of a parameter estimated from per-device fits.
///
/// The scatter of fitted values is the true device-to-device spread plus each fit's own error;
/// maximum likelihood separates the two, weighting each device by `1 / (spread^2 + sigma_i^2)`.
public struct PopulationEstimate: Hashable, Sendable, Codable {
    public var mean: Double
    /// Relative device-to-device spread (standard deviation over mean), after removing fit error.
    public var relativeSpread: Double
    /// One-sigma uncertainty of the mean.
    public var meanUncertainty: Double
    /// One-sigma uncertainty of the relative spread (large-sample approximation).
    public var spreadUncertainty: Double
    /// Devices that contributed (finite value and uncertainty).
    public var count: Int
    /// Devices left out as outliers: more than five median absolute deviations from the
    /// median, or an uncertainty more than ten times the median one.
    public var rejected: Int

    public var distributed: DistributedParameter { DistributedParameter(mean, spread: relativeSpread) }

    /// Estimates from per-device values and their one-sigma fit uncertainties.
    /// Devices with a non-finite value or uncertainty are left out; returns nil when fewer than two remain.
    public init?(values: [Double], uncertainties: [Double]) {
        var pairs = zip(values, uncertainties).filter { $0.0.isFinite && $0.1.isFinite }
        guard pairs.count >= 2 else { return nil }
        // A failed device fit lands far from the rest; five median absolute deviations (about
        // 3.4 sigma of a normal population) separate it from honest scatter.
        // Likewise a fit whose uncertainty is far above the typical one says little and would
        // swamp the correction for fit error.
        let typicalSigma = pairs.map(\.1).sorted()[pairs.count / 2]
        if typicalSigma > 0 { pairs = pairs.filter { $0.1 <= 10 * typicalSigma } }
        let sorted = pairs.map(\.0).sorted()
        let median = sorted[sorted.count / 2]
        let mad = pairs.map { abs($0.0 - median) }.sorted()[pairs.count / 2]
        let before = zip(values, uncertainties).filter { $0.0.isFinite && $0.1.isFinite }.count
        if mad > 0 { pairs = pairs.filter { abs($0.0 - median) <= 5 * mad } }
        rejected = before - pairs.count
        guard pairs.count >= 2 else { return nil }
        let n = Double(pairs.count)
        let sample = SampleMoments(pairs.map(\.0))
        let variance = sample.variance
        // Maximum likelihood for values drawn from a population of variance tau^2, each seen
        // through its own fit error: weights 1 / (tau^2 + sigma_i^2). Unlike subtracting the
        // mean fit variance from the scatter, a few poorly determined devices neither swamp the
        // correction nor the scatter. Fixed-point iteration from the method of moments.
        var tau2 = max(0, variance - pairs.reduce(0) { $0 + $1.1 * $1.1 } / n)
        var mean = sample.mean
        for _ in 0..<200 {
            let weights = pairs.map { 1 / max(tau2 + $0.1 * $0.1, 1e-300) }
            let total = weights.reduce(0, +)
            mean = zip(pairs, weights).reduce(0) { $0 + $1.0.0 * $1.1 } / total
            var numerator = 0.0, denominator = 0.0
            for (pair, w) in zip(pairs, weights) {
                numerator += w * w * ((pair.0 - mean) * (pair.0 - mean) * n / (n - 1) - pair.1 * pair.1)
                denominator += w * w
            }
            let next = max(0, numerator / denominator)
            if abs(next - tau2) <= 1e-12 * max(next, 1e-300) { tau2 = next; break }
            tau2 = next
        }
        self.mean = mean
        self.relativeSpread = mean != 0 ? tau2.squareRoot() / abs(mean) : 0
        let weights = pairs.map { 1 / max(tau2 + $0.1 * $0.1, 1e-300) }
        self.meanUncertainty = 1 / weights.reduce(0, +).squareRoot()
        // sd of a sample standard deviation ~ sigma / sqrt(2 (n - 1)).
        self.spreadUncertainty = mean != 0 ? (variance.squareRoot() / (2 * (n - 1)).squareRoot()) / abs(mean) : 0
        self.count = pairs.count
    }
}
