/// Consistent Overhead Byte Stuffing: removes every zero byte from a frame so that a single
/// 0x00 can mark where frames end, and a receiver that joins mid-stream or sees garbage
/// resynchronises at the next 0x00.
///
/// Each block starts with a code byte `n` (1...255): `n - 1` non-zero data bytes follow, then,
/// unless `n` is 255 or the block ends the frame, a zero that the code byte stands for.
public enum COBS {
    /// The stuffed form of `bytes`, without the trailing delimiter. Never contains 0x00.
    public static func encode(_ bytes: some Collection<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(maxEncodedCount(bytes.count) + 1)
        encode(bytes, into: &out)
        return out
    }

    /// Appends the stuffed form of `bytes` (without delimiter) to `out`.
    public static func encode(_ bytes: some Collection<UInt8>, into out: inout [UInt8]) {
        let done: Void? = bytes.withContiguousStorageIfAvailable { encode($0, into: &out) }
        if done == nil { Array(bytes).withUnsafeBufferPointer { encode($0, into: &out) } }
    }

    private static func encode(_ bytes: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        // Copies each run of non-zero bytes (at most 254) in one piece behind its code byte.
        // A run that ends full (code 255) implies no zero, so when the input ends right after
        // it no further block is written: the canonical form other COBS encoders produce.
        var i = 0
        let n = bytes.count
        while true {
            var j = i
            let limit = min(n, i + 254)
            while j < limit && bytes[j] != 0 { j += 1 }
            out.append(UInt8(j - i + 1))
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[i..<j]))
            if j == n { return }
            // A full block (code 255) implies no zero; a shorter one implies the zero at j.
            i = j - i == 254 ? j : j + 1
        }
    }

    /// The most bytes `count` bytes can stuff to (excluding the delimiter).
    public static func maxEncodedCount(_ count: Int) -> Int {
        count + count / 254 + 1
    }

    /// The original bytes of a stuffed frame (delimiter already removed).
    ///
    /// - Throws: `WireError` of kind `.badCOBS` at the offending offset of `stuffed` when it
    ///   holds a zero byte or a code byte points past its end.
    public static func decode(_ stuffed: some Collection<UInt8>) throws(WireError) -> [UInt8] {
        let bytes = Array(stuffed)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        let failure: WireError? = bytes.withUnsafeBufferPointer { buffer in
            var i = 0
            while i < buffer.count {
                let code = Int(buffer[i])
                guard code != 0 else {
                    return WireError(.badCOBS, field: "frame", offset: i, sequence: sequenceHint(bytes),
                                     reason: "zero byte inside a stuffed frame")
                }
                let end = i + code
                guard end <= buffer.count else {
                    return WireError(.badCOBS, field: "frame", offset: i, sequence: sequenceHint(bytes),
                                     reason: "code byte \(code) runs \(end - buffer.count) bytes past the end of the frame")
                }
                let block = UnsafeBufferPointer(rebasing: buffer[(i + 1)..<end])
                if let zero = block.firstIndex(of: 0) {
                    return WireError(.badCOBS, field: "frame", offset: i + 1 + zero, sequence: sequenceHint(bytes),
                                     reason: "zero byte inside a stuffed frame")
                }
                out.append(contentsOf: block)
                i = end
                if code != 0xFF && i < buffer.count { out.append(0) }
            }
            return nil
        }
        if let failure { throw failure }
        return out
    }

    /// The sequence number a damaged stuffed frame appears to carry, read by unstuffing as far
    /// as possible; nil when fewer than the first four bytes can be recovered.
    static func sequenceHint(_ stuffed: [UInt8]) -> UInt16? {
        var out: [UInt8] = []
        var i = 0
        while i < stuffed.count, out.count < FrameLayout.sequenceOffset + 2 {
            let code = Int(stuffed[i])
            guard code != 0 else { break }
            var j = i + 1
            while j < min(i + code, stuffed.count), out.count < 4 {
                out.append(stuffed[j])
                j += 1
            }
            i += code
            if code != 0xFF && i < stuffed.count { out.append(0) }
        }
        guard out.count >= FrameLayout.sequenceOffset + 2 else { return nil }
        return UInt16(out[FrameLayout.sequenceOffset]) | UInt16(out[FrameLayout.sequenceOffset + 1]) << 8
    }
}
