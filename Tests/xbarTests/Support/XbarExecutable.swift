import Foundation

/// The built `xbar` program, for tests that run it the way a user does.
///
/// Found, first match wins: `$XBAR_EXECUTABLE`; an `xbar` beside the running test bundle (SwiftPM
/// puts test bundles and executables in the same build products folder, so this finds the
/// binary of the same build configuration and build folder); the folder
/// `swift build --show-bin-path` prints for this package. `swift build --build-tests` (and
/// `scripts/test.sh`) build it; when it is missing, ``url()`` throws saying so.
enum XbarExecutable {
    /// The package's root folder (the one holding Package.swift).
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The repository's instrument files.
    static var instrumentsFolder: String { packageRoot.appendingPathComponent("instruments").path }

    struct NotFound: Error, CustomStringConvertible {
        var searched: [String]
        var description: String {
            "the xbar executable is not built (looked in \(searched.joined(separator: ", "))); run `swift build --product xbar` or set XBAR_EXECUTABLE"
        }
    }

    static func url() throws -> URL {
        let fileManager = FileManager.default
        if let given = ProcessInfo.processInfo.environment["XBAR_EXECUTABLE"], !given.isEmpty {
            guard fileManager.isExecutableFile(atPath: given) else { throw NotFound(searched: ["XBAR_EXECUTABLE=\(given)"]) }
            return URL(fileURLWithPath: given)
        }
        var folders: [URL] = []
        if let exe = try? fileManager.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            folders.append(URL(fileURLWithPath: exe).deletingLastPathComponent())
        }
        for bundle in Bundle.allBundles where bundle.bundleURL.pathExtension == "xctest" {
            folders.append(bundle.bundleURL.deletingLastPathComponent())
        }
        if let first = CommandLine.arguments.first {
            folders.append(URL(fileURLWithPath: first).deletingLastPathComponent())
        }
        var searched: [String] = []
        for folder in folders {
            let candidate = folder.appendingPathComponent("xbar")
            if isProgram(candidate.path) { return candidate }
            searched.append(folder.path)
        }
        if let binPath = try? showBinPath() {
            let candidate = URL(fileURLWithPath: binPath).appendingPathComponent("xbar")
            if isProgram(candidate.path) { return candidate }
            searched.append(binPath)
        }
        throw NotFound(searched: searched)
    }

    /// The path of the built `xbar`; the error says how to build it.
    static func path() throws -> String { try url().path }

    /// Runs `xbar` with `arguments` the way a user does, in `currentDirectory` (the package root
    /// when nil); see ``runChild(_:_:environment:unsetting:currentDirectory:limit:killWhen:)``.
    static func run(_ arguments: [String], environment: [String: String] = [:], unsetting: [String] = [],
                    currentDirectory: URL? = nil, limit: Duration = .seconds(60),
                    killWhen: (() -> Bool)? = nil) throws -> ChildRun {
        try runChild(try path(), arguments, environment: environment, unsetting: unsetting,
                     currentDirectory: currentDirectory ?? packageRoot, limit: limit, killWhen: killWhen)
    }

    /// Whether the binary found lives inside this package (under its `.build` folder), as it
    /// does unless `XBAR_EXECUTABLE` names one elsewhere.
    static var isInsidePackage: Bool {
        guard let found = try? url() else { return false }
        return found.resolvingSymlinksInPath().path.hasPrefix(packageRoot.resolvingSymlinksInPath().path + "/")
    }

    private static func isProgram(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
            && FileManager.default.isExecutableFile(atPath: path)
    }

    /// `swift build --show-bin-path` in the package root.
    private static func showBinPath() throws -> String? {
        let run = try runChild("/usr/bin/env", ["swift", "build", "--show-bin-path"], currentDirectory: packageRoot,
                               limit: .seconds(120))
        guard run.status == 0 else { return nil }
        return run.standardOutput.split(separator: "\n").last.map(String.init)
    }
}
