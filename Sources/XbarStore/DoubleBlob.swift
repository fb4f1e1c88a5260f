import Foundation

/// Arrays of doubles stored as little-endian float64 blobs (the layout of a `.npy` body).
enum DoubleBlob {
    static func encode(_ values: [Double]) -> Data {
        IntegerBlob.encode(values.map(\.bitPattern))
    }

    static func decode(_ data: Data) -> [Double] {
        let bytes = [UInt8](data)
        return stride(from: 0, to: bytes.count - 7, by: 8).map { at in
            var bits: UInt64 = 0
            for k in 0..<8 { bits |= UInt64(bytes[at + k]) << (8 * UInt64(k)) }
            return Double(bitPattern: bits)
        }
    }
}
