/// The flags byte of a frame header.
public struct FrameFlags: OptionSet, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Set on every frame a board sends; clear on every frame a host sends.
    public static let reply = FrameFlags(rawValue: 1 << 0)
    /// Set by a host re-sending a request under the sequence number it used before.
    public static let retry = FrameFlags(rawValue: 1 << 1)

    /// Every flag version 1 defines; the other bits must be zero.
    public static let known: FrameFlags = [.reply, .retry]
}

/// What precedes the payload of every frame.
public struct FrameHeader: Hashable, Sendable {
    /// Protocol version, 1 for this codec.
    public var version: UInt8
    public var flags: FrameFlags
    /// Chosen by the host per request (one more than the last new request, modulo 2^16);
    /// a reply carries the sequence number of the request it answers.
    public var sequence: UInt16
    public var opcode: Opcode

    public init(version: UInt8 = FrameLayout.version, flags: FrameFlags, sequence: UInt16, opcode: Opcode) {
        self.version = version
        self.flags = flags
        self.sequence = sequence
        self.opcode = opcode
    }
}

/// One checked frame: its header and its (not yet decoded) payload.
public struct Frame: Hashable, Sendable {
    public var header: FrameHeader
    public var payload: [UInt8]

    public init(header: FrameHeader, payload: [UInt8]) {
        self.header = header
        self.payload = payload
    }

    /// The frame before stuffing: header, payload, CRC-32C.
    public func unstuffedBytes() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(FrameLayout.unstuffedFrameBytes(payloadBytes: payload.count))
        bytes.append(header.version)
        bytes.append(header.flags.rawValue)
        bytes.put(header.sequence)
        bytes.append(header.opcode.rawValue)
        bytes.put(UInt32(truncatingIfNeeded: payload.count))
        bytes.append(contentsOf: payload)
        bytes.put(CRC32C.checksum(bytes))
        return bytes
    }

    /// The frame as it goes on the wire: stuffed, followed by the 0x00 delimiter.
    ///
    /// A payload over ``FrameLayout/maxPayloadBytes`` is still encoded, and every receiver
    /// refuses it as oversized; senders check the size first and split the work.
    public func wireBytes() -> [UInt8] {
        let unstuffed = unstuffedBytes()
        var out: [UInt8] = []
        out.reserveCapacity(COBS.maxEncodedCount(unstuffed.count) + 1)
        COBS.encode(unstuffed, into: &out)
        out.append(0)
        return out
    }

    /// Checks and splits one frame (delimiter removed) as it came off the wire.
    ///
    /// Checks in this order: stuffing, minimum size, CRC, version, flags, payload length,
    /// opcode. Nothing after a failed check is trusted.
    ///
    /// - Parameter maxPayloadBytes: the largest payload accepted, bytes.
    /// - Throws: `WireError` naming the failed check and its offset, with the sequence number
    ///   whenever the first four bytes could be recovered.
    public init(stuffed: some Collection<UInt8>, maxPayloadBytes: Int = FrameLayout.maxPayloadBytes) throws(WireError) {
        try self.init(unstuffed: COBS.decode(stuffed), maxPayloadBytes: maxPayloadBytes)
    }

    /// Checks and splits one frame after unstuffing. See ``init(stuffed:maxPayloadBytes:)``.
    public init(unstuffed bytes: [UInt8], maxPayloadBytes: Int = FrameLayout.maxPayloadBytes) throws(WireError) {
        let minimum = FrameLayout.headerBytes + FrameLayout.crcBytes
        let sequence: UInt16? = bytes.count >= FrameLayout.sequenceOffset + 2
            ? UInt16(bytes[FrameLayout.sequenceOffset]) | UInt16(bytes[FrameLayout.sequenceOffset + 1]) << 8
            : nil
        guard bytes.count >= minimum else {
            throw WireError(.truncated, field: "frame", offset: bytes.count, sequence: sequence,
                            reason: "a frame of \(bytes.count) bytes is shorter than header and CRC (\(minimum) bytes)")
        }
        let crcOffset = bytes.count - FrameLayout.crcBytes
        let sent = UInt32(bytes[crcOffset]) | UInt32(bytes[crcOffset + 1]) << 8
            | UInt32(bytes[crcOffset + 2]) << 16 | UInt32(bytes[crcOffset + 3]) << 24
        let computed = CRC32C.checksum(bytes[..<crcOffset])
        guard sent == computed else {
            throw WireError(.badCRC, field: "crc", offset: crcOffset, sequence: sequence,
                            reason: "CRC-32C is \(hex32(computed)) but the frame carries \(hex32(sent))")
        }
        let version = bytes[FrameLayout.versionOffset]
        guard version == FrameLayout.version else {
            throw WireError(.badVersion(version), field: "version", offset: FrameLayout.versionOffset, sequence: sequence,
                            reason: "protocol version \(version), this side speaks \(FrameLayout.version)")
        }
        let flags = FrameFlags(rawValue: bytes[FrameLayout.flagsOffset])
        guard FrameFlags.known.isSuperset(of: flags) else {
            throw WireError(.badField("flags"), field: "flags", offset: FrameLayout.flagsOffset, sequence: sequence,
                            reason: "undefined flag bits \(hex8(flags.subtracting(.known).rawValue)) are set")
        }
        let o = FrameLayout.payloadLengthOffset
        let length = Int(UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24)
        guard length <= maxPayloadBytes else {
            throw WireError(.oversized, field: "payloadLength", offset: o, sequence: sequence,
                            reason: "payload of \(length) bytes exceeds the maximum of \(maxPayloadBytes)")
        }
        let carried = crcOffset - FrameLayout.headerBytes
        guard length <= carried else {
            throw WireError(.truncated, field: "payloadLength", offset: o, sequence: sequence,
                            reason: "header announces \(length) payload bytes, the frame carries \(carried)")
        }
        guard length == carried else {
            throw WireError(.trailingBytes(carried - length), field: "payloadLength", offset: o, sequence: sequence,
                            reason: "header announces \(length) payload bytes, the frame carries \(carried)")
        }
        let code = bytes[FrameLayout.opcodeOffset]
        guard let opcode = Opcode(rawValue: code) else {
            throw WireError(.unknownOpcode(code), field: "opcode", offset: FrameLayout.opcodeOffset, sequence: sequence,
                            reason: "opcode \(hex8(code)) is not defined in protocol version 1")
        }
        guard flags.contains(.reply) == opcode.isReply else {
            throw WireError(.unexpectedOpcode(opcode), field: "opcode", offset: FrameLayout.opcodeOffset, sequence: sequence,
                            reason: opcode.isReply ? "reply opcode \(opcode.name) without the reply flag"
                                                   : "request opcode \(opcode.name) with the reply flag")
        }
        self.header = FrameHeader(version: version, flags: flags, sequence: sequence ?? 0, opcode: opcode)
        self.payload = Array(bytes[FrameLayout.headerBytes..<crcOffset])
    }
}

func hex8(_ v: UInt8) -> String {
    let s = String(v, radix: 16, uppercase: true)
    return "0x" + String(repeating: "0", count: 2 - s.count) + s
}

func hex32(_ v: UInt32) -> String {
    let s = String(v, radix: 16, uppercase: true)
    return "0x" + String(repeating: "0", count: 8 - s.count) + s
}
