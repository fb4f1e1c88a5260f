import ArgumentParser
import Foundation

/// Output files, checked before a command touches a board or creates a run: a command that
/// reads a whole board and only then finds it cannot write the result has wasted the board's
/// time and left a failed run behind.
enum OutputPath {
    /// Checks that `path` can be written: its folder exists and takes new files (results are
    /// written atomically, through a temporary file beside it), and it is not a folder or a
    /// read-only file.
    ///
    /// - Throws: `ValidationError` naming `option`, the path and what is wrong.
    static func check(_ path: String, _ option: String) throws {
        let fm = FileManager.default
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var isFolder: ObjCBool = false
        if fm.fileExists(atPath: path, isDirectory: &isFolder) {
            guard !isFolder.boolValue else { throw ValidationError("\(option) \(path): is a folder; name a file") }
            guard fm.isWritableFile(atPath: path) else { throw ValidationError("\(option) \(path): the file exists and is read-only") }
        }
        guard fm.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw ValidationError("\(option) \(path): folder \(folder) does not exist")
        }
        guard fm.isWritableFile(atPath: folder) else {
            throw ValidationError("\(option) \(path): folder \(folder) does not take new files (permission denied)")
        }
    }
}
