import ArgumentParser
import Foundation
import XbarBoard
import XbarInstrument
import XbarJobs
import XbarSSM
import XbarDevice

struct InferCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "infer",
        abstract: "Classify an event data set with a state-space model, digitally and with the crossbar in the loop.",
        discussion: """
            Runs the digital reference (float64) and, with --engine chip or both, the chip-in-loop \
            engine: the model's matrix products (B, C, the readout; an S4D's decay with \
            --decay-on-chip) as batched MVM requests on the board's weight tiles, at the placements \
            the model file gives. Prints the accuracy of each on the same samples, the agreement \
            between them, events per second and wall time per event (seconds), and which backend \
            produced each result.

            With --readout calibrated (the default) the tiles are read back first (pairs that \
            missed their targets are corrected on the host) and each column's readout gain and \
            offset are measured with probe vectors (amperes; --save-readout-calibration keeps \
            them as JSON, --readout-calibration reuses them on the same board); every input \
            vector is scaled so its largest entry reaches the DAC's full scale while the column \
            currents stay within 80 % of the ADC's, and a vector whose conversion still reads full \
            scale is measured again at half the scale.

            The tiles must hold the model's weights. A simulated board lives only inside one \
            process, so with --board sim add --program: the weights are mapped to target \
            conductances (siemens, differential pairs along columns) and write-verified first, and \
            the programming yield is printed. --map-out writes the targets as a 256x64 .npy \
            (tiles stacked) for `xbar program --target`.

            Example:
              xbar infer --model examples/event_digits_event_ssm_int8.safetensors \\
                --data examples/event_digits_test.safetensors --board sim --instrument usb-4x64 \\
                --engine both --program --limit 50
            """)

    @Option(help: ArgumentHelp("Model file (safetensors) from examples/ or exported the same way.", valueName: "path"))
    var model: String

    @Option(help: ArgumentHelp("Event data set file (safetensors, xbarlab-events-1).", valueName: "path"))
    var data: String

    @OptionGroup var boardOptions: BoardOptions

    enum Engine: String, ExpressibleByArgument, CaseIterable { case reference, chip, both }

    @Option(help: "reference (digital only), chip (crossbar in the loop) or both.")
    var engine: Engine = .both

    @Option(help: "Use only the first N samples of the data set.")
    var limit: Int?

    @Flag(help: "Map the weights and write-verify them onto the board before inference (needed with --board sim).")
    var program = false

    @Option(help: ArgumentHelp("Write the target conductance map (siemens, 256x64 float64 .npy) here.", valueName: "path"))
    var mapOut: String?

    @Option(help: "Antithetic dither pairs per product against the ADC's resolution (0: one plain conversion).")
    var ditherPairs: Int = 4

    enum Readout: String, ExpressibleByArgument, CaseIterable { case calibrated, uncorrected }

    @Option(help: ArgumentHelp("calibrated: read the tiles back, measure each column's gain and offset with probe vectors, scale every vector to the DAC's range within the ADC's; uncorrected: the earlier readout (activation ranges at full scale, no calibration).", valueName: "mode"))
    var readout: Readout = .calibrated

    @Option(help: ArgumentHelp("Use this readout calibration (JSON, from --save-readout-calibration on the same board) instead of measuring one.", valueName: "path"))
    var readoutCalibration: String?

    @Option(help: ArgumentHelp("Write the readout calibration measured in this run here (JSON).", valueName: "path"))
    var saveReadoutCalibration: String?

    @Option(help: ArgumentHelp("per-output (each column pair's largest weight spans the conductance range) or per-matrix (one scale per matrix). Must match how the board was programmed.", valueName: "scaling"))
    var weightScaling: WeightMap.Scaling = .perOutput

    @Flag(help: "Multiply an S4D's diagonal decay on its tile (default: on the host; one cell per column is below the ADC's resolution and drifts into the recurrence).")
    var decayOnChip = false

    @Option(help: "Pairs whose verified G+ - G- misses its target by more than this many siemens are corrected on the host.")
    var defectThresholdSiemens: Double = 3e-6

    @Option(help: ArgumentHelp("Classify a stream instead of whole samples: a data set file replayed at its own timestamps (its samples one window apart), or - for event lines `SECONDS CHANNEL [POLARITY]` on standard input. Prints a decision per window and its latency after the window's last event.", valueName: "source"))
    var stream: String?

    @Option(help: ArgumentHelp("Length of a stream window, seconds (default: the longest sample of --data, else 0.3 s).", valueName: "seconds"))
    var windowSeconds: Double?

    enum StatePlace: String, ExpressibleByArgument, CaseIterable { case stm, host }

    @Option(help: ArgumentHelp("Where an event SSM's states live: stm (on the board's STM nodes, their decay the state transition; the default for models trained for the board) or host (decayed on the host).", valueName: "place"))
    var state: StatePlace?

    @Flag(help: "With the states on STM nodes, compare every state read with the ideal recursion at the nodes' calibrated time constants and print the RMS difference (a host-side diagnostic).")
    var compareStates = false

    @Option(help: ArgumentHelp("The calibration of the board's STM nodes the model was trained with (default: the file the model names, beside the model; its SHA-256 must match).", valueName: "path"))
    var nodeCalibration: String?

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1, got \(limit)") }
        if ditherPairs < 0 { throw ValidationError("--dither-pairs must be 0 or more, got \(ditherPairs)") }
        // All but the digital reference alone needs the instrument: refuse before the reference runs.
        if engine != .reference || mapOut != nil { try boardOptions.simulation.requireInstrument() }
        if let windowSeconds, !(windowSeconds > 0 && windowSeconds.isFinite) {
            throw ValidationError("--window-seconds must be a positive number of seconds, got \(windowSeconds)")
        }
        if readout == .uncorrected && (readoutCalibration != nil || saveReadoutCalibration != nil) {
            throw ValidationError("--readout-calibration and --save-readout-calibration need --readout calibrated")
        }
    }

    func run() throws {
        let model = try SSMModel(contentsOf: self.model)
        let dataset = try EventDataset(contentsOf: data)
        guard dataset.classNames == model.classNames else {
            throw ValidationError("\(data): classes \(dataset.classNames) differ from the model's \(model.classNames) (\(self.model))")
        }
        let samples = Array(dataset.samples.prefix(limit ?? dataset.count))
        let events = samples.reduce(0) { $0 + $1.events.count }
        let kind = model.isQuantised ? "8-bit activations" : "float"
        print("model: \(self.model) (\(model.architecture.rawValue), \(model.layers.count) layers, \(kind))")
        print("data:  \(data): \(samples.count) of \(dataset.count) samples, \(events) events")

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

        let (board, instrument) = try boardOptions.openBoard()
        let map = try WeightMap(model: model, instrument: instrument, scaling: weightScaling)
        var defects = PairDefects()
        var believed: [UInt8: [Double]] = [:]
        if program {
            let outcomes = try WeightProgramming.program(map, on: board, with: InferCommand.programmer(instrument: instrument, calibration: try boardOptions.simulation.deviceParameters(for: instrument)))
            for o in outcomes {
                print(String(format: "programmed tile %d: %.2f %% of %d cells in tolerance, %d pulses", Int(o.tile), 100 * o.yield, o.cells, o.pulses))
            }
            let measured = Dictionary(uniqueKeysWithValues: outcomes.filter { !$0.measuredSiemens.isEmpty }.map { ($0.tile, $0.measuredSiemens) })
            believed = measured
        } else if board is SimulatedBoard {
            throw ValidationError("a simulated board starts unprogrammed and lives only inside this process: add --program")
        }
        if readout == .calibrated || !program {
            // What the tiles hold now (programmed earlier with xbar program --target from --map-out,
            // or just now), with cells stuck near their maximum read again at a lower voltage.
            let read = try TileReadback(instrument: instrument).read(map, on: board)
            believed = map.believedConductances(readBack: read, toleranceSiemens: defectThresholdSiemens)
            print("read back tiles \(read.keys.sorted().map(String.init).joined(separator: ", "))")
        }
        defects = PairDefects(map: map, measured: believed, thresholdSiemens: defectThresholdSiemens)
        print("pairs corrected on the host (missed by > \(defectThresholdSiemens) S): \(defects.count)")

        var calibration: ReadoutCalibration?
        if readout == .calibrated {
            if let path = readoutCalibration {
                let loaded = try ReadoutCalibration(contentsOf: path)
                let serial = try board.identify().serialNumber
                guard loaded.boardSerial == serial, loaded.instrument == instrument.name else {
                    throw ValidationError("\(path): measured on board \(loaded.boardSerial) (\(loaded.instrument)), this is \(serial) (\(instrument.name)); measure anew without --readout-calibration")
                }
                calibration = loaded
                print("readout calibration: \(path) (measured \(loaded.measuredAt))")
            } else {
                let measured = try ReadoutProbe().measure(on: board, map: map, instrument: instrument, believedSiemens: believed)
                let corrected = measured.tiles.reduce(0) { $0 + zip($1.gains, $1.offsetsAmperes).filter { $0 != 1 || $1 != 0 }.count }
                print("readout calibration: \(measured.probeVectors) probe vectors per tile; \(corrected) of \(measured.tiles.reduce(0) { $0 + $1.gains.count }) columns with a gain or offset told apart from none")
                if let path = saveReadoutCalibration {
                    try measured.write(to: path)
                    print("readout calibration written to \(path)")
                }
                calibration = measured
            }
        }
        let settings = readout == .calibrated
            ? ReadoutSettings(inputScaling: .perVector, ditherPairs: ditherPairs, diagonalDitherPairs: 4 * ditherPairs)
            : ReadoutSettings(inputScaling: .activationRange, ditherPairs: ditherPairs, adcHeadroom: 1, saturationRetries: 0)
        let engine = try ChipInLoopEngine(model: model, map: map, board: board, instrument: instrument, decayOnChip: decayOnChip,
                                          settings: settings, calibration: calibration, defects: defects)
        engine.statePlayer = try statePlayer(model: model, board: board, instrument: instrument)
        engine.statePlayer?.comparesStates = compareStates
        if let stream {
            try runStream(source: stream, model: model, dataset: dataset, samples: samples) { try engine.run([$0]) }
            return
        }
        let chip = try engine.run(samples)
        report("chip-in-loop", chip)
        print("  MVM requests \(chip.mvmRequests), vectors \(chip.mvmVectors); ADC conversions at full scale \(chip.saturatedConversions), vectors measured again \(chip.remeasuredVectors)")
        if let stm = chip.stateNodes {
            let events = Double(max(stm.events, 1))
            print(String(format: "  states on STM nodes: %d programs, %.1f pulses and %.1f reads per event, %d increments cut short, %d too small to pulse",
                         stm.programs, Double(stm.pulses) / events, Double(stm.reads) / events, stm.incrementsCutShort, stm.incrementsSkipped))
            print(String(format: "  board time: %.3f s of programs for %.3f s of samples (%.4f s per sample), largest read delay %.1f us, %.3f s of rest; %.1f kB uploaded",
                         stm.programBoardSeconds, stm.sampleSeconds, stm.programBoardSeconds / Double(max(stm.programs, 1)),
                         1e6 * stm.largestReadDelaySeconds, stm.restBoardSeconds, Double(stm.uploadedBytes) / 1000))
            if let e = stm.relativeStateError {
                print(String(format: "  states read from the nodes vs the ideal recursion at their calibrated time constants: %.1f %% rms", 100 * e))
            }
        }
        let a = chip.arithmetic
        print(String(format: "  arithmetic: %.3g multiply-accumulates on the array; host %.3g operations (%.2f %%): state decays %d, readout corrections %d, output scaling %d, pair corrections %d, pulse planning %d, state decoding %d",
                     Double(a.arrayMultiplyAccumulates), Double(a.hostOperations), 100 * a.hostShare, a.stateDecays,
                     a.readoutCorrections, a.outputScaling, a.pairCorrections, a.pulsePlanning, a.stateDecoding))
        if let reference {
            let agree = zip(reference.predictions, chip.predictions).filter { $0 == $1 }.count
            print(String(format: "agreement with the reference: %.1f %% (%d of %d); accuracy difference %.1f points",
                         100 * Double(agree) / Double(samples.count), agree, samples.count, 100 * (chip.accuracy - reference.accuracy)))
        }
    }

    /// The STM state player when the states go on the nodes; nil when they decay on the host.
    private func statePlayer(model: SSMModel, board: any Board, instrument: Instrument) throws -> STMStatePlayer? {
        guard model.architecture == .eventSSM else {
            if state == .stm { throw ValidationError("--state stm holds an event SSM's states; \(self.model) is an S4D") }
            return nil
        }
        let place = state ?? (model.boardBinding != nil && !instrument.stateTiles.isEmpty ? .stm : .host)
        guard place == .stm else {
            print("states: decayed on the host with the model's decay constants")
            return nil
        }
        guard let binding = model.boardBinding else {
            throw ValidationError("\(self.model) was not trained for a board's STM nodes (no node time constants or scales); train one with `python3 -m tools.board_training --calibration CAL --task TASK`, or use --state host")
        }
        let nodes = try STMNodeModel.forModel(model, modelPath: self.model, instrument: instrument, path: nodeCalibration)
        let path = nodeCalibration ?? binding.calibrationFile ?? "?"
        print("states: on STM nodes of tile \(nodes.tile.index), calibrated by \(path), read at \(binding.stmReadVolts) V")
        return try STMStatePlayer(board: board, nodes: nodes, instrument: instrument, readVolts: binding.stmReadVolts)
    }

    private func report(_ name: String, _ run: InferenceRun) {
        let correct = zip(run.predictions, run.labels).filter { $0 == $1 }.count
        print("\(name): " + String(format: "accuracy %.2f %% (%d of %d), %.0f events/s, %.2f us per event",
                                          100 * run.accuracy, correct, run.labels.count, run.eventsPerSecond, 1e6 * run.secondsPerEvent)
              + " [backend: \(run.backend)]")
    }
}

extension WeightMap.Scaling: ExpressibleByArgument {}

extension InferCommand {
    /// How `--program` reaches the targets: the lab's write-verify job, planned with the
    /// calibrated device model when a calibration is given.
    static func programmer(instrument: Instrument, calibration device: DeviceParameters?) -> any WeightProgrammer {
        WriteVerifyWeightProgrammer(instrument: instrument, device: device?.nonVolatile)
    }
}
