import ArgumentParser
import Foundation
import XbarBoard
import XbarDevice
import XbarInstrument
import XbarJobs
import XbarSSM
import XbarStore

struct InferCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "infer",
        abstract: "Classify an event data set with a state-space model, digitally and with the crossbar in the loop.",
        discussion: """
            Runs the digital reference (float64) and, with --engine chip or both, the chip-in-loop \
            engine: the model's matrix products (B, C, the readout, and an S4D's decay A, its states \
            fed back through the board every step; --decay-on-host decays them on the host instead) \
            as batched MVM requests on the board's weight tiles, at the placements the model file \
            gives. It prints where the arithmetic happened: the share of the model's \
            multiply-accumulates done on the array, and every host operation. Prints the accuracy of each on the same samples, the agreement \
            between them, events per second and wall time per event (seconds), and which backend \
            produced each result.

            A chip run is recorded in the run store (kind "infer": the model's and data set's \
            SHA-256, board, calibration, readout settings): samples are computed in chunks of \
            --chunk-size and each chunk's predictions, labels, logits and backend are stored in \
            one transaction as it completes. `xbar infer --resume RUN` finishes a killed run \
            without computing a recorded sample again (refused when the model or data file \
            changed); `xbar runs show RUN` prints its accuracy, confusion matrix and backend \
            counts, `xbar runs export RUN --format csv --samples` its per-sample table.

            Fallback: when the board is lost mid-run (disconnected, silent after every retry), \
            the run continues from the chunk in flight on the chip's digital twin (--fallback \
            twin): a simulated board holding the conductances the chip's newest programming run \
            verified, with the calibrated device model (--calibration, else the newest calibration \
            of the instrument in the store). The twin is prepared like the chip: the same weight \
            map, its tiles read back and its readout calibration measured on the twin itself (its \
            periphery is the model's, not the chip's, so the chip's correction would not fit). \
            Twin is the default when a calibration and a programming run of the chip exist. A \
            refused request (a limit) is never a lost board: it ends the run. --board twin:RUN \
            runs on the twin of programming run RUN from the start; --board auto uses a \
            discovered board, else the twin of the newest programming run, else refuses.

            With --readout calibrated (the default) the tiles are read back first; the cells of \
            pairs whose G+ - G- drifted more than --defect-threshold-siemens from the target are \
            write-verified again with the lab's job (a touch-up, recorded as a run of kind \
            "touch-up" linked to the infer run; it prints cells, pulses, board time and the pairs \
            left; --no-touch-up skips it) and the tiles read back again; pairs still past the \
            threshold are corrected on the host; and each column's readout gain and \
            offset are measured with probe vectors (amperes; --save-readout-calibration keeps \
            them as JSON, --readout-calibration reuses them on the same board); every input \
            vector is scaled so its largest entry reaches the DAC's full scale while the column \
            currents stay within 80 % of the ADC's, and a vector whose conversion still reads full \
            scale is measured again at half the scale.

            The tiles must hold the model's weights. A simulated board lives only inside one \
            process, so with --board sim add --program: the weights are mapped to target \
            conductances (siemens, differential pairs along columns) and write-verified first \
            (recorded as a program run, whose shadow map a twin is built from), and the \
            programming yield is printed. --map-out writes the targets as a 256x64 .npy \
            (tiles stacked) for `xbar program --target`.

            Examples:
              xbar infer --model examples/event_digits_event_ssm_int8.safetensors \\
                --data examples/event_digits_test.safetensors --board sim --instrument usb-4x64 \\
                --engine both --program --limit 50
              xbar infer --model m.safetensors --data d.safetensors --board serial:/dev/ttyUSB0 \\
                --instrument usb-4x64 --calibration cal.json --fallback twin
              xbar infer --resume 7
            """)

    @Option(help: ArgumentHelp("Model file (safetensors) from examples/ or exported the same way.", valueName: "path"))
    var model: String?

    @Option(help: ArgumentHelp("Event data set file (safetensors, xbarlab-events-1).", valueName: "path"))
    var data: String?

    @OptionGroup var boardOptions: BoardOptions
    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var labels: RunLabelOptions
    @OptionGroup var progress: ProgressOptions

    enum Engine: String, ExpressibleByArgument, CaseIterable { case reference, chip, both }

    @Option(help: "reference (digital only), chip (crossbar in the loop) or both.")
    var engine: Engine = .both

    @Option(help: "Use only the first N samples of the data set.")
    var limit: Int?

    @Flag(help: "Map the weights and write-verify them onto the board before inference (needed with --board sim).")
    var program = false

    @Option(help: ArgumentHelp("Write the target conductance map (siemens, 256x64 float64 .npy) here.", valueName: "path"))
    var mapOut: String?

    @Option(help: "Antithetic dither pairs per product against the ADC's resolution (0: one plain conversion). Default: 0 for an S4D with its recurrence on the chip, 4 otherwise.")
    var ditherPairs: Int?

    @Flag(inversion: .prefixedNo, help: "Convert each product in the smallest of the board's sense ranges that holds it, dithering only what the ranges leave under 64 steps (boards with sense ranges; --no-sense-ranges: the ADC's own full scale).")
    var senseRanges = true

    @Option(help: ArgumentHelp("calibrated: read the tiles back, measure each column's gain and offset with probe vectors, scale every vector to the DAC's range within the ADC's; uncorrected: the earlier readout (activation ranges at full scale, no calibration).", valueName: "mode"))
    var readout: ChipPreparation.Readout = .calibrated

    @Option(help: ArgumentHelp("Use this readout calibration (JSON, from --save-readout-calibration on the same board) instead of measuring one.", valueName: "path"))
    var readoutCalibration: String?

    @Option(help: ArgumentHelp("Write the readout calibration measured in this run here (JSON).", valueName: "path"))
    var saveReadoutCalibration: String?

    @Option(help: ArgumentHelp("per-output (each column pair's largest weight spans the conductance range) or per-matrix (one scale per matrix). Must match how the board was programmed.", valueName: "scaling"))
    var weightScaling: WeightMap.Scaling = .perOutput

    @Flag(help: "Decay an S4D's states on the host, multiplying only B, C and the readout on the chip (default: the recurrence on the chip, its decay mapped as a - 1 and driven by the states every step).")
    var decayOnHost = false

    @Flag(help: .hidden)
    var decayOnChip = false

    @Option(help: "Pairs whose verified G+ - G- misses its target by more than this many siemens (3e-6, 3uS) are corrected on the host. Default: 3uS.",
            transform: QuantityArgument.siemens)
    var defectThresholdSiemens: Double = 3e-6

    @Flag(inversion: .prefixedNo, help: "Before a calibrated inference, write-verify again the cells of the pairs that drifted past --defect-threshold-siemens since programming (the lab's write-verify job on those cells alone, recorded as a touch-up run), then read the tiles back again: only pairs still past it are corrected on the host. An hour after programming about a quarter of the pairs have drifted that far; measured on the simulated usb-4x64, the touch-up brings nine in ten back for about 1.5 pulses per cell and under a second of board time, and the share of multiply-accumulates on the array goes from 92-94 % to 98 % (S4D) and from 97 % to 99.4 % (event SSM). --no-touch-up leaves every drifted pair to the host and pulses nothing. Never on a twin.")
    var touchUp = true

    @Option(help: ArgumentHelp("Most runs of a close call, its first included (8 is the standard): a sample whose top-two logit margin is within --close-call-sigmas standard errors of its run-to-run spread (measured on the run's closest samples, run twice) is run again on the board and decided on its mean logits, so that the chip gives the same answer twice; the samples repeated, their requests and board time are printed. Measured on the spoken-digit models: the chip agrees with itself run again on 97.5-99 % instead of 92.5-97.5 %, for 18-60 % more board time. Default 1: every sample decided on one run.", valueName: "runs"))
    var closeCallRuns: Int = 1

    @Option(help: ArgumentHelp("Standard errors of the margin's run-to-run spread below which a sample is a close call.", valueName: "sigmas"))
    var closeCallSigmas: Double = CloseCallRepeats.standard.marginSigmas

    enum Fallback: String, ExpressibleByArgument, CaseIterable, Codable { case twin, none }

    @Option(help: ArgumentHelp("What a lost board hands over to: twin (the chip's digital twin) or none (the run stops, resumable). Default: twin when a calibration and a programming run of the chip exist.", valueName: "twin|none"))
    var fallback: Fallback?

    @Option(help: "Samples computed and stored per transaction.")
    var chunkSize: Int = 4

    @Option(help: ArgumentHelp("Finish the inference run with this id: its recorded samples are kept, the others computed.", valueName: "run"))
    var resume: Int64?

    @Option(help: ArgumentHelp("Classify a stream instead of whole samples: a data set file replayed at its own timestamps (its samples one window apart), or - for event lines `SECONDS CHANNEL [POLARITY]` on standard input. Prints a decision per window and its latency after the window's last event (not recorded as a run).", valueName: "source"))
    var stream: String?

    @Option(help: ArgumentHelp("Length of a stream window, seconds (0.3, 300ms; default: the longest sample of --data, else 0.3 s).", valueName: "seconds"),
            transform: QuantityArgument.seconds)
    var windowSeconds: Double?

    enum StatePlace: String, ExpressibleByArgument, CaseIterable, Codable { case stm, host }

    @Option(help: ArgumentHelp("Where an event SSM's states live: stm (on the board's STM nodes, their decay the state transition; the default for models trained for the board) or host (decayed on the host).", valueName: "place"))
    var state: StatePlace?

    @Flag(help: "With the states on STM nodes, compare every state read with the ideal recursion at the nodes' calibrated time constants and print the RMS difference (a host-side diagnostic).")
    var compareStates = false

    @Option(help: ArgumentHelp("The calibration of the board's STM nodes the model was trained with (default: the file the model names, beside the model; its SHA-256 must match).", valueName: "path"))
    var nodeCalibration: String?

    @Option(help: ArgumentHelp("With the states on STM nodes, samples played at once, each on its own set of nodes (the model's, then free nodes of the same device classes nearest in time constant); 1 plays one at a time. Default: as many sets as the STM tile's classes hold whose nodes' time constants are within 5 % rms of the model's, else 1.", valueName: "count"))
    var parallelSamples: Int?

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1, got \(limit)") }
        if let ditherPairs { try OptionCheck.require(ditherPairs, "--dither-pairs", in: 0...256) }
        if let parallelSamples { try OptionCheck.require(parallelSamples, "--parallel-samples", in: 1...64) }
        // --decay-on-chip asked for the on-chip recurrence before it was the default; it still may.
        if decayOnChip && decayOnHost { throw ValidationError("--decay-on-chip and --decay-on-host contradict each other") }
        if chunkSize < 1 { throw ValidationError("--chunk-size must be at least 1, got \(chunkSize)") }
        try OptionCheck.require(closeCallRuns, "--close-call-runs", in: 1...64)
        if closeCallRuns > 1 { _ = try closeCalls() }
        if let windowSeconds { try OptionCheck.requireWait(windowSeconds, "--window-seconds", positive: true) }
        try OptionCheck.require(defectThresholdSiemens, "--defect-threshold-siemens", in: 0...1, unit: "siemens")
        if let mapOut { try OutputPath.check(mapOut, "--map-out") }
        if let saveReadoutCalibration { try OutputPath.check(saveReadoutCalibration, "--save-readout-calibration") }
        if resume != nil {
            if stream != nil { throw ValidationError("--resume finishes a recorded run; a --stream is not recorded") }
            if model != nil || data != nil || limit != nil {
                throw ValidationError("--resume finishes a run with its own model, data and samples; leave out --model, --data and --limit")
            }
            return
        }
        guard model != nil, data != nil else {
            throw ValidationError("give --model FILE and --data FILE (safetensors; see examples/), or --resume RUN")
        }
        // All but the digital reference alone needs the instrument: refuse before the reference runs.
        if engine != .reference || mapOut != nil { try boardOptions.simulation.requireInstrument() }
        if readout == .uncorrected && (readoutCalibration != nil || saveReadoutCalibration != nil) {
            throw ValidationError("--readout-calibration and --save-readout-calibration need --readout calibrated")
        }
    }

    func run() throws {
        progress.activate()
        if let resume {
            try InferenceSession.resume(resume, store: try storeOptions.open(), command: self)
            return
        }
        guard let modelPath = model, let dataPath = data else { return }
        let model = try SSMModel(contentsOf: modelPath)
        let dataset = try EventDataset(contentsOf: dataPath)
        guard dataset.classNames == model.classNames else {
            throw ValidationError("\(dataPath): classes \(dataset.classNames) differ from the model's \(model.classNames) (\(modelPath))")
        }
        let samples = Array(dataset.samples.prefix(limit ?? dataset.count))
        let events = samples.reduce(0) { $0 + $1.events.count }
        let kind = model.isQuantised ? "8-bit activations" : "float"
        print("model: \(modelPath) (\(model.architecture.rawValue), \(model.layers.count) layers, \(kind))")
        print("data:  \(dataPath): \(samples.count) of \(dataset.count) samples, \(events) events")

        var reference: InferenceRun?
        if engine != .chip && stream == nil {
            let run = ReferenceEngine(model: model).run(samples)
            reference = run
            report("reference", run)
        }
        if let mapOut {
            // The targets need only the instrument, so `--engine reference --map-out` writes them
            // without a board, ready for `xbar program --target`.
            let map = try WeightMap(model: model, instrument: try boardOptions.simulation.loadInstrument(), scaling: weightScaling)
            let stacked = map.stacked
            try NPYFile.write(ConductanceMap(rows: stacked.rows, columns: stacked.columns, siemens: stacked.siemens), path: mapOut)
            print("targets: \(mapOut) (\(stacked.rows)x\(stacked.columns) siemens, \(map.lowSiemens)...\(map.highSiemens) S)")
        }
        guard engine != .reference else {
            if let stream {
                let reference = ReferenceEngine(model: model)
                try runStream(source: stream, model: model, dataset: dataset, samples: samples) { reference.run([$0]) }
            }
            return
        }
        if let stream {
            try runStreamOnChip(stream, model: model, modelPath: modelPath, dataset: dataset, samples: samples)
            return
        }

        let simulation = boardOptions.simulation
        let arguments = InferArguments(
            model: absolute(modelPath), modelDigest: try FileDigest.sha256(path: modelPath),
            data: absolute(dataPath), dataDigest: try FileDigest.sha256(path: dataPath),
            classNames: model.classNames, sampleCount: samples.count, board: boardOptions.address,
            instrument: try simulation.requireInstrument(), calibration: simulation.calibration.map(absolute),
            seed: simulation.seed, program: program, readout: readout, ditherPairs: ditherPairs(for: model), decayOnChip: !decayOnHost,
            defectThresholdSiemens: defectThresholdSiemens, weightScaling: weightScaling.rawValue,
            readoutCalibration: readoutCalibration.map(absolute), fallback: fallback?.rawValue ?? "", chunkSize: chunkSize,
            state: state, nodeCalibration: nodeCalibration.map(absolute), senseRanges: senseRanges,
            decayIncrements: true, touchUp: touchUp, parallelSamples: parallelSamples,
            closeCallRuns: closeCallRuns, closeCallSigmas: closeCallSigmas)
        try InferenceSession.start(arguments, model: model, samples: samples, reference: reference,
                                   store: try storeOptions.open(), command: self)
    }

    /// The close-call repeats `--close-call-runs` and `--close-call-sigmas` ask for; nil for one run.
    ///
    /// - Throws: `ValidationError` for a margin that is not a positive number.
    func closeCalls() throws -> CloseCallRepeats? {
        try InferArguments.closeCalls(runs: closeCallRuns, sigmas: closeCallSigmas)
    }

    /// The dither pairs a chip run uses: as given, else none for an S4D whose recurrence runs on
    /// the chip (measured: its accuracy with none is that of four, at a quarter of the
    /// conversions; see the README's S4D paragraph), else four.
    func ditherPairs(for model: SSMModel) -> Int {
        ditherPairs ?? (model.architecture == .s4d && !decayOnHost ? 0 : 4)
    }

    func report(_ name: String, _ run: InferenceRun) {
        let correct = zip(run.predictions, run.labels).filter { $0 == $1 }.count
        print("\(name): " + String(format: "accuracy %.2f %% (%d of %d), %.0f events/s, %.2f us per event",
                                          100 * run.accuracy, correct, run.labels.count, run.eventsPerSecond, 1e6 * run.secondsPerEvent)
              + " [backend: \(run.backend)]")
        JSONLines.emit("engine", ["engine": name, "accuracy": run.accuracy, "correct": correct, "samples": run.labels.count,
                                  "eventsPerSecond": run.eventsPerSecond, "backend": run.backend])
    }
}

extension InferCommand {
    /// A stream on the chip, window by window as the events arrive (not recorded as a run).
    private func runStreamOnChip(_ stream: String, model: SSMModel, modelPath: String, dataset: EventDataset,
                                 samples: [EventSample]) throws {
        let (board, instrument) = try boardOptions.openBoard()
        let map = try WeightMap(model: model, instrument: instrument, scaling: weightScaling)
        var believed: [UInt8: [Double]] = [:]
        if program {
            let device = try boardOptions.simulation.deviceParameters(for: instrument)
            let outcomes = try WeightProgramming.program(map, on: board, with: WriteVerifyWeightProgrammer(instrument: instrument, device: device?.nonVolatile))
            for o in outcomes {
                print(String(format: "programmed tile %d: %.2f %% of %d cells in tolerance, %d pulses", Int(o.tile), 100 * o.yield, o.cells, o.pulses))
            }
            believed = Dictionary(uniqueKeysWithValues: outcomes.filter { !$0.measuredSiemens.isEmpty }.map { ($0.tile, $0.measuredSiemens) })
        } else if board is SimulatedBoard {
            throw ValidationError("a simulated board starts unprogrammed and lives only inside this process: add --program")
        }
        var preparation = ChipPreparation(readout: readout, ditherPairs: ditherPairs(for: model), decayOnChip: !decayOnHost,
                                          defectThresholdSiemens: defectThresholdSiemens, usesSenseRanges: senseRanges)
        preparation.closeCalls = try closeCalls()
        let engine = try preparation.prepare(board: board, model: model, map: map, instrument: instrument, believed: believed,
                                             log: { print($0) }).engine
        engine.statePlayer = try Self.statePlayer(model: model, modelPath: modelPath, place: state, nodeCalibration: nodeCalibration,
                                                  parallelSamples: parallelSamples, board: board, instrument: instrument)
        engine.statePlayer?.comparesStates = compareStates
        try runStream(source: stream, model: model, dataset: dataset, samples: samples) { try engine.run([$0]) }
    }

    /// The STM state player when an event SSM's states go on the nodes; nil when they decay on the host.
    static func statePlayer(model: SSMModel, modelPath: String, place requested: StatePlace?, nodeCalibration: String?,
                            parallelSamples: Int?, board: any Board, instrument: Instrument) throws -> STMStatePlayer? {
        guard model.architecture == .eventSSM else {
            if requested == .stm { throw ValidationError("--state stm holds an event SSM's states; \(modelPath) is an S4D") }
            return nil
        }
        let place = requested ?? (model.boardBinding != nil && !instrument.stateTiles.isEmpty ? .stm : .host)
        guard place == .stm else {
            print("states: decayed on the host with the model's decay constants")
            return nil
        }
        guard let binding = model.boardBinding else {
            throw ValidationError("\(modelPath) was not trained for a board's STM nodes (no node time constants or scales); train one with `python3 -m tools.board_training --calibration CAL --task TASK`, or use --state host")
        }
        let nodes = try STMNodeModel.forModel(model, modelPath: modelPath, instrument: instrument, path: nodeCalibration)
        let path = nodeCalibration ?? binding.calibrationFile ?? "?"
        print("states: on STM nodes of tile \(nodes.tile.index), calibrated by \(path), read at \(binding.stmReadVolts) V, \(binding.pulsesPerIncrement) pulses per increment")
        let player = try STMStatePlayer(board: board, nodes: nodes, instrument: instrument, model: model)
        let blocks = model.layers.compactMap(\.stmNodes)
        let largest = STMNodeSets.largestCount(blockPairs: blocks, nodes: nodes)
        let count = parallelSamples ?? STMNodeSets.automaticCount(blockPairs: blocks, nodes: nodes)
        guard count <= largest else {
            throw ValidationError("--parallel-samples \(count): the STM tile's device classes hold \(largest) disjoint sets of the model's \(blocks.joined().count) nodes")
        }
        if count == 1 && largest > 1 {
            let sets = try STMNodeSets(blockPairs: blocks, nodes: nodes, count: largest)
            print(String(format: "states: one sample at a time; the tile holds %d sets of the model's nodes, their substitutes' time constants %.1f %% rms off (--parallel-samples %d plays them at once)",
                         largest, 100 * sets.rmsRelativeTauDifference, largest))
        }
        if count > 1 {
            let sets = try STMNodeSets(blockPairs: blocks, nodes: nodes, count: count)
            player.nodeSets = sets
            print(String(format: "states: %d samples at once on disjoint node sets; substitute nodes' time constants %.2f %% rms, at most %.2f %% off their model nodes'",
                         count, 100 * sets.rmsRelativeTauDifference, 100 * sets.largestRelativeTauDifference))
        }
        return player
    }
}

/// An absolute path, so that a resumed run finds its files from any folder.
func absolute(_ path: String) -> String {
    URL(fileURLWithPath: path).standardizedFileURL.path
}

extension WeightMap.Scaling: ExpressibleByArgument {}
extension ChipPreparation.Readout: ExpressibleByArgument {}
