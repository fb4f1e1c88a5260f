import ArgumentParser
import Foundation
import XbarBoard
import XbarDevice
import XbarInstrument
import XbarJobs
import XbarSSM
import XbarStore
import XbarWire

/// `xbar-bench twin`: how well the digital twin of a chip predicts the chip, with and without
/// a calibration.
struct TwinBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "twin",
        abstract: "Measure the digital twin's fidelity to a chip with hidden parameters: products, reads, predictions, write-verify.",
        discussion: """
            The "chip" is a simulated board (--instrument) whose device model is a hidden random \
            draw around the instrument's defaults and whose array periphery (wire and line \
            resistance, column gains and offsets, converter non-linearity, sneak paths of \
            passive tiles) is a hidden draw across the realistic ranges (--seed; the twin is \
            never told either). Per model: the \
            chip is calibrated with the default plan of `xbar calibrate`, the model's weights are \
            write-verified onto it by the lab's job (recorded in a scratch run store), the chip is \
            prepared for inference (its tiles read back, 16-fold averaged, and its readout \
            calibrated with --probes vectors per tile) and that read-back recorded as `xbar infer` \
            records it; then twins are built as `xbar infer` builds its fallback, from the \
            programming run and the newest read-back after it: one with the calibration \
            ("calibrated twin"), one with the instrument's defaults ("uncalibrated twin"), and one \
            with the calibration from the run's verified values alone ("verified twin"). \
            Printed, chip against each twin:
              products: RMS difference of MVM column currents over --vectors held-out random \
                vectors per programmed tile (inputs uniform within the DAC's full scale), in % \
                of the ADC's full scale; the chip against itself (the same vectors again) is the floor; \
                then the same vectors scaled to each sense range and converted in it, in % of that \
                range's full scale, also after fitting each column of a twin to the chip with its \
                own gain and offset (what each board's readout calibration takes out);
              reads: RMS difference of 16-fold averaged tile reads, in % of the conductance range;
              predictions: agreement of the chip-in-loop predictions (calibrated readout, each \
                board prepared on its own) over the first --samples test samples, and accuracies; \
                the chip's agreement with itself run again is one floor, and with itself \
                prepared again (its read-back and readout calibration redone, as each twin's \
                are; the chip row's agreement) the floor a twin is held to; for the chip against \
                itself and against each twin, how many samples they decide apart, the spread of \
                the top-two logit margin between them and the margins of the samples apart in \
                units of it; with --close-call-runs above 1 every board runs its close calls \
                again (as `xbar infer --close-call-runs`) and the chip's extra samples, requests \
                and board time are printed;
              write-verify: --write-maps new random target maps written one after another onto \
                tile 0 of each board by the lab's job (on a passive array taking the calibrated \
                sneak current off its verify reads): mean pulses per cell, round trips and cells \
                found stuck per map, and each twin's figure off the chip's in %; and the same \
                on a twin given the chip's hidden device model and periphery (the floor of what \
                a calibration can buy; which untested cells are stuck stays a draw).
            On an instrument the example models do not fit (serial-32x32) a random target map \
            is programmed on every weight tile instead, predictions are left out, and the twins \
            hold the verified values (nothing is read back).
            Whatever the calibration file describes (and the simulated board models) reaches the \
            twin through the calibration, so periphery the calibration learns to measure is \
            picked up here without change.

            Example: swift build -c release --product xbar-bench && .build/release/xbar-bench twin --samples 100
            """)

    @Option(help: "Instrument of the chip.")
    var instrument: String = "usb-4x64"

    @Option(help: "Model files (default: the eight example models of examples/: both data sets' event SSM float and int8, S4D float and ternary).")
    var model: [String] = []

    @Option(help: "Folder of the example models and data sets.")
    var examples: String = "examples"

    @Option(help: "Seed of the chip's hidden parameter draw and of its per-cell draws.")
    var seed: UInt64 = 7

    @Option(help: "Held-out random vectors per programmed tile.")
    var vectors: Int = 512

    @Option(help: "Test samples run on the chip and on each twin.")
    var samples: Int = 100

    @Option(help: "Most runs of a close call on each board, its first included (1, the default: every sample decided on one run; 8: the standard close-call repeats).")
    var closeCallRuns: Int = 1

    @Option(help: "A sample is run again while its top-two logit margin is below this many standard errors of its measured run-to-run spread.")
    var closeCallSigmas: Double = CloseCallRepeats.standard.marginSigmas

    @Option(help: "Antithetic dither pairs per product on each board (diagonals four times as many).")
    var ditherPairs: Int = ChipPreparation().ditherPairs

    @Option(help: "Steps of its sense range a vector's planned signal spans to be converted once, without dither (inf: every vector dithered).")
    var ditherFreeSteps: Double = ChipPreparation().settings.ditherFreeSteps

    @Option(help: "Probe vectors per tile of each board's readout calibration.")
    var probes: Int = ChipPreparation().probeVectors

    @Option(help: "Random target maps written one after another onto tile 0 of the chip and of each twin (one write's round trips are set by its slowest cell and vary by about 16 % from one write to the next on one chip).")
    var writeMaps: Int = 16

    @Option(name: .customLong("instruments-dir"), help: "Folder of instrument files (default: ./instruments or above the executable).")
    var instrumentsDirectory: String?

    struct Figures {
        var productRMS = 0.0
        var readRMS = 0.0
        var agreement = 0.0
        var accuracy = 0.0
        var pulsesPerCell = 0.0
        /// Per map written.
        var roundTrips = 0.0
        /// Per map written.
        var stuckFound = 0.0
    }

    func run() throws {
        let instrument = try InstrumentCatalog.locate(explicitDirectory: instrumentsDirectory).resolve(self.instrument)
        let hidden = instrument.device.hiddenDraw(seed: seed)
        let passive = instrument.weightTiles.contains { $0.kind == .nonVolatilePassive }
        let periphery = ArrayPeripheryParameters.hiddenDraw(seed: seed ^ 0xA77A, passive: passive)
        print("chip: \(instrument.name) with a hidden parameter draw (seed \(seed)): set step \(String(format: "%.4f", hidden.nonVolatile.setStepFraction.mean)) "
              + "(defaults \(instrument.device.nonVolatile.setStepFraction.mean)), read noise \(String(format: "%.4f", hidden.nonVolatile.readNoiseSpread)) "
              + "(defaults \(instrument.device.nonVolatile.readNoiseSpread))")
        print(String(format: "  periphery: wire %.2f ohm/cell, lines %.1f ohm, column gains %.1f %%, offsets %.2f %% of full scale, bow %.2f LSB, per-code %.2f LSB, half-select %.3f",
                     periphery.wireOhmsPerCell, periphery.lineOhms, 100 * periphery.senseGainSpread, 100 * periphery.senseOffsetSpread,
                     periphery.adcBowLSB.mean, periphery.adcCodeNoiseLSB, periphery.halfSelectCurrentFraction))
        let names = ["event_digits", "spoken_digits"].flatMap { set in
            ["event_ssm_float", "event_ssm_int8", "s4d_float", "s4d_ternary"].map { "\(examples)/\(set)_\($0).safetensors" }
        }
        let models: [String?] = instrument.name == "usb-4x64" ? (model.isEmpty ? names : model) : [nil]
        var summary: [(String, [(String, Figures)], Figures)] = []
        for path in models {
            summary.append(try benchmark(path, instrument: instrument, hidden: hidden, periphery: periphery))
        }
        guard summary.count > 1 else { return }
        print("\nsummary (\(summary.count) models): worst products, worst reads, least agreement, largest write-verify differences")
        print("  " + "chip".padding(toLength: 18, withPad: " ", startingAt: 0)
              + String(format: "agreement with itself prepared again %.1f %% (least)", 100 * (summary.map(\.2.agreement).min() ?? .nan)))
        for label in ["calibrated twin", "verified twin", "uncalibrated twin"] {
            let rows = summary.compactMap { entry in entry.1.first { $0.0 == label }.map { ($0.1, entry.2) } }
            // The verified twin is built only where the chip was prepared (a model to run).
            guard !rows.isEmpty else { continue }
            func off(_ a: Double, _ b: Double) -> Double { b == 0 ? (a == 0 ? 0 : .infinity) : abs(a / b - 1) }
            print("  " + label.padding(toLength: 18, withPad: " ", startingAt: 0)
                  + String(format: "products %.3f %%, reads %.3f %%, agreement %.1f %%, pulses/cell %.1f %%, round trips %.1f %%, stuck %.1f %% off",
                           100 * rows.map(\.0.productRMS).max()!, 100 * rows.map(\.0.readRMS).max()!, 100 * rows.map(\.0.agreement).min()!,
                           100 * rows.map { off($0.0.pulsesPerCell, $0.1.pulsesPerCell) }.max()!,
                           100 * rows.map { off($0.0.roundTrips, $0.1.roundTrips) }.max()!,
                           100 * rows.map { off($0.0.stuckFound, $0.1.stuckFound) }.max()!))
        }
    }

    /// One model (or, with none, a random target map on every weight tile) on a fresh chip.
    /// - Returns: the model's name, each twin's figures and the chip's.
    private func benchmark(_ path: String?, instrument: Instrument, hidden: DeviceParameters,
                           periphery: ArrayPeripheryParameters) throws -> (String, [(String, Figures)], Figures) {
        var model: SSMModel?
        var data: [EventSample] = []
        if let path {
            let m = try SSMModel(contentsOf: path)
            let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
            guard let dataName = m.testDataFile else { throw ValidationError("\(path): names no test_data") }
            data = Array(try EventDataset(contentsOf: "\(folder)/\(dataName)").samples.prefix(samples))
            model = m
        }
        let name = path.map { URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent } ?? "random target map"
        print("\n\(name)")

        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("xbar-bench-twin-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let store = try RunStore(path: scratch.appendingPathComponent("lab.sqlite").path)
        let chip = SimulatedBoard(instrument: instrument, parameters: hidden, periphery: periphery, seed: seed)

        // Calibrate, then program the weights with the calibrated model, as a lab would.
        let calibrator = Calibrator(instrument: instrument, plan: try CalibrationPlan(instrument: instrument))
        let calibration = try calibrator.fit(try calibrator.measure(on: chip), backend: chip.backendDescription)
        let calibrationPath = scratch.appendingPathComponent("cal.json").path
        try calibration.save(path: calibrationPath)
        let run = try store.startRun(RunDraft(kind: "program", user: RunDraft.currentUser, backend: chip.backendDescription,
                                              boardModel: chip.identity.model, boardSerial: chip.serialNumber,
                                              instrumentName: instrument.name, argumentsJSON: "{}"))
        let programmer = WriteVerifyWeightProgrammer(instrument: instrument, device: calibration.device.nonVolatile,
                                                     journal: StoreJournal(store: store, runID: run), store: store, runID: run)
        let map = try model.map { try WeightMap(model: $0, instrument: instrument) }
        let tiles: [UInt8]
        if let map {
            let outcomes = try WeightProgramming.program(map, on: chip, with: programmer)
            let cells = outcomes.reduce(0) { $0 + $1.cells }, ok = outcomes.reduce(0) { $0 + $1.cellsInTolerance }
            print(String(format: "  programmed %d tiles: %.2f %% of %d cells in tolerance", outcomes.count, 100 * Double(ok) / Double(cells), cells))
            tiles = outcomes.map(\.tile)
        } else {
            // Every weight tile written to targets uniform over the calibrated range, as by `xbar program`.
            var random = Xoshiro256StarStar(seed: seed ^ 0x7A29)
            let range = ProgrammableRange(device: calibration.device.nonVolatile)
            let targets = instrument.weightTiles.map { info in
                (info, (0..<info.cellCount).map { _ in range.lowSiemens + (range.highSiemens - range.lowSiemens) * random.nextOpenUnit() })
            }
            let device = calibration.device.nonVolatile
            let job = ProgrammingJob(targets: ProgrammingTargets(tiles: targets), algorithm: .adaptive,
                                     settings: .standard(for: instrument, device: device, tolerance: .percentOfRange(1),
                                                         periphery: calibration.periphery?.parameters),
                                     device: device, envelope: PulseEnvelope(limits: instrument.limits),
                                     runner: OperationRunner(board: chip, journal: StoreJournal(store: store, runID: run)), store: store, runID: run)
            let reports = try job.run()
            let cells = reports.reduce(0) { $0 + $1.pulses.count }, ok = reports.reduce(0) { $0 + $1.count(.converged) }
            print(String(format: "  programmed %d tiles: %.2f %% of %d cells converged", reports.count, 100 * Double(ok) / Double(cells), cells))
            tiles = instrument.weightTiles.map(\.index)
        }
        try store.finishRun(run, status: .completed)

        // Predictions, each board prepared on its own like the chip.
        var preparation = ChipPreparation(ditherPairs: ditherPairs)
        guard probes >= 0 else { throw ValidationError("--probes must be at least 0, got \(probes)") }
        preparation.probeVectors = probes
        guard ditherPairs >= 0 else { throw ValidationError("--dither-pairs must be at least 0, got \(ditherPairs)") }
        guard ditherFreeSteps > 0 else { throw ValidationError("--dither-free-steps must be positive, got \(ditherFreeSteps)") }
        var settings = preparation.settings
        settings.ditherFreeSteps = ditherFreeSteps
        preparation.readoutSettings = settings
        guard closeCallRuns >= 1 else { throw ValidationError("--close-call-runs must be at least 1, got \(closeCallRuns)") }
        preparation.closeCalls = try closeCallRuns > 1 ? CloseCallRepeats(marginSigmas: closeCallSigmas, largestRuns: closeCallRuns) : nil
        var prepared: ChipPreparation.Prepared?
        if let model, let map {
            let chipPrepared = try preparation.prepare(board: chip, model: model, map: map, instrument: instrument)
            // What `xbar infer` records of the chip's preparation: its read-back, in an inference
            // run of this chip.
            let inferRun = try store.startRun(RunDraft(kind: "infer", user: RunDraft.currentUser, backend: chip.backendDescription,
                                                       boardModel: chip.identity.model, boardSerial: chip.serialNumber,
                                                       instrumentName: instrument.name, argumentsJSON: "{}"))
            for record in chipPrepared.readBackRecords(run: inferRun, instrument: instrument) { try store.saveReadBack(record) }
            try store.finishRun(inferRun, status: .completed)
            prepared = chipPrepared
        }

        // Products and reads, right after the read-back (the cells relax on): the chip against
        // itself is the floor of any comparison.
        let requests = randomProducts(tiles: tiles, instrument: instrument)
        let chipProducts = try requests.map { try chip.mvm($0).amperes }
        let chipAgain = try requests.map { try chip.mvm($0).amperes }
        let chipReads = try tiles.map { try chip.readConductances(.tile($0), readVolts: instrument.defaultReadVolts, averages: 16) }
        let chipReadsAgain = try tiles.map { try chip.readConductances(.tile($0), readVolts: instrument.defaultReadVolts, averages: 16) }
        let fullScale = Double(instrument.adc.mvmFullScaleAmperes)
        let range = hidden.nonVolatile.gMaxSiemens.mean - hidden.nonVolatile.gMinSiemens.mean
        print(String(format: "  floor (chip against itself): products %.3f %% of ADC full scale, reads %.3f %% of range",
                     100 * rms(chipProducts, chipAgain) / fullScale, 100 * rms(chipReads, chipReadsAgain) / range))
        // Products in each sense range (inputs scaled with the range's full scale): where an
        // inference's products are converted, and where a converter's errors weigh most.
        let fullScales = instrument.senseRanges.map { Double($0.fullScaleAmperes) }
        let rangedRequests = fullScales.enumerated().map { index, rangeFullScale in
            let scale = Float(min(1, rangeFullScale / fullScale))
            return requests.map { r in
                var q = r
                q.inputs = r.inputs.map { $0 * scale }
                q.senseRange = UInt8(index)
                return q
            }
        }
        let chipRanged = try rangedRequests.map { ranged in
            (try ranged.map { try chip.mvm($0).amperes }, try ranged.map { try chip.mvm($0).amperes })
        }

        var onChip: InferenceRun?
        var preparedAgain = Double.nan
        if let model, let map, let prepared {
            let engine = prepared.engine
            let boardStart = chip.boardTimeNanoseconds
            let result = try engine.run(data)
            let boardSeconds = Double(chip.boardTimeNanoseconds - boardStart) * 1e-9
            // The chip run again (new read noise): the floor of any agreement with it.
            let again = try engine.run(data)
            let same = zip(result.predictions, again.predictions).filter { $0 == $1 }.count
            print(String(format: "  chip: accuracy %.1f %% on %d samples; agreement with itself run again %.1f %%; board time %.3f s per sample, %d MVM requests",
                         100 * result.accuracy, data.count, 100 * Double(same) / Double(data.count), boardSeconds / Double(max(data.count, 1)),
                         result.mvmRequests))
            if let closeCalls = result.closeCalls { print("  " + closeCalls.summary) }
            print("  chip against itself: " + disagreements(result, again))
            // The chip prepared again (its read-back and readout calibration redone, as a twin's
            // are): what two preparations of one board agree on, the floor for a twin's agreement.
            let reprepared = try preparation.prepare(board: chip, model: model, map: map, instrument: instrument).engine.run(data)
            preparedAgain = Double(zip(result.predictions, reprepared.predictions).filter { $0 == $1 }.count) / Double(data.count)
            print(String(format: "  chip prepared again: agreement %.1f %%; ", 100 * preparedAgain) + disagreements(result, reprepared))
            onChip = result
        }

        // The twins, built as `xbar infer` builds its fallback: from the programming run and the
        // newest read-back of the chip recorded after it (the chip's preparation above), and, for
        // comparison, from the verified values alone.
        let (recipe, _) = try TwinRecipe.load(store: store, programmingRun: run, instrument: instrument, calibrationPath: calibrationPath)
        let (verifiedRecipe, _) = try TwinRecipe.load(store: store, programmingRun: run, instrument: instrument,
                                                      calibrationPath: calibrationPath, usesReadBacks: false)
        var uncalibratedRecipe = recipe
        uncalibratedRecipe.device = instrument.device
        uncalibratedRecipe.deviceSource = .instrumentDefaults
        uncalibratedRecipe.periphery = nil
        var twins = [("calibrated twin", try recipe.build(seed: seed &+ 1000))]
        if !recipe.readBackRuns.isEmpty { twins.append(("verified twin", try verifiedRecipe.build(seed: seed &+ 1000))) }
        twins.append(("uncalibrated twin", try uncalibratedRecipe.build(seed: seed &+ 1000)))

        for (index, rangeFullScale) in fullScales.enumerated() {
            let (first, second) = chipRanged[index]
            var line = String(format: "  products in the %g uA range, %% of its full scale: chip against itself %.3f", 1e6 * rangeFullScale,
                              100 * rms(first, second) / rangeFullScale)
            for (label, twin) in twins {
                let predicted = try rangedRequests[index].map { try twin.mvm($0).amperes }
                line += String(format: ", %@ %.3f (%.3f after a gain and offset per column)", label,
                               100 * rms(first, predicted) / rangeFullScale,
                               100 * Self.rmsAfterColumnAffine(first, predicted, requests: rangedRequests[index]) / rangeFullScale)
            }
            print(line)
        }

        var figures: [(String, Figures)] = []
        for (label, twin) in twins {
            var f = Figures()
            f.productRMS = rms(chipProducts, try requests.map { try twin.mvm($0).amperes }) / fullScale
            f.readRMS = rms(chipReads, try tiles.map { try twin.readConductances(.tile($0), readVolts: instrument.defaultReadVolts, averages: 16) }) / range
            if let model, let map, let onChip {
                let onTwin = try preparation.prepare(board: twin, model: model, map: map, instrument: instrument).engine.run(data)
                f.accuracy = onTwin.accuracy
                f.agreement = Double(zip(onChip.predictions, onTwin.predictions).filter { $0 == $1 }.count) / Double(data.count)
                print("  chip against the \(label): " + disagreements(onChip, onTwin))
            } else {
                (f.accuracy, f.agreement) = (.nan, .nan)
            }
            figures.append((label, f))
        }

        // Write-verify: the same new targets on tile 0 of the chip and of each twin, map after
        // map, each job planning with the device model its board was built with.
        guard writeMaps >= 1 else { throw ValidationError("--write-maps must be at least 1, got \(writeMaps)") }
        var random = Xoshiro256StarStar(seed: seed ^ 0x7A26)
        let range0 = ProgrammableRange(device: calibration.device.nonVolatile)
        let info = instrument.tile(0)!
        let maps = (0..<writeMaps).map { _ in
            (0..<info.cellCount).map { _ in range0.lowSiemens + (range0.highSiemens - range0.lowSiemens) * random.nextOpenUnit() }
        }
        func writeVerify(_ board: any Board, device: NonVolatileCellParameters,
                         periphery: ArrayPeripheryParameters?) throws -> (Double, Double, Double) {
            var pulses = 0, cells = 0, roundTrips = 0, stuck = 0
            for targets in maps {
                let job = ProgrammingJob(targets: ProgrammingTargets(tiles: [(info, targets)]), algorithm: .adaptive,
                                         settings: .standard(for: instrument, device: device, tolerance: .percentOfRange(1),
                                                             periphery: periphery),
                                         device: device, envelope: PulseEnvelope(limits: instrument.limits),
                                         runner: OperationRunner(board: board, journal: DiscardingJournal()))
                let report = try job.run()[0]
                pulses += report.pulses.reduce(0, +); cells += report.pulses.count
                roundTrips += report.roundTrips; stuck += report.count(.stuck)
            }
            return (Double(pulses) / Double(cells), Double(roundTrips) / Double(maps.count), Double(stuck) / Double(maps.count))
        }
        // On a passive array the verify reads take the calibrated sneak current off (the
        // uncalibrated twin's job has no calibration to take it from).
        let chipWrite = try writeVerify(chip, device: calibration.device.nonVolatile, periphery: calibration.periphery?.parameters)
        for (i, (label, twin)) in twins.enumerated() {
            let calibrated = label != "uncalibrated twin"
            let device = calibrated ? calibration.device.nonVolatile : instrument.device.nonVolatile
            (figures[i].1.pulsesPerCell, figures[i].1.roundTrips, figures[i].1.stuckFound)
                = try writeVerify(twin, device: device, periphery: calibrated ? calibration.periphery?.parameters : nil)
        }
        // The floor of what calibration can buy: the twin given the chip's hidden device model
        // and periphery (the job still plans with the calibration, as the chip's does).
        var trueRecipe = recipe
        trueRecipe.device = hidden
        trueRecipe.periphery = periphery
        let trueWrite = try writeVerify(try trueRecipe.build(seed: seed &+ 1000), device: calibration.device.nonVolatile,
                                        periphery: calibration.periphery?.parameters)
        print(String(format: "  write-verify on a twin given the chip's true device model and periphery: %.2f pulses/cell, %.1f round trips, %.1f stuck per map",
                     trueWrite.0, trueWrite.1, trueWrite.2))

        var chipFigures = Figures()
        chipFigures.accuracy = onChip?.accuracy ?? .nan
        chipFigures.agreement = preparedAgain
        (chipFigures.pulsesPerCell, chipFigures.roundTrips, chipFigures.stuckFound) = chipWrite
        func off(_ a: Double, _ b: Double) -> String {
            b == 0 ? (a == 0 ? "(0 %)" : "(-)") : String(format: "(%+.0f %%)", 100 * (a / b - 1))
        }
        print("  " + ["", "products", "reads", "agreement", "accuracy", "pulses/cell", "round trips", "stuck"]
            .map { $0.padding(toLength: $0.isEmpty ? 18 : ($0.hasPrefix("pulses") || $0.hasPrefix("round") || $0 == "stuck" ? 16 : 12),
                              withPad: " ", startingAt: 0) }.joined())
        print("  " + "chip".padding(toLength: 18, withPad: " ", startingAt: 0)
              + ["-", "-", String(format: "%.1f %%", 100 * preparedAgain), String(format: "%.1f %%", 100 * chipFigures.accuracy)].map { $0.padding(toLength: 12, withPad: " ", startingAt: 0) }.joined()
              + [String(format: "%.2f", chipWrite.0), String(format: "%.1f", chipWrite.1), String(format: "%.1f", chipWrite.2)]
                .map { $0.padding(toLength: 16, withPad: " ", startingAt: 0) }.joined())
        for (label, f) in figures {
            print("  " + label.padding(toLength: 18, withPad: " ", startingAt: 0)
                  + [String(format: "%.3f %%", 100 * f.productRMS), String(format: "%.3f %%", 100 * f.readRMS),
                     String(format: "%.1f %%", 100 * f.agreement), String(format: "%.1f %%", 100 * f.accuracy)]
                    .map { $0.padding(toLength: 12, withPad: " ", startingAt: 0) }.joined()
                  + [String(format: "%.2f ", f.pulsesPerCell) + off(f.pulsesPerCell, chipWrite.0),
                     String(format: "%.1f ", f.roundTrips) + off(f.roundTrips, chipWrite.1),
                     String(format: "%.1f ", f.stuckFound) + off(f.stuckFound, chipWrite.2)]
                    .map { $0.padding(toLength: 16, withPad: " ", startingAt: 0) }.joined())
        }
        return (name, figures, chipFigures)
    }

    /// Held-out random products per tile: inputs uniform within the DAC's full scale (and the MVM limit).
    private func randomProducts(tiles: [UInt8], instrument: Instrument) -> [MatrixVectorProduct] {
        var random = Xoshiro256StarStar(seed: seed ^ 0x0B5E_4BED)
        let volts = Double(min(instrument.dac.fullScaleVolts, instrument.limits.maxMVMVolts))
        var requests: [MatrixVectorProduct] = []
        for t in tiles {
            let rows = Int(instrument.tile(t)!.rows)
            var left = vectors
            while left > 0 {
                let count = min(left, 64)
                let inputs = (0..<(count * rows)).map { _ in Float(volts * (2 * random.nextOpenUnit() - 1)) }
                requests.append(MatrixVectorProduct(tile: t, encoding: .voltage, readVolts: 0, inputLength: UInt16(rows), inputs: inputs))
                left -= count
            }
        }
        return requests
    }

    /// Where two runs disagree, against their margins: the spread of each sample's top-two margin
    /// (of the first run's two classes) from one run to the other, and the disagreeing samples'
    /// first-run margins in units of it.
    private func disagreements(_ a: InferenceRun, _ b: InferenceRun) -> String {
        guard !a.logits.isEmpty else { return "no samples" }
        let pairs = a.logits.map { l in
            let order = l.indices.sorted { l[$0] > l[$1] }
            return (order[0], order[1])
        }
        let margins = zip(a.logits, pairs).map { $0[$1.0] - $0[$1.1] }
        let differences = zip(zip(a.logits, b.logits), pairs).map { ($0.0[$1.0] - $0.0[$1.1]) - ($0.1[$1.0] - $0.1[$1.1]) }
        let sigma = (differences.reduce(0) { $0 + $1 * $1 } / Double(max(differences.count, 1)) / 2).squareRoot()
        let apart = zip(a.predictions, b.predictions).enumerated().filter { $0.element.0 != $0.element.1 }.map(\.offset)
        let inSigmas = apart.map { sigma > 0 ? margins[$0] / sigma : .infinity }.sorted()
        let within = { (z: Double) in margins.filter { $0 < z * sigma }.count }
        return String(format: "apart on %d samples; margin spread %.3g logits (median margin %.3g); their margins %@ spreads; samples within 1, 2, 3 spreads: %d, %d, %d",
                      apart.count, sigma, margins.sorted()[margins.count / 2], "[" + inSigmas.map { String(format: "%.2f", $0) }.joined(separator: ", ") + "]",
                      within(1), within(2), within(3))
    }

    /// The RMS difference left once each column of `b` is fitted to `a` with its own gain and
    /// offset (least squares per tile and column): what a readout calibration on each board
    /// would take out of a comparison of the two.
    static func rmsAfterColumnAffine(_ a: [[Float]], _ b: [[Float]], requests: [MatrixVectorProduct]) -> Double {
        var pairs: [String: [(Double, Double)]] = [:]
        for ((x, y), r) in zip(zip(a, b), requests) {
            let vectors = max(r.vectorCount, 1), columns = x.count / vectors
            for (i, (p, q)) in zip(x, y).enumerated() { pairs["\(r.tile)/\(i % max(columns, 1))", default: []].append((Double(q), Double(p))) }
        }
        var sum = 0.0, n = 0
        for points in pairs.values where points.count > 2 {
            let count = Double(points.count)
            let mx = points.reduce(0) { $0 + $1.0 } / count, my = points.reduce(0) { $0 + $1.1 } / count
            let sxx = points.reduce(0) { $0 + ($1.0 - mx) * ($1.0 - mx) }, sxy = points.reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) }
            let gain = sxx > 0 ? sxy / sxx : 0
            for (x, y) in points {
                let d = y - (my + gain * (x - mx))
                sum += d * d
                n += 1
            }
        }
        return n > 0 ? (sum / Double(n)).squareRoot() : .nan
    }

    private func rms<T: BinaryFloatingPoint>(_ a: [[T]], _ b: [[T]]) -> Double {
        var sum = 0.0, n = 0
        for (x, y) in zip(a, b) {
            for (p, q) in zip(x, y) {
                let d = Double(p) - Double(q)
                sum += d * d
                n += 1
            }
        }
        return n > 0 ? (sum / Double(n)).squareRoot() : 0
    }
}
