import Foundation

/// Arrays of unsigned 64-bit integers (board times in nanoseconds) stored as little-endian blobs:
/// a double would round them after about 104 days of board uptime.
enum UInt64Blob {
    static func encode(_ values: [UInt64]) -> Data {
        var data = Data(capacity: values.count * 8)
        for v in values {
            var bits = v.littleEndian
            withUnsafeBytes(of: &bits) { data.append(contentsOf: $0) }
        }
        return data
    }

    static func decode(_ data: Data) -> [UInt64] {
        DoubleBlob.decode(data).map(\.bitPattern)
    }
}
