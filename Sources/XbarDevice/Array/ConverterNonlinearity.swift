/// The integral non-linearity of one ADC: a smooth bow, zero at both ends of the range and
/// `bowLSB` at mid-scale, plus a fixed random deviation per output code. Both are properties
/// of one converter, drawn once per board.
public struct ConverterNonlinearity: Hashable, Sendable {
    /// Deviation at mid-scale, LSB.
    public var bowLSB: Double
    /// Deviation per code, LSB, indexed from the lowest code (empty: none).
    public var codeLSB: [Double]

    public init(bowLSB: Double, codeLSB: [Double]) {
        self.bowLSB = bowLSB
        self.codeLSB = codeLSB
    }

    /// No deviation from ideal rounding.
    public static let none = ConverterNonlinearity(bowLSB: 0, codeLSB: [])

    /// One converter's non-linearity of `codes` output codes: its bow drawn from `bow`
    /// (normal around the mean with the relative spread), its per-code deviations normal with
    /// standard deviation `codeSpreadLSB`.
    public static func draw(codes: Int, bow: DistributedParameter, codeSpreadLSB: Double,
                            using generator: inout Xoshiro256StarStar) -> ConverterNonlinearity {
        let b = bow.mean * (1 + bow.spread * generator.nextNormal())
        let table = codeSpreadLSB > 0 ? (0..<codes).map { _ in codeSpreadLSB * generator.nextNormal() } : []
        return ConverterNonlinearity(bowLSB: b, codeLSB: table)
    }

    /// The deviation, LSB, at input `q` (in LSB from the lowest code) of a converter spanning
    /// `span` LSB.
    @inlinable
    public func deviation(atLSB q: Double, span: Double) -> Double {
        let u = q / span
        var d = bowLSB * 4 * u * (1 - u)
        if !codeLSB.isEmpty {
            let index = min(max(Int(q + 0.5), 0), codeLSB.count - 1)
            d += codeLSB[index]
        }
        return d
    }
}

extension UnipolarQuantizer {
    /// Converts with a non-linearity: the input, in LSB, moves by the converter's deviation
    /// before rounding. Beyond full scale reads full scale and is flagged; below 0 reads 0.
    @inlinable
    public func convert(_ x: Double, nonlinearity: ConverterNonlinearity) -> (value: Double, saturated: Bool) {
        if x >= fullScale { return (fullScale, x > fullScale) }
        if x <= 0 { return (0, false) }
        let span = Double((1 << bits) - 1)
        let q = x / step
        let code = min(max((q + nonlinearity.deviation(atLSB: q, span: span) + 0.5).rounded(.down), 0), span)
        return (code * step, false)
    }
}

extension BipolarQuantizer {
    /// Converts with a non-linearity over the converter's whole span, from negative to
    /// positive full scale (its mid-scale is zero input).
    @inlinable
    public func convert(_ x: Double, nonlinearity: ConverterNonlinearity) -> (value: Double, saturated: Bool) {
        if x >= fullScale { return (fullScale, x > fullScale) }
        if x <= -fullScale { return (-fullScale, x < -fullScale) }
        let half = Double((1 << (bits - 1)) - 1)
        let q = x / step + half
        let code = min(max((q + nonlinearity.deviation(atLSB: q, span: 2 * half) + 0.5).rounded(.down), 0), 2 * half)
        return ((code - half) * step, false)
    }
}
