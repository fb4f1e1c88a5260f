/// `exp(-dt / tau)` for eight time constants at once: the factor each state keeps over `dt`
/// seconds, the one exponential of the event SSM's recursion.
///
/// The digital reference's event kernel needs one factor per state part and event (128 per
/// event on a board-trained model whose every node has its own time constant); the C library's
/// `exp`, one call per factor, was most of that kernel's time. This evaluates eight lanes in the
/// SIMD registers instead, with the classic reduction: `x = n ln 2 + r`, `|r| <= ln 2 / 2`,
/// `n` rounded to nearest, `ln 2` split in two parts (Cody and Waite) so that `r` is exact
/// to the last bit, `e^r` by its Taylor series to the twelfth power (the first term left out
/// is below 2e-16 of the result), and `2^n` put together in the exponent bits. The result is
/// within about one unit in the last place of the true exponential; `dt = 0` gives exactly 1.
/// Factors below `e^-708` (under the smallest normal double, a state that has lost all but
/// 1e-307 of itself) are 0.
///
/// Every path that decays a state (``SSMModel/decay(_:_:)`` one at a time, ``decays`` by
/// eights) computes the same lanes with the same operations, so the event kernel and the
/// layer-wise forward pass agree bit for bit.
public enum DecayFactors {
    @usableFromInline static let log2e = 1.4426950408889634
    @usableFromInline static let ln2High = 6.93147180369123816490e-01
    @usableFromInline static let ln2Low = 1.90821492927058770002e-10
    /// 1.5 x 2^52: adding it rounds a double of magnitude under 2^51 to the nearest integer
    /// (ties to even) and leaves that integer in the low bits of the sum.
    @usableFromInline static let shifter = 6_755_399_441_055_744.0
    /// Below this exponent the factor would not be a normal double.
    @usableFromInline static let smallestExponent = -708.3

    /// `exp(x)` lane by lane, for `x <= 0` (larger `x` are taken as 0: decays never grow).
    ///
    /// Written with lane-wise arithmetic and bit operations only (no per-lane conversions or
    /// selects), which the compiler keeps in vector registers.
    @inlinable
    public static func exponential(_ x: SIMD8<Double>) -> SIMD8<Double> {
        // x where it is negative, 0 elsewhere (the sign of x spread over the lane as a mask). Below
        // the smallest exponent the lanes compute garbage that `kept` below turns into 0, so no
        // lower clamp is needed (the library's pointwiseMax is not inlined: a call per use).
        let negative = unsafeBitCast(unsafeBitCast(x, to: SIMD8<Int64>.self) &>> 63, to: SIMD8<UInt64>.self)
        let clamped = unsafeBitCast(unsafeBitCast(x, to: SIMD8<UInt64>.self) & negative, to: SIMD8<Double>.self)
        let t = clamped * log2e + shifter
        let n = t - shifter
        let r = (clamped - n * ln2High) - n * ln2Low
        // Horner over 1/k!, k = 12 down to 1.
        var p = SIMD8<Double>(repeating: 1.0 / 479_001_600)
        p = p * r + 1.0 / 39_916_800
        p = p * r + 1.0 / 3_628_800
        p = p * r + 1.0 / 362_880
        p = p * r + 1.0 / 40_320
        p = p * r + 1.0 / 5_040
        p = p * r + 1.0 / 720
        p = p * r + 1.0 / 120
        p = p * r + 1.0 / 24
        p = p * r + 1.0 / 6
        p = p * r + 0.5
        p = p * r + 1
        p = p * r + 1
        // 2^n: n + 1023 in the exponent field (n sits in the low bits of t).
        let scale = unsafeBitCast((unsafeBitCast(t, to: SIMD8<UInt64>.self) &+ 1023) &<< 52, to: SIMD8<Double>.self)
        let result = unsafeBitCast(p * scale, to: SIMD8<UInt64>.self)
        // All ones where x is at or above the smallest exponent (the sign of x - smallest
        // spread over the lane), zero below it: an underflowing factor is 0.
        let kept = ~unsafeBitCast(unsafeBitCast(x - smallestExponent, to: SIMD8<Int64>.self) &>> 63, to: SIMD8<UInt64>.self)
        return unsafeBitCast(result & kept, to: SIMD8<Double>.self)
    }

    /// `factors[k] = exp(-dt / taus[k])` for `count` time constants (seconds).
    @inlinable
    public static func decays(_ dtSeconds: Double, taus: UnsafePointer<Double>, count: Int, into factors: UnsafeMutablePointer<Double>) {
        var k = 0
        while k + 8 <= count {
            let tau = UnsafeRawPointer(taus + k).loadUnaligned(as: SIMD8<Double>.self)
            let f = exponential(-SIMD8<Double>(repeating: dtSeconds) / tau)
            UnsafeMutableRawPointer(factors + k).storeBytes(of: f, as: SIMD8<Double>.self)
            k += 8
        }
        if k < count {
            var tau = SIMD8<Double>(repeating: 1)
            for i in k..<count { tau[i - k] = taus[i] }
            let f = exponential(-SIMD8<Double>(repeating: dtSeconds) / tau)
            for i in k..<count { factors[i] = f[i - k] }
        }
    }
}
