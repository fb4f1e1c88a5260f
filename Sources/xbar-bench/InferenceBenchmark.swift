import ArgumentParser
import Foundation
import XbarBoard
import XbarDevice
import XbarInstrument
import XbarSSM

/// Events per second and wall time per event of the digital reference and of chip-in-loop
/// inference on the simulated board, and the accuracy of each on the same samples: the earlier
/// readout and the calibrated one side by side, so the gain is visible in one run.
struct InferenceBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "infer",
        abstract: "Measure inference accuracy, events/s and latency per event: reference vs chip-in-loop, uncorrected vs calibrated readout.",
        discussion: """
            For each model: the digital reference (float64) on the whole test split, then on the \
            first --samples test samples the reference and the chip-in-loop engine on fresh \
            simulated usb-4x64 boards of the same seed, whose tiles are set to the mapped targets \
            directly and verified by reading (no write-verify: programming error is left out; \
            stuck cells, read noise and, with --settle-seconds, relaxation are in):
              uncorrected: the earlier method. One weight scale per matrix; a quantised \
                activation's range at the DAC's full scale, float vectors' largest magnitude at \
                full scale; 4 dither pairs; pairs corrected from the programmer's verify read; \
                an S4D's decay on the chip.
              calibrated: one weight scale per output; the tiles read back (saturated reads \
                read again at a lower voltage) and a readout calibration measured with probe \
                vectors (per-column gain and offset); every vector's largest magnitude at full \
                scale within 80 % of the ADC's range, saturated vectors measured again, all-zero \
                vectors skipped; 4 dither pairs; an S4D's recurrence on the chip, its decay mapped \
                as a - 1 and its diagonal rows trimmed from the read-back.
              calibrated, decay on host (S4D only): the same with the states decayed on the host.
            Every chip run is prepared as `xbar infer` prepares a board (ChipPreparation); with \
            --write-verify (and in the study) the calibrated readout touches up the pairs that \
            drifted past the defect threshold before inference, as `xbar infer` does \
            (--no-touch-up: not), and prints the cells, pulses and board time it took.
            --s4d-on-chip-study runs, for each S4D, the on-chip recurrence as `xbar infer` runs it \
            (no dither) beside its variants and the host's decay, each write-verified with the \
            lab's job and left to relax for --settle-seconds (default there 3600) before the \
            read-back, and prints a table of accuracy, chip events per second (simulated board \
            time), conversions per product, energy per event, where the arithmetic happened, the \
            pairs left to the host and the touch-up's cost (cells, pulses per cell, board seconds), \
            "on chip" and "decay on host" each with and without the touch-up (--study-variants \
            picks variants by label); for the event SSMs the same with and without the touch-up.
            Every chip run has the instrument's array periphery (line resistance, column gains and \
            offsets, converter non-linearity); the calibrated readout runs once more on an ideal \
            periphery, so that what the array physics costs shows beside it.
            Prints accuracy, events per second and microseconds per event (host wall time, one \
            thread), MVM requests and vectors, the simulated board time, ADC saturations, and \
            a summary table. --diagnose adds, per matrix, the product error against the exact \
            product and the converters' range use.

            Example: swift build -c release --product xbar-bench && .build/release/xbar-bench infer --samples 50
            """)

    @Option(help: "Model files (default: every *_event_ssm_*.safetensors and *_s4d_*.safetensors in examples/).")
    var model: [String] = []

    @Option(help: "Folder of the example models and data sets.")
    var examples: String = "examples"

    @Option(help: "Test samples run on the simulated board (the first N of the split).")
    var samples: Int = 50

    @Option(help: "Antithetic dither pairs per product of the calibrated readout.")
    var ditherPairs: Int = ReadoutSettings.ranged.ditherPairs

    @Option(help: "Antithetic dither pairs per product of a diagonal matrix (an S4D's decay) in the calibrated readout.")
    var diagonalDitherPairs: Int = ReadoutSettings.ranged.diagonalDitherPairs

    @Option(help: "Probe vectors per tile of the readout calibration (0: no readout calibration, ranging alone).")
    var probes: Int = ChipPreparation().probeVectors

    @Flag(help: "Program with the lab's write-verify job instead of setting the targets directly (programming error is then in).")
    var writeVerify = false

    @Flag(help: "With --write-verify: leave the pairs that drifted past the defect threshold to host corrections instead of write-verifying their cells again before inference (the touch-up `xbar infer` does by default).")
    var noTouchUp = false

    @Flag(help: "Compare the calibrated readout with and without the board's sense ranges, each with and without dither: accuracy and conversions per product.")
    var senseRangeStudy = false

    @Flag(help: "For each S4D model: its recurrence on the chip (default readout, four dither pairs, the earlier sign drive, A and B apart, the diagonals' unused cells at their floor, re-verified) against its states decayed on the host, after write-verify and --settle-seconds (default here: an hour); for the event SSMs the share of multiply-accumulates on the array.")
    var s4dOnChipStudy = false

    @Option(help: ArgumentHelp("Run only these variants of --s4d-on-chip-study, by the label it prints (\"on chip\", \"on chip, no touch-up\", \"decay on host\", ...); repeatable. Default: all.", valueName: "label"))
    var studyVariants: [String] = []

    @Option(help: "Most runs of a close call, its first included, in --s4d-on-chip-study's \"on chip, close calls\" variant.")
    var closeCallRuns: Int = CloseCallRepeats.standard.largestRuns

    @Option(help: "A close call in --s4d-on-chip-study's \"on chip, close calls\" variant is run again while its margin is below this many standard errors.")
    var closeCallSigmas: Double = CloseCallRepeats.standard.marginSigmas

    @Flag(help: "Print, per matrix, the chip's product error against the exact product and its converter use.")
    var diagnose = false

    @Option(help: "Seconds the simulated board waits between programming and inference (cells relax meanwhile), for every run (default 0; 3600 with --s4d-on-chip-study).")
    var settleSeconds: Double?

    @Option(help: "Seed of the simulated board.")
    var seed: UInt64 = 1

    @Option(help: "Instrument name or file.")
    var instrument: String = "usb-4x64"

    @Option(help: "Folder of instrument files (default: $XBAR_INSTRUMENTS, ./instruments, or beside the executable).")
    var instrumentsDir: String?

    func validate() throws {
        if samples < 1 { throw ValidationError("--samples must be at least 1, got \(samples)") }
        if ditherPairs < 0 || diagonalDitherPairs < 0 { throw ValidationError("dither pairs must be 0 or more") }
        if probes != 0 && probes < 4 { throw ValidationError("--probes must be 0 or at least 4, got \(probes)") }
    }

    private struct Row {
        var name: String
        var reference: InferenceRun
        var uncorrected: InferenceRun
        var calibrated: InferenceRun
        var calibratedIdeal: InferenceRun
        var decayOnHost: InferenceRun?
    }

    func run() throws {
        let instrument = try InstrumentCatalog.resolve(self.instrument, instrumentsDirectory: instrumentsDir)
        var models = model
        if models.isEmpty {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: examples)) ?? []
            models = names.filter { ($0.contains("_event_ssm_") || $0.contains("_s4d_")) && $0.hasSuffix(".safetensors") }
                .sorted().map { "\(examples)/\($0)" }
        }
        guard !models.isEmpty else { throw ValidationError("no model files given and none found in \(examples)/") }
        let calibratedSettings = ReadoutSettings(inputScaling: .perVector, ditherPairs: ditherPairs,
                                                 diagonalDitherPairs: diagonalDitherPairs)
        print("instrument \(instrument.name), simulated board seed \(seed), \(samples) samples on the chip")
        var rows: [Row] = []
        var studies: [S4DStudy] = []
        var eventShares: [(String, ChipOutcome)] = []
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

            if senseRangeStudy {
                try studySenseRanges(model, instrument, subset, reference)
                continue
            }
            if s4dOnChipStudy {
                if model.architecture == .s4d {
                    studies.append(try studyS4DOnChip(model, instrument, subset, reference, name: name))
                } else {
                    var untouched = studyOptions(calibratedSettings, decayOnChip: true)
                    untouched.touchUp = false
                    eventShares.append((name + " | calibrated", try chipOutcome(model, instrument, subset, reference, label: "chip, calibrated",
                                                                               studyOptions(calibratedSettings, decayOnChip: true))))
                    eventShares.append((name + " | calibrated, no touch-up", try chipOutcome(model, instrument, subset, reference,
                                                                                            label: "chip, no touch-up", untouched)))
                }
                continue
            }
            // The earlier method: its decay on the chip as it was, A and B apart, rows at their signs' full scale.
            let uncorrected = try chipOutcome(model, instrument, subset, reference, label: "chip, uncorrected",
                                              ChipOptions(settings: .activationRange, calibrate: false, decayOnChip: true,
                                                          stacksRecurrence: false, decayIncrements: false, diagonalFloor: false,
                                                          trimsDiagonals: false)).run
            let calibrated = try chipRun(model, instrument, subset, reference, label: "chip, calibrated",
                                         settings: calibratedSettings, calibrate: true, decayOnChip: true)
            // The same on a board whose wires, amplifiers and converters are ideal: what the array physics costs.
            let calibratedIdeal = try chipRun(model, instrument, subset, reference, label: "chip, calibrated, ideal",
                                              settings: calibratedSettings, calibrate: true, decayOnChip: true, periphery: .ideal)
            // An S4D's recurrence runs on the chip by default; this shows the readout with its states decayed on the host.
            let decayOnHost = model.architecture == .s4d
                ? try chipRun(model, instrument, subset, reference, label: "chip, decay on host",
                              settings: calibratedSettings, calibrate: true, decayOnChip: false)
                : nil
            rows.append(Row(name: name, reference: reference, uncorrected: uncorrected, calibrated: calibrated,
                            calibratedIdeal: calibratedIdeal, decayOnHost: decayOnHost))
        }
        if s4dOnChipStudy {
            summariseS4DStudies(studies, eventShares: eventShares)
        } else if !senseRangeStudy {
            summary(rows)
        }
    }

    /// The calibrated readout four ways: without sense ranges (dithered as given, and one plain
    /// conversion), and with them (dither only where the range leaves a vector under 64 steps,
    /// and dither everywhere).
    private func studySenseRanges(_ model: SSMModel, _ instrument: Instrument, _ subset: [EventSample], _ reference: InferenceRun) throws {
        let variants: [(String, ReadoutSettings)] = [
            ("no ranges, dithered", ReadoutSettings(inputScaling: .perVector, ditherPairs: ditherPairs, diagonalDitherPairs: diagonalDitherPairs,
                                                     usesSenseRanges: false)),
            ("no ranges, no dither", ReadoutSettings(inputScaling: .perVector, ditherPairs: 0, diagonalDitherPairs: 0, usesSenseRanges: false)),
            ("ranges (default)", ReadoutSettings(inputScaling: .perVector, ditherPairs: ditherPairs, diagonalDitherPairs: diagonalDitherPairs)),
            ("ranges, dithered", ReadoutSettings(inputScaling: .perVector, ditherPairs: ditherPairs, diagonalDitherPairs: diagonalDitherPairs,
                                                  ditherFreeSteps: .infinity)),
        ]
        for (label, settings) in variants {
            let run = try chipRun(model, instrument, subset, reference, label: "chip, \(label)", settings: settings, calibrate: true, decayOnChip: false)
            let stats = run.productStatistics.values
            let error = (stats.reduce(0.0) { $0 + $1.errorSquares } / max(stats.reduce(0.0) { $0 + $1.exactSquares }, .leastNonzeroMagnitude)).squareRoot()
            print(String(format: "    sense ranges: %.2f conversions per product, %.0f %% of them in a range; products %.1f %% rms off the exact ones",
                         Double(run.mvmVectors) / Double(max(run.products, 1)), 100 * Double(run.rangedVectors) / Double(max(run.mvmVectors, 1)),
                         100 * error))
        }
    }

    /// One chip-in-loop run on a fresh simulated board of the benchmark's seed.
    private func chipRun(_ model: SSMModel, _ instrument: Instrument, _ subset: [EventSample], _ reference: InferenceRun,
                         label: String, settings: ReadoutSettings, calibrate: Bool, decayOnChip: Bool,
                         periphery: ArrayPeripheryParameters? = nil) throws -> InferenceRun {
        try chipOutcome(model, instrument, subset, reference, label: label,
                        ChipOptions(settings: settings, calibrate: calibrate, decayOnChip: decayOnChip, periphery: periphery)).run
    }

    /// How one chip run is set up.
    struct ChipOptions {
        var settings: ReadoutSettings
        var calibrate: Bool
        var decayOnChip: Bool
        var periphery: ArrayPeripheryParameters? = nil
        /// Map an S4D block's `A` and `B` stacked on one tile with a shared scale (one product).
        var stacksRecurrence = false
        /// Map an S4D's decay as `a - 1`: the chip gives each step's increment, the host adds it.
        var decayIncrements = true
        /// Pulse the unused cells of the diagonals down to their floor after programming and again
        /// just before inference.
        var diagonalFloor = false
        /// Drive each diagonal row harder by its pair's target over its read-back (as `xbar infer` does).
        var trimsDiagonals = true
        /// Write-verify the tiles holding diagonals again after the wait, just before inference.
        var reverifyDiagonals = false
        /// Write-verify every weight tile again after the wait, just before inference.
        var reverifyAll = false
        /// Pairs believed further than this from their targets are corrected on the host, siemens.
        var defectThresholdSiemens = 3e-6
        /// Touch up the pairs that drifted past the defect threshold before inference (as `xbar
        /// infer` does on a board it can program); only when write-verified.
        var touchUp = true
        /// Close calls run again and decided on their mean logits (nil: every sample decided on one run).
        var closeCalls: CloseCallRepeats? = nil
        /// Overrides of the command's --write-verify and --settle-seconds.
        var writeVerify: Bool? = nil
        var settleSeconds: Double? = nil
    }

    /// What one chip run gave beside its inference run.
    struct ChipOutcome {
        var run: InferenceRun
        var boardSeconds: Double
        var pairsCorrected: Int
        /// What the touch-up before inference did (nil: none ran).
        var touchUp: TouchUp?
    }

    func chipOutcome(_ model: SSMModel, _ instrument: Instrument, _ subset: [EventSample], _ reference: InferenceRun,
                     label: String, _ options: ChipOptions) throws -> ChipOutcome {
        let settings = options.settings, calibrate = options.calibrate
        let board = SimulatedBoard(instrument: instrument, periphery: options.periphery, seed: seed)
        // The earlier method mapped each matrix with one scale; the calibrated one maps each output to the whole range.
        let map = try WeightMap(model: model, instrument: instrument, scaling: calibrate ? .perOutput : .perMatrix,
                                stacksRecurrence: options.stacksRecurrence && options.decayOnChip,
                                decayIncrements: options.decayIncrements && options.decayOnChip)
        let programmer: any WeightProgrammer = (options.writeVerify ?? writeVerify)
            ? WriteVerifyWeightProgrammer(instrument: instrument) : DirectSimulatedProgrammer()
        let outcomes = try WeightProgramming.program(map, on: board, with: programmer)
        let floors = options.diagonalFloor && options.decayOnChip && calibrate
        if floors { try DiagonalFloor(instrument: instrument).apply(to: board, map: map, model: model) }
        // The host waiting between programming and inference: the cells relax meanwhile.
        board.advanceTime(seconds: options.settleSeconds ?? settleSeconds ?? 0)
        if options.reverifyDiagonals || options.reverifyAll {
            let tiles = Set(map.placements.filter { options.reverifyAll || DiagonalFloor.isDiagonal($0, model: model) }.map(\.tile))
            for t in map.tiles where tiles.contains(Int(t.tile.index)) {
                _ = try programmer.program(tile: t.tile, targetSiemens: t.siemens, on: board)
            }
        }
        // The earlier method believes the programmer's verify read; the calibrated one reads the
        // tiles back with saturated cells read again at a lower voltage, touches up the pairs that
        // drifted (when write-verified), and calibrates the readout: `xbar infer`'s preparation.
        // The floor is held by pulsing again just before inference (RESET pulses, no verify).
        var preparation = ChipPreparation(readout: calibrate ? .calibrated : .uncorrected, ditherPairs: settings.ditherPairs,
                                          decayOnChip: options.decayOnChip, defectThresholdSiemens: options.defectThresholdSiemens)
        preparation.readoutSettings = settings
        preparation.usesSenseRanges = settings.usesSenseRanges
        preparation.closeCalls = options.closeCalls
        preparation.floorsDiagonals = floors
        preparation.trimsDiagonals = options.trimsDiagonals
        preparation.probeVectors = probes
        preparation.touchesUp = options.touchUp && !noTouchUp
        let clock = ContinuousClock()
        let start = clock.now
        let prepared = try preparation.prepare(
            board: board, model: model, map: map, instrument: instrument,
            believed: calibrate ? [:] : Dictionary(uniqueKeysWithValues: outcomes.map { ($0.tile, $0.measuredSiemens) }),
            touchUp: programmer as? WriteVerifyWeightProgrammer,
            log: { if $0.hasPrefix("touch-up") || diagnose { print("    " + $0) } })
        let defects = prepared.defects
        if let c = prepared.calibration {
            let elapsed = start.duration(to: clock.now).components
            let seconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) * 1e-18
            let gains = c.tiles.flatMap(\.gains), offsets = c.tiles.flatMap(\.offsetsAmperes)
            print(String(format: "  read-back and readout calibration: %d tiles x %d probes in %.3f s; gains %.4f...%.4f, offsets %.2f...%.2f uA",
                         c.tiles.count, probes, seconds, gains.min() ?? 0, gains.max() ?? 0,
                         1e6 * (offsets.min() ?? 0), 1e6 * (offsets.max() ?? 0)))
            if diagnose {
                for t in c.tiles {
                    print("    tile \(t.tile) gains " + t.gains.map { String(format: "%.3f", $0) }.joined(separator: " "))
                    print("    tile \(t.tile) residual uA " + t.residualAmperes.map { String(format: "%.2f", 1e6 * $0) }.joined(separator: " "))
                }
            }
        }
        let before = board.boardTimeNanoseconds
        if diagnose { print(String(format: "    board time before inference %.3f s", Double(before) * 1e-9)) }
        let engine = prepared.engine
        engine.recordsStatistics = diagnose || senseRangeStudy
        let chip = try engine.run(subset)
        line(label, chip)
        if diagnose { printStatistics(chip, model: model) }
        let boardSeconds = Double(board.boardTimeNanoseconds - before) * 1e-9
        let agree = zip(reference.predictions, chip.predictions).filter { $0 == $1 }.count
        print(String(format: "    %d MVM requests, %d vectors, %.3f s board time (%.2f us per event); %d pairs corrected; %d saturated conversions, %d vectors remeasured; agreement with reference %d/%d",
                     chip.mvmRequests, chip.mvmVectors, boardSeconds, 1e6 * boardSeconds / Double(max(chip.eventCount, 1)),
                     defects.count, chip.saturatedConversions, chip.remeasuredVectors, agree, subset.count))
        let a = chip.arithmetic
        print(String(format: "    %.2f conversions per product; %.2f %% of the model's multiply-accumulates on the array (host: decays %d, partial sums %d, pair corrections %d); host operations %.2f %% of all, with the converters' side",
                     Double(chip.mvmVectors) / Double(max(chip.products, 1)), 100 * a.arrayShareOfMultiplyAccumulates,
                     a.stateDecays, a.partialSums, a.pairCorrections, 100 * a.hostShare))
        if let figures = instrument.energy {
            let j = chip.energy.joules(figures)
            print(String(format: "    energy on the chip (our estimate): %.3g J per event, %.3g J per sample (array %.3g, DACs %.3g, ADCs %.3g J)",
                         j.total / Double(max(chip.eventCount, 1)), j.total / Double(max(subset.count, 1)), j.array, j.dac, j.adc))
        }
        return ChipOutcome(run: chip, boardSeconds: boardSeconds, pairsCorrected: defects.count, touchUp: prepared.touchUp)
    }

    private func summary(_ rows: [Row]) {
        print("\n| model | reference | chip (uncorrected) | chip (calibrated readout) | chip (calibrated, ideal periphery) | events/s uncorrected | events/s calibrated | calibrated, decay on host |")
        print("|---|---|---|---|---|---|---|---|")
        for r in rows {
            let onChip = r.decayOnHost.map { String(format: "%.0f %%", 100 * $0.accuracy) } ?? "-"
            print("| \(r.name) " + String(format: "| %.0f %% | %.0f %% | %.0f %% | %.0f %% | %.0f | %.0f |",
                         100 * r.reference.accuracy, 100 * r.uncorrected.accuracy, 100 * r.calibrated.accuracy,
                         100 * r.calibratedIdeal.accuracy, r.uncorrected.eventsPerSecond, r.calibrated.eventsPerSecond) + " \(onChip) |")
        }
        print("(\(rows.first?.reference.labels.count ?? 0) samples per model; uncorrected: the earlier readout, decay on chip; "
              + "calibrated: ranged inputs, per-output mapping, read-back and readout calibration, an S4D's recurrence on the chip; "
              + "every chip column but the ideal one has the instrument's array periphery: line resistance, column gains "
              + "and offsets, converter non-linearity)")
    }

    private func printStatistics(_ run: InferenceRun, model: SSMModel) {
        print("    matrix        vectors  rel.err  max|Wx|   ADC rms/max steps  saturated  signal rms steps  DAC rms/max of FS")
        for (name, s) in run.productStatistics.sorted(by: { $0.key < $1.key }) {
            let outputs = model.matrix(named: name)?.rows ?? 0
            print("    " + name.padding(toLength: 12, withPad: " ", startingAt: 0)
                  + String(format: " %8d  %6.3f  %8.3g  %8.2f / %6.1f  %9.5f  %8.2f          %5.3f / %5.3f",
                           s.vectors, s.relativeError, s.largestExact, s.rmsCurrentSteps, s.largestCurrentSteps,
                           s.saturationFraction, s.rmsSignalSteps(outputs: outputs), s.rmsInputOfFullScale, s.largestInputOfFullScale))
        }
    }

    func line(_ label: String, _ run: InferenceRun) {
        let padded = label.padding(toLength: 22, withPad: " ", startingAt: 0)
        print("  \(padded)" + String(format: " accuracy %6.2f %% of %4d  %10.0f events/s  %8.2f us/event",
                                             100 * run.accuracy, run.labels.count, run.eventsPerSecond, 1e6 * run.secondsPerEvent)
              + "  [\(run.backend)]")
    }
}
