import ArgumentParser
import XbarStore

/// `--store`: which run store file a command uses.
struct StoreOptions: ParsableArguments {
    @Option(name: .customLong("store"), help: "Run store file (SQLite). Default: $XBAR_STORE, else ./xbarlab.sqlite.")
    var path: String?

    var resolvedPath: String { path ?? RunStore.defaultPath }

    /// Opens the store for a command that records runs, creating it when missing.
    func open() throws -> RunStore { try RunStore(path: resolvedPath) }

    /// Opens an existing store for a command that only reads: never creates, upgrades or
    /// writes one, so a mistyped `--store` is reported and a read-only store can be read.
    func openForReading() throws -> RunStore { try RunStore(path: resolvedPath, access: .readOnly) }
}
