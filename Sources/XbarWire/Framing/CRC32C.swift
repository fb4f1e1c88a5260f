/// CRC-32C (Castagnoli), the checksum that closes every frame.
///
/// Parameters (Rocksoft model): width 32, polynomial 0x1EDC6F41 (reflected 0x82F63B78),
/// initial value 0xFFFFFFFF, input and output reflected, final XOR 0xFFFFFFFF.
/// The check value of the ASCII bytes "123456789" is 0xE3069283.
public enum CRC32C {
    /// The CRC-32C of `bytes`.
    public static func checksum(_ bytes: some Collection<UInt8>) -> UInt32 {
        let fast = bytes.withContiguousStorageIfAvailable { buffer in
            table.withUnsafeBufferPointer { update(0xFFFF_FFFF, buffer, $0) }
        }
        if let fast { return fast ^ 0xFFFF_FFFF }
        let copy = Array(bytes)
        return copy.withUnsafeBufferPointer { buffer in
            table.withUnsafeBufferPointer { update(0xFFFF_FFFF, buffer, $0) }
        } ^ 0xFFFF_FFFF
    }

    private static func update(_ start: UInt32, _ bytes: UnsafeBufferPointer<UInt8>, _ table: UnsafeBufferPointer<UInt32>) -> UInt32 {
        var crc = start
        for byte in bytes {
            crc = table[Int(UInt8(truncatingIfNeeded: crc) ^ byte)] ^ (crc >> 8)
        }
        return crc
    }

    /// One entry per byte value: the reflected polynomial division of that byte.
    private static let table: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
        return c
    }
}
