import Foundation
import XbarInstrument

/// The SHA-256 digest of a file's bytes, hex: how a run notices that a file it used changed.
public enum FileDigest {
    /// - Throws: ``FileDigestError`` when the file cannot be read.
    public static func sha256(path: String) throws(FileDigestError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FileDigestError(path: path, reason: FileManager.default.fileExists(atPath: path) ? "permission denied" : "no such file")
        }
        return SHA256Hex.digest([UInt8](data))
    }
}

/// A file whose digest could not be taken.
public struct FileDigestError: Error, Hashable, Sendable, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var description: String { "\(path): cannot read the file: \(reason)" }
}
