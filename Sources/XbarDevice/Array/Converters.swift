/// An analog-to-digital converter over `[0, fullScale]` with `2^bits` levels: values round
/// to the nearest level; values above full scale read as full scale and are flagged.
public struct UnipolarQuantizer: Hashable, Sendable {
    public let bits: Int
    public let fullScale: Double
    /// Size of one level, `fullScale / (2^bits - 1)`.
    public let step: Double

    public init(bits: Int, fullScale: Double) {
        precondition(bits >= 1 && bits <= 52, "converter resolution must be 1...52 bits")
        precondition(fullScale > 0, "converter full scale must be positive")
        self.bits = bits
        self.fullScale = fullScale
        self.step = fullScale / Double((1 << bits) - 1)
    }

    /// The converted value and whether the input was beyond full scale. Negative inputs read 0.
    @inlinable
    public func convert(_ x: Double) -> (value: Double, saturated: Bool) {
        if x >= fullScale { return (fullScale, x > fullScale) }
        if x <= 0 { return (0, false) }
        return (Double(Int64(x / step + 0.5)) * step, false)
    }
}

/// A converter over `[-fullScale, +fullScale]` with `2^bits - 1` symmetric levels (so that
/// zero and both full scales are exact): values round to the nearest level; values beyond
/// full scale read as full scale of their sign and are flagged.
public struct BipolarQuantizer: Hashable, Sendable {
    public let bits: Int
    public let fullScale: Double
    /// Size of one level, `fullScale / (2^(bits-1) - 1)`.
    public let step: Double

    public init(bits: Int, fullScale: Double) {
        precondition(bits >= 2 && bits <= 52, "bipolar converter resolution must be 2...52 bits")
        precondition(fullScale > 0, "converter full scale must be positive")
        self.bits = bits
        self.fullScale = fullScale
        self.step = fullScale / Double((1 << (bits - 1)) - 1)
    }

    @inlinable
    public func convert(_ x: Double) -> (value: Double, saturated: Bool) {
        if x >= fullScale { return (fullScale, x > fullScale) }
        if x <= -fullScale { return (-fullScale, x < -fullScale) }
        // Round half away from zero by truncation (no libm call); |x / step| < 2^51 here.
        let q = x / step
        return (Double(Int64(q + (q < 0 ? -0.5 : 0.5))) * step, false)
    }
}
