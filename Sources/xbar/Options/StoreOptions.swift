import ArgumentParser
import XbarStore

/// `--store`: which run store file a command uses.
struct StoreOptions: ParsableArguments {
    @Option(name: .customLong("store"), help: "Run store file (SQLite). Default: $XBAR_STORE, else ./xbarlab.sqlite.")
    var path: String?

    var resolvedPath: String { path ?? RunStore.defaultPath }

    func open() throws -> RunStore { try RunStore(path: resolvedPath) }
}
