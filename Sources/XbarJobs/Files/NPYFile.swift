import Foundation

/// NumPy `.npy` files (format versions 1.0, 2.0 and 3.0) holding a 2-D float64 or float32
/// array in C order: the format `numpy.save` writes and `numpy.load` reads.
///
/// The header is a Python dict literal, `{'descr': '<f8', 'fortran_order': False, 'shape': (64, 64), }`,
/// padded with spaces to a multiple of 64 bytes and ended by a newline.
public enum NPYFile {
    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // "\x93NUMPY"

    /// Reads a 2-D float64 or float32 C-order array; values are returned as `Double`.
    ///
    /// - Throws: ``MapFileError`` naming the file and what is wrong: not an .npy file,
    ///   an unsupported version, a malformed header, a dtype other than float32/float64,
    ///   Fortran order, a shape that is not 2-D, or a data section of the wrong length.
    public static func read(path: String) throws(MapFileError) -> ConductanceMap {
        let bytes: [UInt8]
        do { bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) } catch {
            throw MapFileError(path: path, "cannot read the file (\(error.localizedDescription))")
        }
        return try decode(bytes, path: path)
    }

    /// Decodes the bytes of a `.npy` file; `path` is only used in messages.
    public static func decode(_ bytes: [UInt8], path: String) throws(MapFileError) -> ConductanceMap {
        func fail(_ problem: String) -> MapFileError { MapFileError(path: path, "not a valid .npy file: \(problem)") }
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else {
            throw fail("it does not start with the NumPy magic string \\x93NUMPY")
        }
        let major = bytes[6]
        let headerLength: Int
        let headerStart: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw fail("the file ends inside the header length") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        default:
            throw fail("format version \(major).\(bytes[7]) is not supported (1.0, 2.0 and 3.0 are)")
        }
        guard headerStart + headerLength <= bytes.count else {
            throw fail("the header claims \(headerLength) bytes but the file has only \(bytes.count - headerStart) after it")
        }
        guard let header = String(bytes: bytes[headerStart..<(headerStart + headerLength)], encoding: .utf8) else {
            throw fail("the header is not text")
        }
        let fields = try parseHeader(header, fail: fail)
        guard let descr = fields.descr else { throw fail("the header has no 'descr' key") }
        guard let fortran = fields.fortranOrder else { throw fail("the header has no 'fortran_order' key") }
        guard let shape = fields.shape else { throw fail("the header has no 'shape' key") }
        if fortran {
            throw MapFileError(path: path, "the array is in Fortran order; save it in C order (numpy.ascontiguousarray)")
        }
        guard shape.count == 2 else {
            throw MapFileError(path: path, "expected a 2-D array (rows x columns), got shape (\(shape.map(String.init).joined(separator: ", ")))")
        }
        let width: Int
        let littleEndian: Bool
        switch descr {
        case "<f8", "=f8": (width, littleEndian) = (8, true)
        case ">f8": (width, littleEndian) = (8, false)
        case "<f4", "=f4": (width, littleEndian) = (4, true)
        case ">f4": (width, littleEndian) = (4, false)
        default:
            throw MapFileError(path: path, "dtype '\(descr)' is not supported: save the map as float64 or float32")
        }
        let rows = shape[0], columns = shape[1]
        let dataStart = headerStart + headerLength
        // A header can claim any shape; its size is computed without overflow before it is trusted.
        let (count, countOverflow) = rows.multipliedReportingOverflow(by: columns)
        let (byteCount, bytesOverflow) = count.multipliedReportingOverflow(by: width)
        guard !countOverflow, !bytesOverflow, bytes.count - dataStart == byteCount else {
            let needs = countOverflow || bytesOverflow ? "more data bytes than any file holds" : "\(byteCount) data bytes"
            throw fail("shape (\(rows), \(columns)) of \(width)-byte floats needs \(needs), the file has \(bytes.count - dataStart)")
        }
        var values = [Double](repeating: 0, count: count)
        for i in 0..<count {
            var bits: UInt64 = 0
            let at = dataStart + i * width
            for k in 0..<width {
                let byte = UInt64(bytes[at + (littleEndian ? k : width - 1 - k)])
                bits |= byte << (8 * UInt64(k))
            }
            values[i] = width == 8 ? Double(bitPattern: bits) : Double(Float(bitPattern: UInt32(bits)))
        }
        return ConductanceMap(rows: rows, columns: columns, siemens: values)
    }

    /// Writes the map as a version 1.0 `.npy` file of little-endian float64 in C order.
    ///
    /// - Throws: ``MapFileError`` when the file cannot be written.
    public static func write(_ map: ConductanceMap, path: String) throws(MapFileError) {
        do { try Data(encode(map)).write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
            throw MapFileError(path: path, "cannot write the file (\(error.localizedDescription))")
        }
    }

    /// The bytes of a version 1.0 `.npy` file holding the map as little-endian float64.
    public static func encode(_ map: ConductanceMap) -> [UInt8] {
        var header = "{'descr': '<f8', 'fortran_order': False, 'shape': (\(map.rows), \(map.columns)), }"
        // Magic (6) + version (2) + length (2) + header + newline is a multiple of 64.
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var bytes = magic + [1, 0]
        let length = header.utf8.count
        bytes += [UInt8(length & 0xFF), UInt8(length >> 8)]
        bytes += Array(header.utf8)
        bytes.reserveCapacity(bytes.count + map.siemens.count * 8)
        for v in map.siemens {
            let bits = v.bitPattern
            for k in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: bits >> (8 * UInt64(k)))) }
        }
        return bytes
    }

    struct HeaderFields {
        var descr: String?
        var fortranOrder: Bool?
        var shape: [Int]?
    }

    /// Parses the dict literal NumPy writes. Only the three keys NumPy defines are accepted.
    static func parseHeader(_ text: String, fail: (String) -> MapFileError) throws(MapFileError) -> HeaderFields {
        var s = Substring(text.trimmingCharacters(in: .whitespacesAndNewlines))
        func skipSpace() { while let c = s.first, c == " " || c == "\t" { s.removeFirst() } }
        func expect(_ c: Character) throws(MapFileError) {
            skipSpace()
            guard s.first == c else { throw fail("header: expected '\(c)' at \"\(s.prefix(20))\"") }
            s.removeFirst()
        }
        func quoted() throws(MapFileError) -> String {
            skipSpace()
            guard let q = s.first, q == "'" || q == "\"" else { throw fail("header: expected a quoted string at \"\(s.prefix(20))\"") }
            s.removeFirst()
            guard let end = s.firstIndex(of: q) else { throw fail("header: unterminated string") }
            let value = String(s[..<end])
            s = s[s.index(after: end)...]
            return value
        }
        var fields = HeaderFields()
        try expect("{")
        while true {
            skipSpace()
            if s.first == "}" { s.removeFirst(); break }
            let key = try quoted()
            try expect(":")
            skipSpace()
            switch key {
            case "descr":
                fields.descr = try quoted()
            case "fortran_order":
                if s.hasPrefix("True") { fields.fortranOrder = true; s.removeFirst(4) }
                else if s.hasPrefix("False") { fields.fortranOrder = false; s.removeFirst(5) }
                else { throw fail("header: fortran_order must be True or False") }
            case "shape":
                try expect("(")
                var dims: [Int] = []
                while true {
                    skipSpace()
                    if s.first == ")" { s.removeFirst(); break }
                    let digits = s.prefix { $0.isNumber }
                    guard !digits.isEmpty, let n = Int(digits), n >= 0 else {
                        throw fail("header: shape must be a tuple of non-negative integers")
                    }
                    dims.append(n)
                    s.removeFirst(digits.count)
                    skipSpace()
                    if s.first == "," { s.removeFirst() }
                }
                fields.shape = dims
            default:
                throw fail("header: unexpected key '\(key)'")
            }
            skipSpace()
            if s.first == "," { s.removeFirst(); continue }
            try expect("}")
            break
        }
        return fields
    }
}
