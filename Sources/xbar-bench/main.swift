import ArgumentParser

/// Benchmarks print their figures; run them in release builds:
/// `swift run -c release xbar-bench all`.
struct XbarBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "xbar-bench",
        abstract: "Measure XbarLab's speed and quality figures (run in release builds).",
        subcommands: [
            // Each benchmark lives in its own file.
            LinkBenchmark.self,
            ExactlyOnceBenchmark.self,
            SimulationBenchmark.self,
            CalibrationBenchmark.self,
            ProgrammingBenchmark.self,
            InferenceBenchmark.self,
            ReferenceBenchmark.self,
            TwinBenchmark.self,
            STMInferenceBenchmark.self,
            StoreScaleBenchmark.self,
            CharacterizationBenchmark.self,
            WearBenchmark.self,
            AllBenchmarks.self,
        ])
}
XbarBench.main()
