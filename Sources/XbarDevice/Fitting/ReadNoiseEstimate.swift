/// Relative read noise estimated from repeated reads of devices held at a fixed conductance.
public struct ReadNoiseEstimate: Hashable, Sendable, Codable {
    /// Relative standard deviation of one read, after removing the converter's quantisation.
    public var relativeSigma: Double
    /// One-sigma uncertainty of `relativeSigma`.
    public var uncertainty: Double
    /// Reads that contributed.
    public var readCount: Int

    /// Pools the relative variance of every device's reads.
    ///
    /// - Parameters:
    ///   - reads: per device, repeated conductance reads, siemens.
    ///   - quantumSiemens: one converter step expressed as conductance (full-scale current /
    ///     2^bits / read voltage); its uniform quantisation variance `q^2 / 12` is not device noise.
    /// Returns nil without at least two reads of some device.
    public init?(reads: [[Double]], quantumSiemens: Double) {
        var sum = 0.0, dof = 0
        for list in reads where list.count >= 2 {
            let sample = SampleMoments(list)
            guard sample.mean > 0 else { continue }
            let device = max(0, sample.variance - quantumSiemens * quantumSiemens / 12)
            sum += device / (sample.mean * sample.mean) * Double(list.count - 1)
            dof += list.count - 1
        }
        guard dof > 0 else { return nil }
        relativeSigma = (sum / Double(dof)).squareRoot()
        uncertainty = relativeSigma / (2 * Double(dof)).squareRoot()
        readCount = reads.reduce(0) { $0 + $1.count }
    }
}
