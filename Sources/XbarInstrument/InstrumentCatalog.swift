import Foundation

/// The folder of instrument files and the instruments in it, one `.yaml` file per board type,
/// named by file stem (`usb-4x64` is `usb-4x64.yaml`).
public struct InstrumentCatalog: Hashable, Sendable {
    /// The environment variable naming the instruments folder.
    public static let environmentVariable = "XBAR_INSTRUMENTS"

    /// Absolute path of the folder.
    public var directory: String

    public init(directory: String) {
        self.directory = URL(fileURLWithPath: directory).standardizedFileURL.path
    }

    /// Finds the instruments folder, first match wins: `explicitDirectory` (`--instruments-dir`),
    /// then `$XBAR_INSTRUMENTS`, then `./instruments`, then an `instruments` folder beside the
    /// executable or in any folder above it (so a built `xbar` finds the repository's folder).
    ///
    /// - Throws: ``InstrumentFileError`` when a folder named explicitly or by the environment
    ///   does not exist, or when no folder is found; the message lists the places searched.
    public static func locate(explicitDirectory: String? = nil,
                              environment: [String: String] = ProcessInfo.processInfo.environment,
                              currentDirectory: String = FileManager.default.currentDirectoryPath,
                              executablePath: String? = Self.currentExecutablePath) throws(InstrumentFileError) -> InstrumentCatalog {
        if let explicitDirectory {
            guard isDirectory(explicitDirectory) else {
                throw InstrumentFileError(path: explicitDirectory, problems: [
                    InstrumentProblem(keyPath: "", message: "no such folder (given with --instruments-dir)"),
                ])
            }
            return InstrumentCatalog(directory: explicitDirectory)
        }
        if let fromEnvironment = environment[environmentVariable], !fromEnvironment.isEmpty {
            guard isDirectory(fromEnvironment) else {
                throw InstrumentFileError(path: fromEnvironment, problems: [
                    InstrumentProblem(keyPath: "", message: "no such folder (named by \(environmentVariable)); fix or unset the variable"),
                ])
            }
            return InstrumentCatalog(directory: fromEnvironment)
        }
        var searched: [String] = []
        let local = URL(fileURLWithPath: currentDirectory).appendingPathComponent("instruments").path
        if isDirectory(local) { return InstrumentCatalog(directory: local) }
        searched.append(local)
        if let executablePath {
            var folder = URL(fileURLWithPath: executablePath).resolvingSymlinksInPath().deletingLastPathComponent()
            while true {
                let candidate = folder.appendingPathComponent("instruments").path
                if isDirectory(candidate) { return InstrumentCatalog(directory: candidate) }
                searched.append(candidate)
                let parent = folder.deletingLastPathComponent()
                if parent.path == folder.path || folder.path == "/" { break }
                folder = parent
            }
        }
        throw InstrumentFileError(path: "instruments", problems: [
            InstrumentProblem(keyPath: "", message: "no instruments folder found (searched \(searched.joined(separator: ", "))); pass --instruments-dir or set \(environmentVariable)"),
        ])
    }

    /// The running program's file, when the system can tell.
    public static var currentExecutablePath: String? {
        #if os(Linux)
        if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return target }
        #endif
        return Bundle.main.executablePath ?? CommandLine.arguments.first
    }

    /// Paths of the instrument files in the folder (`.yaml` and `.yml`), sorted by name.
    public func files() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }
            .sorted()
            .map { URL(fileURLWithPath: directory).appendingPathComponent($0).path }
    }

    /// Instrument names (file stems) in the folder, sorted.
    public func names() -> [String] {
        files().map { URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent }
    }

    /// The path of the file `nameOrPath` refers to: a path (see ``isPath(_:)``) as given, or a
    /// name looked up in the folder.
    ///
    /// - Throws: ``InstrumentFileError`` naming the known instruments (and the closest name)
    ///   when there is no such name.
    public func path(of nameOrPath: String) throws(InstrumentFileError) -> String {
        if Self.isPath(nameOrPath) { return nameOrPath }
        if let file = files().first(where: { URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent == nameOrPath }) {
            return file
        }
        let known = names()
        var message = "no instrument named \"\(nameOrPath)\" in \(directory)"
        if let suggestion = KeySuggestion.closest(to: nameOrPath, among: known) {
            message += "; did you mean \(suggestion)?"
        }
        message += known.isEmpty ? " (the folder has no .yaml files)" : " (known: \(known.joined(separator: ", ")))"
        throw InstrumentFileError(path: nameOrPath, problems: [InstrumentProblem(keyPath: "", message: message)])
    }

    /// Loads the instrument `nameOrPath` refers to (see ``path(of:)``).
    ///
    /// - Throws: ``InstrumentFileError`` for an unknown name or any problem in the file.
    public func resolve(_ nameOrPath: String) throws(InstrumentFileError) -> Instrument {
        try Instrument.load(path: path(of: nameOrPath))
    }

    /// The file an `--instrument` value refers to: a path as given (no instruments folder
    /// needed), or a name looked up in the folder ``locate(explicitDirectory:environment:currentDirectory:executablePath:)``
    /// finds.
    ///
    /// - Throws: ``InstrumentFileError`` when no folder is found or the name is unknown.
    public static func path(of nameOrPath: String, instrumentsDirectory: String?) throws(InstrumentFileError) -> String {
        if isPath(nameOrPath) { return nameOrPath }
        return try locate(explicitDirectory: instrumentsDirectory).path(of: nameOrPath)
    }

    /// Loads the instrument an `--instrument` value refers to (see ``path(of:instrumentsDirectory:)``).
    ///
    /// - Throws: ``InstrumentFileError`` when no folder is found, the name is unknown, or the
    ///   file has problems.
    public static func resolve(_ nameOrPath: String, instrumentsDirectory: String?) throws(InstrumentFileError) -> Instrument {
        try Instrument.load(path: path(of: nameOrPath, instrumentsDirectory: instrumentsDirectory))
    }

    /// Whether `nameOrPath` is a file path rather than an instrument name: it has a `/`, ends
    /// in `.yaml` or `.yml`, or names an existing file.
    public static func isPath(_ nameOrPath: String) -> Bool {
        if nameOrPath.contains("/") || nameOrPath.hasSuffix(".yaml") || nameOrPath.hasSuffix(".yml") { return true }
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: nameOrPath, isDirectory: &isDirectory) && !isDirectory.boolValue
    }

    /// Every file in the folder, loaded or with its problems, sorted by name.
    public func loadAll() -> [(path: String, result: Result<Instrument, InstrumentFileError>)] {
        files().map { file in
            do throws(InstrumentFileError) {
                return (file, .success(try Instrument.load(path: file)))
            } catch {
                return (file, .failure(error))
            }
        }
    }

    private static func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }
}
