import Foundation

/// Arrays of fixed-width integers stored as little-endian blobs: board times in nanoseconds
/// (UInt64; a double would round them after about 104 days of board uptime), the ledger's
/// column copy (Int32).
enum IntegerBlob {
    static func encode<T: FixedWidthInteger>(_ values: [T]) -> Data {
        var data = Data(capacity: values.count * MemoryLayout<T>.size)
        for v in values {
            var bits = v.littleEndian
            withUnsafeBytes(of: &bits) { data.append(contentsOf: $0) }
        }
        return data
    }

    static func decodeUInt64(_ data: Data) -> [UInt64] {
        DoubleBlob.decode(data).map(\.bitPattern)
    }
}
