/// The models' symmetric 8-bit activation quantiser, `q(v, r) = round(clip(v / r, -1, 1) * 127) * r / 127`,
/// rounding half to even as NumPy does. Identity for float models (`range == nil`).
public enum ActivationQuantiser {
    public static let levels = 127.0

    @inlinable
    public static func quantise(_ v: Double, range r: Double?) -> Double {
        guard let r else { return v }
        return roundedHalfEven(min(max(v / r, -1), 1) * levels) * (r / levels)
    }

    /// `y.rounded(.toNearestOrEven)` for |y| ≤ 127, without a call into the C library: adding
    /// and subtracting 1.5 · 2⁵² leaves no fraction bits, so the addition itself rounds half
    /// to even (the default rounding mode). About 7x faster, and this rounding runs four times
    /// per state and layer at every event. The sign is put back so that −0.3 gives −0, as the
    /// library's rounding does.
    @inlinable
    static func roundedHalfEven(_ y: Double) -> Double {
        let shifter = 6_755_399_441_055_744.0
        return Double(signOf: y, magnitudeOf: (y + shifter) - shifter)
    }

    @inlinable
    public static func quantise(_ v: [Double], range r: Double?) -> [Double] {
        guard r != nil else { return v }
        return v.map { quantise($0, range: r) }
    }
}

/// The tanh approximation of GELU, `0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³)))`, eight lanes at
/// a time: ``geluTanh(_:on:)-(Double,_)`` of each lane, bit for bit.
///
/// `0.5 (1 + tanh z)` is the logistic of `2z`, so the function is `x / (1 + e^(−2z))`; written
/// with `t = e^(−2|z|)` (the exponential of ``DecayFactors``, whose argument is never positive) it
/// is `x / (1 + t)` for `z ≥ 0` and `x t / (1 + t)` for `z < 0`, both free of overflow and of the
/// cancellation in `1 + tanh z` for negative `z`. Within a few ulps of the same expression with the
/// C library's `exp` (see the tests for the measured bound), with the vector exponential in place of
/// a library call per element: the activation was the most expensive part of an event. Every path
/// that applies the activation (the event kernel by eights, the layer-wise pass one element at a
/// time, either ``VectorInstructionSet``) computes these lanes with these operations, so they agree
/// bit for bit.
public func geluTanh(_ x: SIMD8<Double>, on instructions: VectorInstructionSet = .fastest) -> SIMD8<Double> {
    DecayFactors.lanes(x) { instructions.loops.gelu($0, 8, $1) }
}

/// ``geluTanh(_:on:)-(SIMD8<Double>,_)`` of one value.
public func geluTanh(_ x: Double, on instructions: VectorInstructionSet = .fastest) -> Double {
    var input = x, out = 0.0
    instructions.loops.gelu(&input, 1, &out)
    return out
}
