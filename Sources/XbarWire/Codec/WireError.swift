/// Why bytes could not be read as a frame or a message: what was wrong, in which field, at
/// which byte offset, and the frame's sequence number when it could be read (a board needs it
/// to address its FAULT reply).
public struct WireError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable {
        /// The stuffed bytes are not valid COBS.
        case badCOBS
        /// The frame or a field ends before its announced size.
        case truncated
        /// The frame or its payload is larger than the receiver accepts.
        case oversized
        /// The CRC-32C does not match.
        case badCRC
        /// The frame's protocol version is not 1.
        case badVersion(UInt8)
        /// The opcode is not defined.
        case unknownOpcode(UInt8)
        /// A defined opcode in the wrong place: a reply where a request was expected, or the reverse.
        case unexpectedOpcode(Opcode)
        /// A field holds a value outside its range (the name of the field).
        case badField(String)
        /// Bytes are left over after the last field (how many).
        case trailingBytes(Int)
    }

    public var kind: Kind
    /// The field concerned, e.g. `payloadLength` or `PULSE_BATCH.pulses[2].widthSeconds`.
    public var field: String
    /// Byte offset in the unstuffed frame (the header starts at 0, the payload at 9);
    /// for `.badCOBS`, the offset in the stuffed bytes.
    public var offset: Int
    /// The frame's sequence number, when its bytes could be read.
    public var sequence: UInt16?
    /// What was wrong, for people.
    public var reason: String

    public init(_ kind: Kind, field: String, offset: Int, sequence: UInt16?, reason: String) {
        self.kind = kind
        self.field = field
        self.offset = offset
        self.sequence = sequence
        self.reason = reason
    }

    /// The FAULT code a board answers this error with.
    public var faultCode: FaultCode {
        switch kind {
        case .badCOBS, .badCRC: return .badCRC
        case .truncated, .oversized, .trailingBytes: return .badLength
        case .badVersion: return .badVersion
        case .unknownOpcode, .unexpectedOpcode: return .unknownOpcode
        case .badField: return .badArgument
        }
    }

    /// True when the frame was damaged in transit (bad stuffing or CRC).
    public var isCRCFailure: Bool { kind == .badCOBS || kind == .badCRC }

    /// True when the opcode is undefined or belongs to the other direction.
    public var isUnknownOpcode: Bool { faultCode == .unknownOpcode }

    /// True when the frame is of a protocol version other than 1.
    public var isBadVersion: Bool { faultCode == .badVersion }

    /// The FAULT reply a board sends for this error.
    public var fault: BoardFault {
        BoardFault(code: faultCode, message: description)
    }

    public var description: String {
        let where_ = "\(field) at byte \(offset)"
        let seq = sequence.map { " of frame \($0)" } ?? ""
        return "\(where_)\(seq): \(reason)"
    }
}
