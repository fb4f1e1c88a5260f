/// Writes a 2-D float64 array as a NumPy `.npy` file (format 1.0, C order, little endian),
/// the form `numpy.load` and `xbar program --target` read.
public enum NPYWriter {
    /// The bytes of the file.
    public static func encode(rows: Int, columns: Int, values: [Double]) -> [UInt8] {
        precondition(values.count == rows * columns, "a \(rows)x\(columns) array needs \(rows * columns) values")
        var header = "{'descr': '<f8', 'fortran_order': False, 'shape': (\(rows), \(columns)), }"
        // Magic (6) + version (2) + length (2) + header + newline, padded to a multiple of 64.
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var out: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0]
        let n = header.utf8.count
        out += [UInt8(n & 0xFF), UInt8(n >> 8)]
        out += Array(header.utf8)
        out.reserveCapacity(out.count + 8 * values.count)
        for v in values {
            let bits = v.bitPattern
            for k in 0..<8 { out.append(UInt8((bits >> (8 * UInt64(k))) & 0xFF)) }
        }
        return out
    }
}
