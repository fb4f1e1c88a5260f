/// `exp(-dt / tau)` for eight time constants at once: the factor each state keeps over `dt`
/// seconds, the one exponential of the event SSM's recursion.
///
/// The digital reference's event kernel needs one factor per state part and event (128 per
/// event on a board-trained model whose every node has its own time constant); the C library's
/// `exp`, one call per factor, was most of that kernel's time. This evaluates eight lanes in the
/// SIMD registers instead, with the classic reduction: `x = n ln 2 + r`, `|r| <= ln 2 / 2`,
/// `n` rounded to nearest, `ln 2` split in two parts (Cody and Waite) so that `r` is exact
/// to the last bit, `e^r` by the [6/6] Padé approximant written as
/// `1 + 2 r O(r²) / (E(r²) - r O(r²))` (its error is below 2e-19 of the result over the reduced
/// range, and the rounding of the fraction is scaled down by its size, about `r / 2`), and `2^n`
/// put together in the exponent bits. The result is within about one unit in the last place of
/// the true exponential; `dt = 0` gives exactly 1. Factors below about `e^-708.7` (`n` at -1023
/// or under, a state that has lost all but 1e-307 of itself) are 0.
///
/// The Padé form costs one division and 15 operations per lane where the Taylor series to the
/// twelfth power cost 24: the two-lane registers of the baseline x86-64 instruction set make
/// every operation count, and a table of `2^(j/N)` saves nothing there (its lookups are scalar
/// loads, as many as the polynomial terms they spare). Most events come well within a third of
/// the time constants after the one before, where the reduction leaves `r = x` and a scale of
/// 1: ``decays`` then skips it for eight lanes at a time, with the same result to the bit.
///
/// Every path that decays a state (``SSMModel/decay(_:_:)`` one at a time, ``decays`` by
/// eights) gets the same lanes (a negative `dt` taken as 0 in both), so the event kernel and the
/// layer-wise forward pass agree bit for bit.
public enum DecayFactors {
    @usableFromInline static let log2e = 1.4426950408889634
    @usableFromInline static let ln2High = 6.93147180369123816490e-01
    @usableFromInline static let ln2Low = 1.90821492927058770002e-10
    /// 1.5 x 2^52: adding it rounds a double of magnitude under 2^51 to the nearest integer
    /// (ties to even) and leaves that integer in the low bits of the sum.
    @usableFromInline static let shifter = 6_755_399_441_055_744.0

    /// `exp(x)` lane by lane, for `x <= 0` (callers pass decays and the activation's `-2|z|`; a
    /// positive lane is not clamped and gives `e^x` up to `x = 709`, nonsense beyond).
    ///
    /// Written with lane-wise arithmetic and bit operations only (no per-lane conversions or
    /// selects), which the compiler keeps in vector registers. Always inlined: as a call it kept
    /// its argument and its caller's values in memory around it, some 18 instructions of about 180.
    @inlinable @inline(__always)
    public static func exponential(_ x: SIMD8<Double>) -> SIMD8<Double> {
        exponential(x, shifted: x * log2e + shifter)
    }

    /// ``exponential(_:)`` of `x` given `t = x log2(e) + shifter`, whose low bits are the `n` of
    /// the reduction.
    @inlinable @inline(__always)
    static func exponential(_ x: SIMD8<Double>, shifted t: SIMD8<Double>) -> SIMD8<Double> {
        let n = t - shifter
        let p = reducedExponential((x - n * ln2High) - n * ln2Low)
        // 2^n: n + 1023 in the exponent field (n sits in the low bits of t).
        let scale = unsafeBitCast((unsafeBitCast(t, to: SIMD8<UInt64>.self) &+ 1023) &<< 52, to: SIMD8<Double>.self)
        let result = unsafeBitCast(p * scale, to: SIMD8<UInt64>.self)
        // All ones where n >= -1023 (the sign of t - (shifter - 1023) spread over the lane), zero
        // below: there the exponent field would wrap, and the factor is 0. Read from t, which
        // the scale keeps anyway, rather than from x, which would stay live through the lanes.
        let kept = ~unsafeBitCast(unsafeBitCast(t - (shifter - 1023), to: SIMD8<Int64>.self) &>> 63, to: SIMD8<UInt64>.self)
        return unsafeBitCast(result & kept, to: SIMD8<Double>.self)
    }

    /// `e^r` by the [6/6] Padé approximant, for `|r| <= ln 2 / 2`.
    @inlinable @inline(__always)
    static func reducedExponential(_ r: SIMD8<Double>) -> SIMD8<Double> {
        // (E + r O) / (E - r O), with E and O the even and odd parts of its numerator:
        // 1 + r/2 + 5r²/44 + r³/66 + r⁴/792 + r⁵/15840 + r⁶/665280.
        let z = r * r
        var even = SIMD8<Double>(repeating: 1.0 / 665_280)
        even = even * z + 1.0 / 792
        even = even * z + 5.0 / 44
        even = even * z + 1
        var odd = SIMD8<Double>(repeating: 1.0 / 15_840)
        odd = odd * z + 1.0 / 66
        odd = odd * z + 0.5
        let rOdd = r * odd
        return 1 + (rOdd + rOdd) / (even - rOdd)
    }

    /// ``exponential(_:)`` of `x` into `out[0..<8]`, bit for bit, without the reduction's
    /// operations when every lane reduces by `n = 0` (`|x| < 0.3466`, which holds for most decays:
    /// an event's interval is mostly well under a third of the time constant). Then `r = x`
    /// exactly, the scale is exactly 1 and every lane is kept, so ``reducedExponential(_:)`` of `x`
    /// is the whole result. Each branch stores its own lanes: one vector returned from both made
    /// the compiler shuffle the shortcut's lanes apart and back, 300 instructions an event.
    @inlinable @inline(__always)
    static func decayExponential(_ x: SIMD8<Double>, into out: UnsafeMutablePointer<Double>) {
        let t = x * log2e + shifter
        // Zero in every lane where t is the shifter itself, n = 0. Or-ed down to one lane by
        // halves, which stays in vector registers (the library's reductions are calls).
        let eight = unsafeBitCast(t, to: SIMD8<UInt64>.self) ^ shifter.bitPattern
        let four = eight.lowHalf | eight.highHalf
        let two = four.lowHalf | four.highHalf
        if two[0] | two[1] == 0 {
            UnsafeMutableRawPointer(out).storeBytes(of: reducedExponential(x), as: SIMD8<Double>.self)
        } else {
            UnsafeMutableRawPointer(out).storeBytes(of: exponential(x, shifted: t), as: SIMD8<Double>.self)
        }
    }

    /// `factors[k] = exp(-dt / taus[k])` for `count` time constants (seconds). A negative `dt`
    /// is taken as 0: a decay never grows a state. A `count` that is a multiple of eight runs in
    /// vector loads and stores only; the last lanes of any other count are put together one by one.
    /// Eight constants whose factors need no reduction (``decayExponential(_:)``) take fewer
    /// operations, so listing constants of similar size together makes a call cheaper.
    @inlinable
    public static func decays(_ dtSeconds: Double, taus: UnsafePointer<Double>, count: Int, into factors: UnsafeMutablePointer<Double>) {
        if dtSeconds <= 0 {
            // What the lanes would give: e^-0 is exactly 1.
            factors.update(repeating: 1, count: count)
            return
        }
        let elapsed = -SIMD8<Double>(repeating: dtSeconds)
        var k = 0
        while k + 8 <= count {
            let tau = UnsafeRawPointer(taus + k).loadUnaligned(as: SIMD8<Double>.self)
            decayExponential(elapsed / tau, into: factors + k)
            k += 8
        }
        if k < count {
            var tau = SIMD8<Double>(repeating: 1)
            for i in k..<count { tau[i - k] = taus[i] }
            let f = exponential(elapsed / tau)
            for i in k..<count { factors[i] = f[i - k] }
        }
    }
}
