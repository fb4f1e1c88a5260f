import Foundation

/// A scratch folder with its own run store, where a test runs `xbar` as a user would in a lab
/// folder: with the repository's instruments (`XBAR_INSTRUMENTS`) and the folder's store
/// (`XBAR_STORE`). `cleanup()` removes it.
struct LabFolder {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("xbar-lab-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func cleanup() { try? FileManager.default.removeItem(at: url) }

    /// The path of `name` in the folder.
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// The run store the folder's `xbar` runs use.
    var storePath: String { path("lab.sqlite") }

    /// Runs `xbar ARGUMENTS` in the folder; see ``XbarExecutable/run(_:environment:unsetting:currentDirectory:limit:killWhen:)``.
    func run(_ arguments: [String], limit: Duration = .seconds(300), killWhen: (() -> Bool)? = nil) throws -> ChildRun {
        try XbarExecutable.run(arguments, environment: ["XBAR_INSTRUMENTS": XbarExecutable.instrumentsFolder, "XBAR_STORE": storePath],
                               currentDirectory: url, limit: limit, killWhen: killWhen)
    }

    /// Runs a Python script (the default `python3`, which has NumPy) in the folder.
    func python(_ script: String) throws -> ChildRun {
        try runChild("/usr/bin/env", ["python3", "-c", script], currentDirectory: url)
    }
}
