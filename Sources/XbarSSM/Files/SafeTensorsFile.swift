import Foundation

/// Where one tensor lives in a safetensors file.
public struct TensorInfo: Hashable, Sendable {
    public var name: String
    public var dtype: TensorDType
    public var shape: [Int]
    /// Byte range inside the data section (after the header).
    public var dataRange: Range<Int>

    public var elementCount: Int { shape.reduce(1, *) }
}

/// A safetensors file (the format PyTorch, JAX and NumPy export weights in): an 8-byte
/// little-endian header length, a JSON header naming each tensor's dtype, shape and byte
/// offsets, optional string metadata under `__metadata__`, then the raw little-endian data.
///
/// Reading validates everything before trusting it: the header length against the file size,
/// the JSON, every dtype, that each tensor's byte size equals its shape times its element width,
/// and that the tensors tile the data section exactly, without overlaps or holes. A truncated
/// or lying file is a ``SSMFileError`` naming the file and the tensor, never a crash.
public struct SafeTensorsFile: Sendable {
    /// Largest header accepted, bytes; larger claims are refused before anything is allocated.
    public static let maxHeaderBytes = 100 * 1024 * 1024

    public let file: String
    /// The `__metadata__` strings.
    public let metadata: [String: String]
    /// Tensors by name.
    public let tensors: [String: TensorInfo]
    private let data: [UInt8]

    /// Reads and validates a file.
    ///
    /// - Throws: ``SSMFileError`` when the file cannot be read or is not a valid safetensors file.
    public init(contentsOf path: String) throws(SSMFileError) {
        guard let d = FileManager.default.contents(atPath: path) else {
            throw SSMFileError(file: path, problem: "cannot read the file (missing or unreadable)")
        }
        try self.init(bytes: [UInt8](d), file: path)
    }

    /// Parses the bytes of a safetensors file held in memory.
    public init(bytes: [UInt8], file: String = "<memory>") throws(SSMFileError) {
        self.file = file
        func fail(_ problem: String, key: String? = nil) -> SSMFileError {
            SSMFileError(file: file, key: key, problem: problem)
        }
        guard bytes.count >= 8 else {
            throw fail("file is \(bytes.count) bytes, shorter than the 8-byte header length")
        }
        var headerLength: UInt64 = 0
        for i in 0..<8 { headerLength |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard headerLength <= UInt64(Self.maxHeaderBytes) else {
            throw fail("header claims \(headerLength) bytes, more than the \(Self.maxHeaderBytes)-byte limit")
        }
        guard Int(headerLength) <= bytes.count - 8 else {
            throw fail("header claims \(headerLength) bytes but the file has only \(bytes.count - 8) after the length (truncated?)")
        }
        let headerEnd = 8 + Int(headerLength)
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: Data(bytes[8..<headerEnd]))
        } catch {
            throw fail("header is not valid JSON")
        }
        guard let header = json as? [String: Any] else { throw fail("header is not a JSON object") }

        var metadata: [String: String] = [:]
        var tensors: [String: TensorInfo] = [:]
        let dataLength = bytes.count - headerEnd
        for (name, value) in header {
            if name == "__metadata__" {
                guard let m = value as? [String: Any] else { throw fail("metadata is not an object", key: name) }
                for (k, v) in m {
                    guard let s = v as? String else { throw fail("metadata values must be strings", key: "__metadata__.\(k)") }
                    metadata[k] = s
                }
                continue
            }
            guard let entry = value as? [String: Any] else { throw fail("entry is not an object", key: name) }
            guard let dtypeName = entry["dtype"] as? String else { throw fail("missing dtype", key: name) }
            guard let dtype = TensorDType(rawValue: dtypeName) else {
                throw fail("unknown dtype \"\(dtypeName)\" (known: \(TensorDType.allCases.map(\.rawValue).joined(separator: ", ")))", key: name)
            }
            guard let shapeValues = entry["shape"] as? [Any] else { throw fail("missing shape", key: name) }
            var shape: [Int] = []
            var count = 1
            for s in shapeValues {
                guard let n = (s as? NSNumber)?.intValue, n >= 0, (s as? NSNumber)?.doubleValue == Double(n) else {
                    throw fail("shape entries must be non-negative integers", key: name)
                }
                let (product, overflow) = count.multipliedReportingOverflow(by: n)
                guard !overflow, product <= dataLength else { throw fail("shape \(shapeValues) is larger than the file", key: name) }
                count = product
                shape.append(n)
            }
            guard let offsets = entry["data_offsets"] as? [Any], offsets.count == 2,
                  let begin = (offsets[0] as? NSNumber)?.intValue, let end = (offsets[1] as? NSNumber)?.intValue,
                  begin >= 0, begin <= end else {
                throw fail("data_offsets must be two integers [begin, end] with begin <= end", key: name)
            }
            guard end <= dataLength else {
                throw fail("data ends at byte \(end) but the data section has \(dataLength) bytes (truncated?)", key: name)
            }
            guard end - begin == count * dtype.byteWidth else {
                throw fail("holds \(end - begin) bytes but shape \(shape) of \(dtype.rawValue) needs \(count * dtype.byteWidth)", key: name)
            }
            tensors[name] = TensorInfo(name: name, dtype: dtype, shape: shape, dataRange: begin..<end)
        }
        // The tensors must tile the data section: no overlaps, no holes, nothing trailing.
        var position = 0
        for t in tensors.values.sorted(by: { ($0.dataRange.lowerBound, $0.dataRange.upperBound) < ($1.dataRange.lowerBound, $1.dataRange.upperBound) }) {
            guard t.dataRange.lowerBound == position else {
                throw fail(t.dataRange.lowerBound < position ? "overlaps the tensor before it" : "leaves a hole of \(t.dataRange.lowerBound - position) bytes before it", key: t.name)
            }
            position = t.dataRange.upperBound
        }
        guard position == dataLength else {
            throw fail("\(dataLength - position) bytes after the last tensor belong to no tensor")
        }
        self.metadata = metadata
        self.tensors = tensors
        self.data = Array(bytes[headerEnd...])
    }

    /// The tensor with this name.
    public func info(_ name: String) throws(SSMFileError) -> TensorInfo {
        guard let t = tensors[name] else {
            throw SSMFileError(file: file, key: name, problem: "no such tensor (the file has: \(tensors.keys.sorted().joined(separator: ", ")))")
        }
        return t
    }

    /// A tensor's elements as doubles, row-major, from any numeric dtype.
    public func doubles(_ name: String) throws(SSMFileError) -> [Double] {
        let t = try info(name)
        return data.withUnsafeBufferPointer { buffer in
            let raw = UnsafeRawBufferPointer(buffer).dropFirst(t.dataRange.lowerBound)
            return (0..<t.elementCount).map { Self.element(UnsafeRawBufferPointer(rebasing: raw), $0, t.dtype) }
        }
    }

    /// A tensor's elements as integers, row-major, read exactly from an integer dtype (never
    /// through a double, which rounds 64-bit values).
    ///
    /// - Throws: ``SSMFileError`` naming the tensor when it is floating-point, or naming the
    ///   element when an unsigned 64-bit value is above `Int.max`.
    public func integers(_ name: String) throws(SSMFileError) -> [Int] {
        let t = try info(name)
        guard !t.dtype.isFloatingPoint else {
            throw SSMFileError(file: file, key: name, problem: "is \(t.dtype.rawValue), expected an integer tensor (I8, I16, I32, I64, U8, U16, U32, U64)")
        }
        var values: [Int] = []
        values.reserveCapacity(t.elementCount)
        for i in 0..<t.elementCount {
            let o = t.dataRange.lowerBound + i * t.dtype.byteWidth
            var bits: UInt64 = 0
            for k in 0..<t.dtype.byteWidth { bits |= UInt64(data[o + k]) << (8 * UInt64(k)) }
            let value: Int?
            switch t.dtype {
            case .int8: value = Int(Int8(truncatingIfNeeded: bits))
            case .int16: value = Int(Int16(truncatingIfNeeded: bits))
            case .int32: value = Int(Int32(truncatingIfNeeded: bits))
            case .int64: value = Int(exactly: Int64(bitPattern: bits))
            default: value = Int(exactly: bits)
            }
            guard let value else {
                throw SSMFileError(file: file, key: name, problem: "element \(i) is \(bits), above the largest integer this build handles (\(Int.max))")
            }
            values.append(value)
        }
        return values
    }

    /// A metadata value parsed as JSON, or nil when absent.
    public func metadataJSON(_ key: String) throws(SSMFileError) -> Any? {
        guard let s = metadata[key] else { return nil }
        do { return try JSONSerialization.jsonObject(with: Data(s.utf8), options: [.fragmentsAllowed]) } catch {
            throw SSMFileError(file: file, key: "__metadata__.\(key)", problem: "is not valid JSON")
        }
    }

    private static func element(_ raw: UnsafeRawBufferPointer, _ i: Int, _ dtype: TensorDType) -> Double {
        let o = i * dtype.byteWidth
        func u16() -> UInt16 { UInt16(raw[o]) | UInt16(raw[o + 1]) << 8 }
        func u32() -> UInt32 { (0..<4).reduce(UInt32(0)) { $0 | UInt32(raw[o + $1]) << (8 * UInt32($1)) } }
        func u64() -> UInt64 { (0..<8).reduce(UInt64(0)) { $0 | UInt64(raw[o + $1]) << (8 * UInt64($1)) } }
        switch dtype {
        case .bool, .uint8: return Double(raw[o])
        case .int8: return Double(Int8(bitPattern: raw[o]))
        case .uint16: return Double(u16())
        case .int16: return Double(Int16(bitPattern: u16()))
        case .float16: return halfToDouble(u16())
        case .bfloat16: return Double(Float(bitPattern: UInt32(u16()) << 16))
        case .uint32: return Double(u32())
        case .int32: return Double(Int32(bitPattern: u32()))
        case .float32: return Double(Float(bitPattern: u32()))
        case .uint64: return Double(u64())
        case .int64: return Double(Int64(bitPattern: u64()))
        case .float64: return Double(bitPattern: u64())
        }
    }

    /// IEEE-754 binary16 to double, without relying on a platform `Float16`.
    private static func halfToDouble(_ h: UInt16) -> Double {
        let sign: Double = h & 0x8000 != 0 ? -1 : 1
        let exponent = Int((h >> 10) & 0x1F)
        let fraction = Double(h & 0x3FF)
        switch exponent {
        case 0: return sign * fraction * 0x1p-24
        case 31: return fraction == 0 ? sign * .infinity : .nan
        default: return sign * (1 + fraction / 1024) * Double(sign: .plus, exponent: exponent - 15, significand: 1)
        }
    }
}
