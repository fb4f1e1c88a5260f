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
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    struct NotFound: Error, CustomStringConvertible {
        var searched: [String]
        var description: String {
            "the xbar executable is not built (looked in \(searched.joined(separator: ", "))); run `swift build --product xbar` or set XBAR_EXECUTABLE"
        }
    }

    /// The output of one run of `xbar`.
    struct Run: CustomStringConvertible {
        var arguments: [String]
        var status: Int32
        var standardOutput: String
        var standardError: String

        var description: String {
            "xbar \(arguments.joined(separator: " ")) exited \(status)\n--- stdout\n\(standardOutput)--- stderr\n\(standardError)"
        }
    }

    struct TimedOut: Error, CustomStringConvertible {
        var arguments: [String]
        var seconds: Double
        var description: String { "xbar \(arguments.joined(separator: " ")) did not finish within \(seconds) s and was killed" }
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

    /// Runs `xbar` with `arguments` and waits for it.
    ///
    /// - Parameters:
    ///   - environment: variables to set on top of this process's environment.
    ///   - unsetting: variables to remove (e.g. `XBAR_INSTRUMENTS`, so a test sees the defaults).
    ///   - currentDirectory: the working folder; the package root when nil.
    ///   - timeoutSeconds: the run is killed and ``TimedOut`` thrown after this long.
    static func run(_ arguments: [String], environment: [String: String] = [:], unsetting: [String] = [],
                    currentDirectory: URL? = nil, timeoutSeconds: Double = 60) throws -> Run {
        let process = Process()
        process.executableURL = try url()
        process.arguments = arguments
        process.currentDirectoryURL = currentDirectory ?? packageRoot
        var env = ProcessInfo.processInfo.environment
        for name in unsetting { env.removeValue(forKey: name) }
        env.merge(environment) { $1 }
        process.environment = env

        // Files rather than pipes: a chatty child can never block on a full pipe.
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("xbar-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outURL = scratch.appendingPathComponent("stdout"), errURL = scratch.appendingPathComponent("stderr")
        try Data().write(to: outURL)
        try Data().write(to: errURL)
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        defer { try? out.close(); try? err.close() }
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice

        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        try process.run()
        if finished.wait(timeout: .now() + timeoutSeconds) == .timedOut {
            process.terminate()
            _ = finished.wait(timeout: .now() + 5)
            throw TimedOut(arguments: arguments, seconds: timeoutSeconds)
        }
        return Run(arguments: arguments, status: process.terminationStatus,
                   standardOutput: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
                   standardError: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "")
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
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["swift", "build", "--show-bin-path"]
        process.currentDirectoryURL = packageRoot
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").last.map(String.init)
    }
}
