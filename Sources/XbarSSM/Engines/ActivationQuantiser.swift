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
/// a time: ``geluTanh(_:)-(Double)`` of each lane, bit for bit.
///
/// `0.5 (1 + tanh z)` is the logistic of `2z`, so the function is `x / (1 + e^(−2z))`; written
/// with `t = e^(−2|z|)` (``DecayFactors/exponential(_:)``, whose argument is never positive) it is
/// `x / (1 + t)` for `z ≥ 0` and `x t / (1 + t)` for `z < 0`, both free of overflow and of the
/// cancellation in `1 + tanh z` for negative `z`. Within a few ulps of the same expression with the
/// C library's `exp` (see the tests for the measured bound), with the vector exponential in place of
/// a library call per element: the activation was the most expensive part of an event. Every path
/// that applies the activation (the event kernel by eights, the layer-wise pass one element at a
/// time) computes these lanes with these operations, so they agree bit for bit. Always inlined:
/// as a call its lanes went to memory and back, and the kernel ran some 10 % fewer events per
/// CPU-second for the same count of instructions.
@inlinable @inline(__always)
public func geluTanh(_ x: SIMD8<Double>) -> SIMD8<Double> {
    let z = (2.0 / Double.pi).squareRoot() * (x + 0.044715 * (x * x * x))
    let magnitude = unsafeBitCast(unsafeBitCast(z, to: SIMD8<UInt64>.self) & 0x7FFF_FFFF_FFFF_FFFF, to: SIMD8<Double>.self)
    let t = DecayFactors.exponential(-2 * magnitude)
    // All ones where z is negative (its sign bit spread over the lane), zero elsewhere.
    let negative = unsafeBitCast(unsafeBitCast(z, to: SIMD8<Int64>.self) &>> 63, to: SIMD8<UInt64>.self)
    let numerator = (unsafeBitCast(x, to: SIMD8<UInt64>.self) & ~negative) | (unsafeBitCast(x * t, to: SIMD8<UInt64>.self) & negative)
    return unsafeBitCast(numerator, to: SIMD8<Double>.self) / (1 + t)
}

/// ``geluTanh(_:)-(SIMD8<Double>)`` of one value.
@inlinable
public func geluTanh(_ x: Double) -> Double {
    geluTanh(SIMD8(repeating: x))[0]
}
