import Foundation

/// xoshiro256**: a fast 64-bit generator with a 2^256 - 1 period, used for every random draw
/// of the device models. Seeded deterministically, so the same seed gives the same sequence
/// bit for bit.
public struct Xoshiro256StarStar: RandomNumberGenerator, Sendable {
    @usableFromInline var s0: UInt64
    @usableFromInline var s1: UInt64
    @usableFromInline var s2: UInt64
    @usableFromInline var s3: UInt64
    /// Box-Muller yields normals in pairs; the second waits here.
    @usableFromInline var spareNormal: Double
    @usableFromInline var hasSpareNormal: Bool

    /// A generator whose 256-bit state is expanded from `seed` with SplitMix64
    /// (never all zero, which is the one state xoshiro must avoid).
    public init(seed: UInt64) {
        var expander = SplitMix64(state: seed)
        s0 = expander.next()
        s1 = expander.next()
        s2 = expander.next()
        s3 = expander.next()
        spareNormal = 0
        hasSpareNormal = false
    }

    /// A generator with this exact state (not all zero), as in the reference description.
    public init(state: (UInt64, UInt64, UInt64, UInt64)) {
        precondition(state != (0, 0, 0, 0), "xoshiro256** state must not be all zero")
        (s0, s1, s2, s3) = state
        spareNormal = 0
        hasSpareNormal = false
    }

    @inlinable
    public mutating func next() -> UInt64 {
        let result = rotateLeft(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotateLeft(s3, 45)
        return result
    }

    /// A uniform number in the open interval (0, 1), with 53 random bits.
    @inlinable
    public mutating func nextOpenUnit() -> Double {
        (Double(next() >> 11) + 0.5) * 0x1p-53
    }

    /// A standard normal number (mean 0, standard deviation 1), by Marsaglia's polar method
    /// (normals in pairs, no trigonometric functions).
    @inlinable
    public mutating func nextNormal() -> Double {
        if hasSpareNormal {
            hasSpareNormal = false
            return spareNormal
        }
        while true {
            let u = Double(Int64(bitPattern: next()) >> 11) * 0x1p-52
            let v = Double(Int64(bitPattern: next()) >> 11) * 0x1p-52
            let s = u * u + v * v
            if s >= 1 || s == 0 { continue }
            let factor = (-2 * log(s) / s).squareRoot()
            spareNormal = v * factor
            hasSpareNormal = true
            return u * factor
        }
    }
}

@inlinable @inline(__always)
func rotateLeft(_ x: UInt64, _ k: UInt64) -> UInt64 {
    (x << k) | (x >> (64 - k))
}
