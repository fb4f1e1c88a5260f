/// An array periphery drawn at random across the realistic ranges: the truth of a simulated
/// "chip" that a calibration or a twin must recover without being told it (tests and
/// benchmarks run against such draws, not against the instrument's own periphery).
extension ArrayPeripheryParameters {
    /// Wire 0.5-3 ohm per cell, lines 10-50 ohm, column gain spread 1-3 %, offsets 0.2-1 % of
    /// full scale, converter bow 0.5-2 LSB (30 % spread), per-code deviation 0-0.4 LSB, and on
    /// passive tiles a half-select fraction of 0.1-1/3, uniformly, seeded by `seed`.
    public static func hiddenDraw(seed: UInt64, passive: Bool) -> ArrayPeripheryParameters {
        var random = Xoshiro256StarStar(seed: seed)
        func uniform(_ range: ClosedRange<Double>) -> Double {
            range.lowerBound + (range.upperBound - range.lowerBound) * random.nextOpenUnit()
        }
        return ArrayPeripheryParameters(
            wireOhmsPerCell: uniform(0.5...3), lineOhms: uniform(10...50), senseGainSpread: uniform(0.01...0.03),
            senseOffsetSpread: uniform(0.002...0.01), adcBowLSB: DistributedParameter(uniform(0.5...2), spread: 0.3),
            adcCodeNoiseLSB: uniform(0...0.4), halfSelectCurrentFraction: passive ? uniform(0.1...(1.0 / 3)) : 0)
    }
}
