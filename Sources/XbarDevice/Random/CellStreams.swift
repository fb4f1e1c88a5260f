import Foundation

/// Random streams tied to a cell rather than to the order of operations.
///
/// A cell's device-to-device draws and its relaxation path come from a key derived from
/// (board seed, tile, row, column) alone, so they do not change when other cells are pulsed,
/// read or created in another order.
public enum CellStreams {
    /// The key of one cell: a hash of the board seed and the cell's address.
    public static func key(seed: UInt64, tile: UInt8, row: Int, column: Int) -> UInt64 {
        let address = UInt64(tile) << 48 | UInt64(UInt32(truncatingIfNeeded: row)) << 24
            | UInt64(UInt32(truncatingIfNeeded: column))
        return SplitMix64.mix(SplitMix64.mix(seed ^ 0x5EED_CE11_0000_0000) ^ address)
    }

    /// A generator for the cell's device-to-device draws.
    public static func drawGenerator(key: UInt64) -> Xoshiro256StarStar {
        Xoshiro256StarStar(seed: key ^ 0xD2D0_D2D0_D2D0_D2D0)
    }

    /// A standard normal number that is a pure function of `(key, epoch, step)`: the same
    /// arguments always give the same number, whatever happened before.
    @inlinable
    public static func normal(key: UInt64, epoch: UInt64, step: UInt64) -> Double {
        let h = SplitMix64.mix(key ^ SplitMix64.mix(epoch &* 0x9E37_79B9_7F4A_7C15 &+ step))
        let h2 = SplitMix64.mix(h ^ 0xA5A5_A5A5_A5A5_A5A5)
        let u1 = (Double(h >> 11) + 0.5) * 0x1p-53
        let u2 = (Double(h2 >> 11) + 0.5) * 0x1p-53
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}
