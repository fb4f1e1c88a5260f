import ArgumentParser
import Foundation
import XbarBoard
import XbarInstrument
import XbarSSM

/// Event SSM inference with the states on a board's STM nodes, side by side with the digital
/// references and the engine that decays states on the host, on one simulated board.
struct STMInferenceBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stm",
        abstract: "Measure event SSM inference with the states on the STM nodes against the references and host decay.",
        discussion: """
            For each task, on the first --samples test samples:
              float reference: the task's original float event SSM, digital (float64).
              board-trained reference: the model trained for the board's nodes, digital, each node \
                decaying ideally at its calibrated time constant.
              STM engine: the board-trained model on a simulated board of the instrument and seed \
                the shipped node calibration was measured on, its weights write-verified by the \
                lab's programming job, tiles read back, readout calibrated with probe vectors; \
                every block's states held on its STM nodes by one timed program per sample.
              host decay: the same board and model, states decayed on the host at the nodes' \
                calibrated time constants (the engine before states lived on the nodes).
            Prints accuracy, pulses and reads per event, board time per sample against the \
            samples' own duration, host events per second, and where the arithmetic happened.

            Example: swift build -c release --product xbar-bench && .build/release/xbar-bench stm --samples 100
            """)

    @Option(help: "Tasks (model files examples/<task>_event_ssm_float.safetensors and <task>_event_ssm_<instrument>.safetensors).")
    var tasks: [String] = ["event_digits", "spoken_digits"]

    @Option(help: "Folder of the example models and data sets.")
    var examples: String = "examples"

    @Option(help: "Test samples run on the simulated board (the first N of the split).")
    var samples: Int = 100

    @Option(help: "Seed of the simulated board (the shipped node calibration was measured on seed 1).")
    var seed: UInt64 = 1

    @Option(help: "Instrument name or file.")
    var instrument: String = "usb-4x64-multitau"

    @Option(help: "Folder of instrument files (default: $XBAR_INSTRUMENTS, ./instruments, or beside the executable).")
    var instrumentsDir: String?

    @Option(help: "Antithetic dither pairs per product of the calibrated readout.")
    var ditherPairs: Int = ReadoutSettings.ranged.ditherPairs

    @Flag(help: "Read the STM nodes at the ADC's own read full scale, not in their sense ranges.")
    var fullScaleNodeReads = false

    @Option(help: "Pulses each increment is split into (default: the model's own); more average the pulses' noise down.")
    var pulsesPerIncrement: Int?

    @Option(help: "Width of the state pulses, seconds (default: the instrument's shortest pulse).")
    var pulseWidthSeconds: Double?

    @Option(help: "Size of the gain-measurement pulses as a fraction of a node's ceiling (default: the player's).")
    var gainCalibrationIncrement: Double?

    @Option(help: "Samples the parallel STM engine plays at once on disjoint node sets (default: as many as the STM tile's device classes hold; 1 skips the parallel run).")
    var parallelSamples: Int?

    @Option(help: "Instead of measuring, run the STM engine one sample at a time on this data set (for instance a training split) and record what the last block and the readout were given, for refitting them on the chip's own features (tools/board_readout.py).")
    var recordData: String?

    @Option(help: "Path prefix of the recorded files (<prefix>.json, <prefix>_pooled.f32, _inputs.f32, _states.f32); with --record-data.")
    var recordOut: String?

    @Option(help: "Most runs of a close call on the STM engine played one sample at a time (1: every sample decided on one run; see xbar infer --close-call-runs).")
    var closeCallRuns: Int = 1

    @Option(help: "A close call is run again while its mean margin is below this many standard errors.")
    var closeCallSigmas: Double = CloseCallRepeats.standard.marginSigmas

    func validate() throws {
        if closeCallRuns < 1 { throw ValidationError("--close-call-runs must be at least 1, got \(closeCallRuns)") }
        if (recordData == nil) != (recordOut == nil) { throw ValidationError("--record-data and --record-out go together") }
        if recordData != nil, tasks.count != 1 { throw ValidationError("--record-data needs exactly one --tasks") }
        if samples < 1 { throw ValidationError("--samples must be at least 1, got \(samples)") }
        if let k = parallelSamples, !(1...64).contains(k) {
            throw ValidationError("--parallel-samples must be 1 to 64, got \(k)")
        }
        if let k = pulsesPerIncrement, !(1...16).contains(k) {
            throw ValidationError("--pulses-per-increment must be 1 to 16, got \(k)")
        }
    }

    private struct Row {
        var task: String
        var float: InferenceRun
        var trained: InferenceRun
        var stm: InferenceRun
        var parallel: InferenceRun?
        var host: InferenceRun
    }

    func run() throws {
        let instrument = try InstrumentCatalog.resolve(self.instrument, instrumentsDirectory: instrumentsDir)
        print("instrument \(instrument.name), simulated board seed \(seed), \(samples) samples per task")
        var rows: [Row] = []
        for task in tasks {
            let floatPath = "\(examples)/\(task)_event_ssm_float.safetensors"
            let trainedPath = "\(examples)/\(task)_event_ssm_\(instrument.name).safetensors"
            let floatModel = try SSMModel(contentsOf: floatPath)
            let model = try SSMModel(contentsOf: trainedPath)
            guard let dataName = model.testDataFile else { throw ValidationError("\(trainedPath): names no test_data") }
            let data = try EventDataset(contentsOf: "\(examples)/\(dataName)")
            let subset = Array(data.samples.prefix(samples))
            print("\n\(task): \(subset.count) samples, \(subset.reduce(0) { $0 + $1.events.count }) events")
            let float = ReferenceEngine(model: floatModel).run(subset)
            line("float reference", float)
            let trained = ReferenceEngine(model: model).run(subset)
            line("board-trained reference", trained)

            let board = SimulatedBoard(instrument: instrument, seed: seed)
            let map = try WeightMap(model: model, instrument: instrument)
            let outcomes = try WeightProgramming.program(map, on: board, with: WriteVerifyWeightProgrammer(instrument: instrument))
            let cells = outcomes.reduce(0) { $0 + $1.cells }, inTolerance = outcomes.reduce(0) { $0 + $1.cellsInTolerance }
            print(String(format: "  write-verify: %.2f %% of %d cells in tolerance", 100 * Double(inTolerance) / Double(cells), cells))
            let believed = map.believedConductances(readBack: try TileReadback(instrument: instrument).read(map, on: board), toleranceSiemens: 3e-6)
            let defects = PairDefects(map: map, measured: believed, thresholdSiemens: 3e-6)
            let calibration = try ReadoutProbe().measure(on: board, map: map, instrument: instrument, believedSiemens: believed)
            let settings = ReadoutSettings(inputScaling: .perVector, ditherPairs: ditherPairs, diagonalDitherPairs: 4 * ditherPairs)

            let nodes = try STMNodeModel.forModel(model, modelPath: trainedPath, instrument: instrument)
            let engine = try ChipInLoopEngine(model: model, map: map, board: board, instrument: instrument, settings: settings,
                                              calibration: calibration, defects: defects)
            func player() throws -> STMStatePlayer {
                let player = try STMStatePlayer(board: board, nodes: nodes, instrument: instrument, model: model,
                                                pulseWidthSeconds: pulseWidthSeconds)
                if let g = gainCalibrationIncrement { player.gainCalibrationIncrementOfCeiling = g }
                player.usesSenseRanges = !fullScaleNodeReads
                if let k = pulsesPerIncrement {
                    player.pulsesPerIncrement = k
                    player.maxPulsesPerIncrement = max(player.maxPulsesPerIncrement, 2 * k)
                }
                player.comparesStates = true
                return player
            }
            let sequential = try player()
            engine.statePlayer = sequential
            if let recordData, let recordOut {
                try ReadoutInputFiles.record(engine: engine, data: try EventDataset(contentsOf: recordData),
                                             limit: samples, prefix: recordOut)
                return
            }
            if closeCallRuns > 1 {
                do {
                    engine.closeCalls = try CloseCallRepeats(marginSigmas: closeCallSigmas, largestRuns: closeCallRuns)
                } catch let error as CloseCallRepeats.Invalid {
                    throw ValidationError("\(error)")
                }
            }
            let stm = try engine.run(subset)
            engine.closeCalls = nil
            line("STM engine", stm)
            if let c = stm.closeCalls { print("    " + c.summary) }
            nodeFigures(stm, sequential, model)
            var parallel: InferenceRun?
            let blocks = model.layers.compactMap(\.stmNodes)
            let k = parallelSamples ?? STMNodeSets.largestCount(blockPairs: blocks, nodes: nodes)
            if k > 1 {
                let sets = try STMNodeSets(blockPairs: blocks, nodes: nodes, count: k)
                print(String(format: "    %d node sets: substitute nodes' calibrated tau %.2f %% rms, at most %.2f %% off their model nodes'",
                             k, 100 * sets.rmsRelativeTauDifference, 100 * sets.largestRelativeTauDifference))
                let together = try player()
                together.nodeSets = sets
                engine.statePlayer = together
                let run = try engine.run(subset)
                line("STM engine, \(k) at once", run)
                nodeFigures(run, together, model)
                // Sample i of the run played on set i % k: accuracy per set, beside the same
                // samples played one at a time on the model's own nodes.
                func accuracy(_ r: InferenceRun, set: Int) -> Double {
                    let mine = r.labels.indices.filter { $0 % k == set }
                    return Double(mine.filter { r.predictions[$0] == r.labels[$0] }.count) / Double(max(mine.count, 1))
                }
                print("    by node set: " + (0..<k).map { String(format: "set %d %.1f %% (one at a time %.1f %%)", $0, 100 * accuracy(run, set: $0), 100 * accuracy(stm, set: $0)) }
                    .joined(separator: ", "))
                parallel = run
            }
            arithmetic(stm.arithmetic)
            energy(stm, instrument)
            engine.statePlayer = nil
            let host = try engine.run(subset)
            line("host decay", host)
            arithmetic(host.arithmetic)
            energy(host, instrument)
            rows.append(Row(task: task, float: float, trained: trained, stm: stm, parallel: parallel, host: host))
        }
        print("\n| task | float reference | board-trained reference | STM engine | host decay | STM events/s | STM vs trained ref | STM vs float |")
        print("|---|---|---|---|---|---|---|---|")
        for r in rows {
            print("| \(r.task) " + String(format: "| %.1f %% | %.1f %% | %.1f %% | %.1f %% | %.0f | %+.1f | %+.1f |",
                                         100 * r.float.accuracy, 100 * r.trained.accuracy, 100 * r.stm.accuracy, 100 * r.host.accuracy,
                                         r.stm.eventsPerSecond, 100 * (r.stm.accuracy - r.trained.accuracy), 100 * (r.stm.accuracy - r.float.accuracy)))
        }
        guard rows.contains(where: { $0.parallel != nil }) else { return }
        print("\n| task | STM engine | board s/sample | board s total | host s | samples at once | accuracy | board s/sample | board s total | host s | accuracy cost |")
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        for r in rows {
            guard let p = r.parallel, let a = r.stm.stateNodes, let b = p.stateNodes else { continue }
            let n = Double(max(r.stm.labels.count, 1))
            let boardA = a.programBoardSeconds + a.restBoardSeconds, boardB = b.programBoardSeconds + b.restBoardSeconds
            print("| \(r.task) " + String(format: "| %.1f %% | %.2f | %.0f | %.0f | %d | %.1f %% | %.2f | %.0f | %.0f | %+.1f |",
                                         100 * r.stm.accuracy, boardA / n, boardA, r.stm.wallSeconds, b.largestSamplesPerProgram,
                                         100 * p.accuracy, boardB / n, boardB, p.wallSeconds, 100 * (p.accuracy - r.stm.accuracy)))
        }
    }

    private func nodeFigures(_ run: InferenceRun, _ player: STMStatePlayer, _ model: SSMModel) {
        guard let s = run.stateNodes else { return }
        let events = Double(max(s.events, 1)), samples = Double(max(run.labels.count, 1))
        let board = s.programBoardSeconds + s.restBoardSeconds
        print(String(format: "    %.1f pulses and %.1f reads per event per block; board time %.4f s per program (up to %d samples) for %.4f s of sample; largest read delay %.0f us; %d increments cut short",
                     Double(s.pulses) / events, Double(s.reads) / events, s.programBoardSeconds / Double(max(s.programs, 1)),
                     s.largestSamplesPerProgram, s.sampleSeconds / Double(max(s.samplePrograms, 1)), 1e6 * s.largestReadDelaySeconds,
                     s.incrementsCutShort))
        print(String(format: "    measured rest %.2f s per program (%d measurements; %d rests extended, by %.2f s in all; %d node rest levels measured above base; nodes declared at rest up to %.3f uS above their level, allowance up to %.3f uS)",
                     s.restBoardSeconds / Double(max(s.programs, 1)), s.restMeasurements, s.restExtensions, s.restExtensionSeconds, s.restLevelsMeasured,
                     1e6 * s.largestRestResidualSiemens, 1e6 * s.largestRestNoiseSiemens))
        print(String(format: "    board time %.3f s per sample, %.1f s in all (programs %.1f s, rest %.1f s), beside %.1f s of host time; before them, %.1f s of rest between the gain measurements' %d programs",
                     board / samples, board, s.programBoardSeconds, s.restBoardSeconds, run.wallSeconds,
                     s.calibrationRestBoardSeconds, s.calibrationPrograms))
        let steps = Set(model.layers.compactMap(\.stmNodes).joined().map { player.readStepSiemens(ofNode: $0) }).sorted()
        print("    node reads in steps of " + steps.map { String(format: "%.3f", 1e6 * $0) }.joined(separator: "/")
              + String(format: " uS; states %.1f %% rms off the ideal recursion", 100 * (s.relativeStateError ?? .nan)))
    }

    private func arithmetic(_ a: HostArithmetic) {
        print(String(format: "    arithmetic: %.3g MACs on the array, %.3g host operations (%.2f %%): decays %d, decoding %d, planning %d, readout corrections %d, output scaling %d, pair corrections %d",
                     Double(a.arrayMultiplyAccumulates), Double(a.hostOperations), 100 * a.hostShare, a.stateDecays, a.stateDecoding,
                     a.pulsePlanning, a.readoutCorrections, a.outputScaling, a.pairCorrections))
    }

    /// Our estimate from the instrument's converter figures; neither paper's figure is in this
    /// repository's references to print beside it.
    private func energy(_ run: InferenceRun, _ instrument: Instrument) {
        guard let figures = instrument.energy else { return }
        let j = run.energy.joules(figures)
        print(String(format: "    energy on the chip (our estimate): %.3g J per event, %.3g J per sample (array %.3g, DACs %.3g, ADCs %.3g, STM pulses %.3g J)",
                     j.total / Double(max(run.eventCount, 1)), j.total / Double(max(run.labels.count, 1)), j.array, j.dac, j.adc, j.pulses))
    }

    private func line(_ label: String, _ run: InferenceRun) {
        let padded = label.padding(toLength: 24, withPad: " ", startingAt: 0)
        print("  \(padded)" + String(format: " accuracy %6.2f %% of %4d  %10.0f events/s  %8.2f us/event",
                                             100 * run.accuracy, run.labels.count, run.eventsPerSecond, 1e6 * run.secondsPerEvent)
              + "  [\(run.backend)]")
    }
}
