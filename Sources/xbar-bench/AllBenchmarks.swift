import ArgumentParser

/// Every benchmark with its default settings, one after the other.
struct AllBenchmarks: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "all",
        abstract: "Run every benchmark with its defaults.")

    func run() throws {
        for benchmark in XbarBench.configuration.subcommands where benchmark != AllBenchmarks.self {
            say("\n######## xbar-bench \(benchmark.configuration.commandName ?? "\(benchmark)")")
            var command = try benchmark.parseAsRoot([])
            try command.run()
        }
    }
}
