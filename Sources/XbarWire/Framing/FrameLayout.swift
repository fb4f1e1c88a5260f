/// Sizes and offsets of a version 1 frame before stuffing:
/// a 9-byte header, the payload, and a 4-byte CRC-32C, all little endian.
///
/// ```
/// offset 0  version       u8   1
/// offset 1  flags         u8   bit 0 reply, bit 1 retry, others zero
/// offset 2  sequence      u16
/// offset 4  opcode        u8
/// offset 5  payloadLength u32  at most maxPayloadBytes
/// offset 9  payload       payloadLength bytes
/// then      crc           u32  CRC-32C of every byte before it
/// ```
public enum FrameLayout {
    /// The protocol version this codec speaks.
    public static let version: UInt8 = 1
    public static let versionOffset = 0
    public static let flagsOffset = 1
    public static let sequenceOffset = 2
    public static let opcodeOffset = 4
    public static let payloadLengthOffset = 5
    /// Bytes before the payload.
    public static let headerBytes = 9
    /// Bytes of the CRC after the payload.
    public static let crcBytes = 4
    /// The largest payload any version 1 frame carries, bytes (64 KiB). A board may accept
    /// less; it says so in IDENTIFY (`maxPayloadBytes`).
    public static let maxPayloadBytes = 65_536
    /// The longest UTF-8 string field, bytes.
    public static let maxStringBytes = 1_024

    /// Bytes of a frame before stuffing, for a payload of `payloadBytes`.
    public static func unstuffedFrameBytes(payloadBytes: Int) -> Int {
        headerBytes + payloadBytes + crcBytes
    }

    /// The most bytes a frame with a payload of `payloadBytes` occupies on the wire after
    /// stuffing, not counting its 0x00 delimiter.
    public static func stuffedFrameBytes(payloadBytes: Int) -> Int {
        COBS.maxEncodedCount(unstuffedFrameBytes(payloadBytes: payloadBytes))
    }
}
