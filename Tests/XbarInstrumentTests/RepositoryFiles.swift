import Foundation

/// Paths of the repository's instrument files and of this folder's fixtures, found from this
/// source file's location so tests run from any working directory.
enum RepositoryFiles {
    static let testsFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static let root = testsFolder.deletingLastPathComponent().deletingLastPathComponent()
    static let instrumentsFolder = root.appendingPathComponent("instruments")

    static func shipped(_ name: String) -> String {
        instrumentsFolder.appendingPathComponent("\(name).yaml").path
    }

    static func fixture(_ name: String) -> String {
        testsFolder.appendingPathComponent("Fixtures/\(name).yaml").path
    }

    static func text(_ path: String) throws -> String {
        try String(contentsOfFile: path, encoding: .utf8)
    }
}
