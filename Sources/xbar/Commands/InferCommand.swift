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
            engine: every matrix product of the model (B, C, the readout, an S4D's decay) as \
            batched MVM requests on the board's weight tiles, at the placements the model file \
            gives. Prints the accuracy of each on the same samples, the agreement between them, \
            events per second and wall time per event (seconds), and which backend produced each \
            result.

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

    @Option(help: "Pairs whose verified G+ - G- misses its target by more than this many siemens are corrected on the host.")
    var defectThresholdSiemens: Double = 3e-6

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1, got \(limit)") }
        if ditherPairs < 0 { throw ValidationError("--dither-pairs must be 0 or more, got \(ditherPairs)") }
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
        if engine != .chip {
            let run = ReferenceEngine(model: model).run(samples)
            reference = run
            report("reference", run)
        }
        if let mapOut {
            // The targets need only the instrument, so `--engine reference --map-out` writes them
            // without a board, ready for `xbar program --target`.
            let map = try WeightMap(model: model, instrument: try boardOptions.simulation.loadInstrument())
            let stacked = map.stacked
            try NPYFile.write(ConductanceMap(rows: stacked.rows, columns: stacked.columns, siemens: stacked.siemens), path: mapOut)
            print("targets: \(mapOut) (\(stacked.rows)x\(stacked.columns) siemens, \(map.lowSiemens)...\(map.highSiemens) S)")
        }
        guard engine != .reference else { return }

        let (board, instrument) = try boardOptions.openBoard()
        let map = try WeightMap(model: model, instrument: instrument)
        var defects = PairDefects()
        if program {
            let outcomes = try WeightProgramming.program(map, on: board, with: InferCommand.programmer(instrument: instrument, calibration: try boardOptions.simulation.deviceParameters(for: instrument)))
            for o in outcomes {
                print(String(format: "programmed tile %d: %.2f %% of %d cells in tolerance, %d pulses", Int(o.tile), 100 * o.yield, o.cells, o.pulses))
            }
            let measured = Dictionary(uniqueKeysWithValues: outcomes.filter { !$0.measuredSiemens.isEmpty }.map { ($0.tile, $0.measuredSiemens) })
            defects = PairDefects(map: map, measured: measured, thresholdSiemens: defectThresholdSiemens)
            print("pairs corrected on the host (missed by > \(defectThresholdSiemens) S): \(defects.count)")
        } else if board is SimulatedBoard {
            throw ValidationError("a simulated board starts unprogrammed and lives only inside this process: add --program")
        } else {
            // Programmed earlier (xbar program --target from --map-out): read what the tiles hold
            // now, so pairs with a stuck or drifted cell are corrected on the host.
            let settings = ProgrammingSettings.standard(for: instrument)
            var measured: [UInt8: [Double]] = [:]
            for tile in Set(map.placements.map { UInt8($0.tile) }).sorted() {
                measured[tile] = try board.readConductances(.tile(tile), readVolts: settings.readVolts, averages: settings.verifyAverages)
            }
            defects = PairDefects(map: map, measured: measured, thresholdSiemens: defectThresholdSiemens)
            print("read back tiles \(measured.keys.sorted().map(String.init).joined(separator: ", ")); pairs corrected on the host (missed by > \(defectThresholdSiemens) S): \(defects.count)")
        }
        let chip = try ChipInLoopEngine(model: model, map: map, board: board, instrument: instrument,
                                        settings: ReadoutSettings(inputScaling: .perVector, ditherPairs: ditherPairs,
                                                                  diagonalDitherPairs: 4 * ditherPairs),
                                        defects: defects).run(samples)
        report("chip-in-loop", chip)
        print("  MVM requests \(chip.mvmRequests), vectors \(chip.mvmVectors)")
        if let reference {
            let agree = zip(reference.predictions, chip.predictions).filter { $0 == $1 }.count
            print(String(format: "agreement with the reference: %.1f %% (%d of %d); accuracy difference %.1f points",
                         100 * Double(agree) / Double(samples.count), agree, samples.count, 100 * (chip.accuracy - reference.accuracy)))
        }
    }

    private func report(_ name: String, _ run: InferenceRun) {
        let correct = zip(run.predictions, run.labels).filter { $0 == $1 }.count
        print("\(name): " + String(format: "accuracy %.2f %% (%d of %d), %.0f events/s, %.2f us per event",
                                          100 * run.accuracy, correct, run.labels.count, run.eventsPerSecond, 1e6 * run.secondsPerEvent)
              + " [backend: \(run.backend)]")
    }
}

extension InferCommand {
    /// How `--program` reaches the targets: the lab's write-verify job, planned with the
    /// calibrated device model when a calibration is given.
    static func programmer(instrument: Instrument, calibration device: DeviceParameters?) -> any WeightProgrammer {
        WriteVerifyWeightProgrammer(instrument: instrument, device: device?.nonVolatile)
    }
}
