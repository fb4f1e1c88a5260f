extension Array where Element == UInt8 {
    // Concrete widths rather than one generic: these run per array element, and unspecialised
    // generics cost a metadata lookup per call in debug builds.

    /// Appends `value` little endian.
    mutating func put(_ value: UInt16) {
        append(UInt8(truncatingIfNeeded: value))
        append(UInt8(truncatingIfNeeded: value >> 8))
    }

    /// Appends `value` little endian.
    mutating func put(_ value: UInt32) {
        append(UInt8(truncatingIfNeeded: value))
        append(UInt8(truncatingIfNeeded: value >> 8))
        append(UInt8(truncatingIfNeeded: value >> 16))
        append(UInt8(truncatingIfNeeded: value >> 24))
    }

    /// Appends `value` little endian.
    mutating func put(_ value: UInt64) {
        put(UInt32(truncatingIfNeeded: value))
        put(UInt32(truncatingIfNeeded: value >> 32))
    }

    /// Appends an IEEE-754 binary32, little endian.
    mutating func put(_ value: Float) { put(value.bitPattern) }

    mutating func put(_ value: Bool) { append(value ? 1 : 0) }

    /// Appends flags as a bit mask of ⌈n/8⌉ bytes: flag k is bit k mod 8 (least significant
    /// first) of byte ⌊k/8⌋; the unused bits of the last byte are zero.
    mutating func putBits(_ flags: [Bool]) {
        var byte: UInt8 = 0
        for (k, flag) in flags.enumerated() {
            if flag { byte |= 1 << UInt8(k % 8) }
            if k % 8 == 7 {
                append(byte)
                byte = 0
            }
        }
        if flags.count % 8 != 0 { append(byte) }
    }

    /// Appends a u16 element count. A count above 65535 only occurs in a payload far over the
    /// frame limit, which every receiver refuses before reading any count.
    mutating func putCount(_ count: Int) { put(UInt16(truncatingIfNeeded: count)) }

    /// Appends a string as a u16 byte count and UTF-8 bytes, cut at a character boundary to at
    /// most ``FrameLayout/maxStringBytes``.
    mutating func put(_ string: String) {
        var utf8 = Array(string.utf8)
        if utf8.count > FrameLayout.maxStringBytes {
            var end = FrameLayout.maxStringBytes
            while end > 0, utf8[end] & 0xC0 == 0x80 { end -= 1 }
            utf8.removeSubrange(end...)
        }
        putCount(utf8.count)
        append(contentsOf: utf8)
    }
}

/// Reads a payload field by field; every failure names the field and its frame offset.
struct WireReader {
    private let bytes: [UInt8]
    private(set) var position = 0
    /// Sequence number of the frame, for errors.
    let sequence: UInt16
    /// Name of the message, prefixed to field names.
    let message: String

    init(_ frame: Frame) {
        bytes = frame.payload
        sequence = frame.header.sequence
        message = frame.header.opcode.name
    }

    var remaining: Int { bytes.count - position }

    func error(_ kind: WireError.Kind, _ field: String, at position: Int, _ reason: String) -> WireError {
        WireError(kind, field: "\(message).\(field)", offset: FrameLayout.headerBytes + position,
                  sequence: sequence, reason: reason)
    }

    func badField(_ field: @autoclosure () -> String, at position: Int, _ reason: String) -> WireError {
        let name = "\(message).\(field())"
        return WireError(.badField(name), field: name, offset: FrameLayout.headerBytes + position,
                         sequence: sequence, reason: reason)
    }

    /// Claims `count` bytes and returns the index of the first.
    private mutating func take(_ count: Int, _ field: () -> String) throws(WireError) -> Int {
        guard remaining >= count else {
            throw error(.truncated, field(), at: position,
                        "needs \(count) bytes, the payload has \(remaining) left")
        }
        defer { position += count }
        return position
    }

    mutating func u8(_ field: @autoclosure () -> String) throws(WireError) -> UInt8 {
        bytes[try take(1, field)]
    }

    mutating func u16(_ field: @autoclosure () -> String) throws(WireError) -> UInt16 {
        let i = try take(2, field)
        return UInt16(bytes[i]) | UInt16(bytes[i + 1]) << 8
    }

    mutating func u32(_ field: @autoclosure () -> String) throws(WireError) -> UInt32 {
        let i = try take(4, field)
        return UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24
    }

    mutating func u64(_ field: @autoclosure () -> String) throws(WireError) -> UInt64 {
        let i = try take(8, field)
        let low = UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24
        let high = UInt32(bytes[i + 4]) | UInt32(bytes[i + 5]) << 8 | UInt32(bytes[i + 6]) << 16 | UInt32(bytes[i + 7]) << 24
        return UInt64(low) | UInt64(high) << 32
    }

    mutating func f32(_ field: @autoclosure () -> String) throws(WireError) -> Float {
        Float(bitPattern: try u32(field()))
    }

    mutating func bool(_ field: @autoclosure () -> String) throws(WireError) -> Bool {
        let at = position
        switch try u8(field()) {
        case 0: return false
        case 1: return true
        case let v: throw badField(field(), at: at, "expected 0 or 1, got \(v)")
        }
    }

    /// Reads a one-byte enumeration value.
    mutating func enumeration<E: RawRepresentable>(_: E.Type, _ field: @autoclosure () -> String) throws(WireError) -> E
    where E.RawValue == UInt8 {
        let at = position
        let raw = try u8(field())
        guard let value = E(rawValue: raw) else {
            throw badField(field(), at: at, "\(raw) is not a defined \(E.self) value")
        }
        return value
    }

    /// Reads a u16 element count and checks that `count * elementBytes` bytes remain, so that
    /// nothing is allocated for elements the payload cannot hold.
    mutating func count(_ field: @autoclosure () -> String, elementBytes: Int) throws(WireError) -> Int {
        let at = position
        let n = Int(try u16(field()))
        guard n * elementBytes <= remaining else {
            throw error(.truncated, field(), at: at,
                        "\(n) elements of \(elementBytes) bytes need \(n * elementBytes) bytes, the payload has \(remaining) left")
        }
        return n
    }

    /// Reads `count` raw bytes.
    mutating func bytes(_ count: Int, _ field: @autoclosure () -> String) throws(WireError) -> [UInt8] {
        let start = try take(count, field)
        return Array(bytes[start..<start + count])
    }

    /// Reads `count` flags written by `putBits`; unused bits of the last byte are reserved.
    mutating func bits(_ count: Int, _ field: @autoclosure () -> String) throws(WireError) -> [Bool] {
        let n = (count + 7) / 8
        let at = position
        let raw = try bytes(n, field())
        if count % 8 != 0, let last = raw.last, last >> UInt8(count % 8) != 0 {
            throw badField(field(), at: at + n - 1, "unused bits of the last byte must be zero")
        }
        return (0..<count).map { k in raw[k / 8] & (1 << UInt8(k % 8)) != 0 }
    }

    /// Reads a u16-length-prefixed UTF-8 string of at most ``FrameLayout/maxStringBytes``.
    mutating func string(_ field: @autoclosure () -> String) throws(WireError) -> String {
        let at = position
        let n = try count(field() + ".length", elementBytes: 1)
        guard n <= FrameLayout.maxStringBytes else {
            throw badField(field(), at: at, "a string of \(n) bytes exceeds \(FrameLayout.maxStringBytes)")
        }
        let utf8 = try bytes(n, field())
        guard let s = String(validating: utf8, as: UTF8.self) else {
            throw badField(field(), at: at + 2, "is not valid UTF-8")
        }
        return s
    }

    /// Checks that a field that must be zero is.
    mutating func zero(_ field: @autoclosure () -> String, bytes count: Int) throws(WireError) {
        let at = position
        let start = try take(count, field)
        guard bytes[start..<start + count].allSatisfy({ $0 == 0 }) else {
            throw badField(field(), at: at, "must be zero")
        }
    }

    /// Checks that the whole payload was read.
    func finish() throws(WireError) {
        guard remaining == 0 else {
            throw error(.trailingBytes(remaining), "payload", at: position,
                        "\(remaining) bytes left after the last field")
        }
    }
}
