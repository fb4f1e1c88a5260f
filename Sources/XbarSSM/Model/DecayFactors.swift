/// `exp(-dt / tau)` for eight time constants at once: the factor each state keeps over `dt`
/// seconds, the one exponential of the event SSM's recursion.
///
/// The digital reference's event kernel needs one factor per state part and event (128 per
/// event on a board-trained model whose every node has its own time constant); the C library's
/// `exp`, one call per factor, was most of that kernel's time. The lanes are evaluated in vector
/// registers instead (`Sources/CVectorLoops`, compiled for the ``VectorInstructionSet``s), with the
/// classic reduction: `x = n ln 2 + r`, `|r| <= ln 2 / 2`, `n` rounded to nearest, `ln 2` split
/// in two parts (Cody and Waite) so that `r` is exact to the last bit, `e^r` by the [6/6] Padé
/// approximant, and `2^n` put together in the exponent bits. The result is within about one unit
/// in the last place of the true exponential; `dt = 0` gives exactly 1. Factors below about
/// `e^-708.7` (a state that has lost all but 1e-307 of itself) are 0.
///
/// Most events come well within a third of the time constants after the one before, where the
/// reduction leaves `r = x` and a scale of 1: ``decays`` then skips it for eight lanes at a time,
/// with the same result to the bit.
///
/// Every path that decays a state (``SSMModel/decay(_:_:)`` one at a time, ``decays`` by
/// eights, on either instruction set) gets the same lanes (a negative `dt` taken as 0 in all),
/// so the event kernel and the layer-wise forward pass agree bit for bit.
public enum DecayFactors {
    /// `exp(x)` lane by lane, for `x <= 0` (callers pass decays and the activation's `-2|z|`; a
    /// positive lane is not clamped and gives `e^x` up to `x = 709`, nonsense beyond).
    public static func exponential(_ x: SIMD8<Double>, on instructions: VectorInstructionSet = .fastest) -> SIMD8<Double> {
        lanes(x) { instructions.loops.exponential($0, 8, $1) }
    }

    /// The Padé fraction alone, for `|r| <= ln 2 / 2`: what a lane reducing by `n = 0` gives.
    static func reducedExponential(_ r: SIMD8<Double>, on instructions: VectorInstructionSet = .fastest) -> SIMD8<Double> {
        lanes(r) { instructions.loops.reducedExponential8($0, $1) }
    }

    /// ``exponential(_:on:)`` of `x` into `out[0..<8]`, bit for bit, without the reduction's
    /// operations when every lane reduces by `n = 0` (`|x| < 0.3466`).
    static func decayExponential(_ x: SIMD8<Double>, into out: UnsafeMutablePointer<Double>, on instructions: VectorInstructionSet = .fastest) {
        withUnsafeBytes(of: x) { instructions.loops.decayExponential8($0.baseAddress!.assumingMemoryBound(to: Double.self), out) }
    }

    /// `factors[k] = exp(-dt / taus[k])` for `count` time constants (seconds). A negative `dt`
    /// is taken as 0: a decay never grows a state. A `count` that is a multiple of eight runs in
    /// vector loads and stores only; the last lanes of any other count are put together one by one.
    /// Eight constants whose factors need no reduction take fewer operations, so listing
    /// constants of similar size together makes a call cheaper.
    public static func decays(_ dtSeconds: Double, taus: UnsafePointer<Double>, count: Int, into factors: UnsafeMutablePointer<Double>,
                              on instructions: VectorInstructionSet = .fastest) {
        instructions.loops.decays(dtSeconds, taus, count, factors)
    }

    /// Eight lanes through a C loop that reads `x` and writes its result.
    static func lanes(_ x: SIMD8<Double>, _ loop: (UnsafePointer<Double>, UnsafeMutablePointer<Double>) -> Void) -> SIMD8<Double> {
        var out = SIMD8<Double>()
        withUnsafeBytes(of: x) { input in
            withUnsafeMutableBytes(of: &out) { loop(input.baseAddress!.assumingMemoryBound(to: Double.self), $0.baseAddress!.assumingMemoryBound(to: Double.self)) }
        }
        return out
    }
}
