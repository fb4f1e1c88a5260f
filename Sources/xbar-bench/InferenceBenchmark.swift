import ArgumentParser
import Foundation
import XbarBoard
import XbarInstrument
import XbarSSM

/// Events per second and wall time per event of the digital reference and of chip-in-loop
/// inference on the simulated board, and the accuracy of each on the same samples.
struct InferenceBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "infer",
        abstract: "Measure inference events/s and latency per event, digital reference vs chip-in-loop on the simulated board.",
        discussion: """
            For each model: the digital reference (float64) on the whole test split, then the \
            reference and the chip-in-loop engine on the first --samples test samples, on a \
            simulated usb-4x64 board whose tiles are set to the mapped targets directly and \
            verified by reading (no write-verify: programming error is left out, stuck cells and \
            read noise are in). Prints accuracy, events per second and microseconds per event \
            (host wall time, one thread), MVM requests and vectors, and the simulated board time.

            Example: swift run -c release xbar-bench infer --samples 50
            """)

    @Option(help: "Model files (default: every *_event_ssm_*.safetensors and *_s4d_*.safetensors in examples/).")
    var model: [String] = []

    @Option(help: "Folder of the example models and data sets.")
    var examples: String = "examples"

    @Option(help: "Test samples run on the simulated board (the first N of the split).")
    var samples: Int = 50

    @Option(help: "Antithetic dither pairs per product.")
    var ditherPairs: Int = 4

    @Flag(help: "Print, per matrix, the chip's product error against the exact product and its converter use.")
    var diagnose = false

    @Option(help: "Seed of the simulated board.")
    var seed: UInt64 = 1

    @Option(help: "Instrument name or file.")
    var instrument: String = "usb-4x64"

    @Option(help: "Folder of instrument files (default: $XBAR_INSTRUMENTS, ./instruments, or beside the executable).")
    var instrumentsDir: String?

    func run() throws {
        let instrument = try InstrumentCatalog.resolve(self.instrument, instrumentsDirectory: instrumentsDir)
        var models = model
        if models.isEmpty {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: examples)) ?? []
            models = names.filter { ($0.contains("_event_ssm_") || $0.contains("_s4d_")) && $0.hasSuffix(".safetensors") }
                .sorted().map { "\(examples)/\($0)" }
        }
        guard !models.isEmpty else { throw ValidationError("no model files given and none found in \(examples)/") }
        print("instrument \(instrument.name), simulated board seed \(seed), \(samples) samples on the chip, dither pairs \(ditherPairs)")
        for path in models {
            let model = try SSMModel(contentsOf: path)
            let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
            guard let dataName = model.testDataFile else { throw ValidationError("\(path): names no test_data") }
            let data = try EventDataset(contentsOf: "\(folder)/\(dataName)")
            let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
            print("\n\(name) (\(model.architecture.rawValue), \(model.isQuantised ? "8-bit activations" : "float"))")

            let full = ReferenceEngine(model: model).run(data.samples)
            line("reference, full split", full)
            let subset = Array(data.samples.prefix(samples))
            let reference = ReferenceEngine(model: model).run(subset)
            line("reference, subset", reference)

            let board = SimulatedBoard(instrument: instrument, seed: seed)
            let map = try WeightMap(model: model, instrument: instrument)
            let outcomes = try WeightProgramming.program(map, on: board, with: DirectSimulatedProgrammer())
            let measured = Dictionary(uniqueKeysWithValues: outcomes.map { ($0.tile, $0.measuredSiemens) })
            let defects = PairDefects(map: map, measured: measured, thresholdSiemens: 3e-6)
            let before = board.boardTimeNanoseconds
            let engine = try ChipInLoopEngine(model: model, map: map, board: board, instrument: instrument,
                                              ditherPairs: ditherPairs, defects: defects)
            engine.recordsStatistics = diagnose
            let chip = try engine.run(subset)
            if diagnose { printStatistics(chip, model: model) }
            line("chip-in-loop, subset", chip)
            let boardSeconds = Double(board.boardTimeNanoseconds - before) * 1e-9
            let agree = zip(reference.predictions, chip.predictions).filter { $0 == $1 }.count
            print(String(format: "  chip: %d MVM requests, %d vectors, %.3f s board time (%.2f us per event); %d pairs corrected; agreement %d/%d",
                         chip.mvmRequests, chip.mvmVectors, boardSeconds, 1e6 * boardSeconds / Double(max(chip.eventCount, 1)),
                         defects.count, agree, subset.count))
        }
    }

    private func printStatistics(_ run: InferenceRun, model: SSMModel) {
        print("    matrix        vectors  rel.err  max|Wx|   ADC rms/max steps  sat.     signal rms steps  DAC rms/max of FS")
        for (name, s) in run.productStatistics.sorted(by: { $0.key < $1.key }) {
            let outputs = model.matrix(named: name)?.rows ?? 0
            print("    " + name.padding(toLength: 12, withPad: " ", startingAt: 0) + String(format: " %8d  %6.3f  %8.3g  %8.2f / %6.1f  %7.5f  %8.2f          %5.3f / %5.3f",
                         s.vectors, s.relativeError, s.largestExact, s.rmsCurrentSteps, s.largestCurrentSteps,
                         s.saturationFraction, s.rmsSignalSteps(outputs: outputs), s.rmsInputOfFullScale, s.largestInputOfFullScale))
        }
    }

    private func line(_ label: String, _ run: InferenceRun) {
        let padded = label.padding(toLength: 22, withPad: " ", startingAt: 0)
        print("  \(padded)" + String(format: " accuracy %6.2f %% of %4d  %10.0f events/s  %8.2f us/event",
                                             100 * run.accuracy, run.labels.count, run.eventsPerSecond, 1e6 * run.secondsPerEvent)
              + "  [\(run.backend)]")
    }
}
