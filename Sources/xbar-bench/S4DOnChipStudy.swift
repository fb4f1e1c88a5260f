import Foundation
import XbarInstrument
import XbarSSM

/// `xbar-bench infer --s4d-on-chip-study`: an S4D's recurrence on the chip against its states
/// decayed on the host, each run on a fresh simulated board of the benchmark's seed, write-verified
/// with the lab's job and left to relax for --settle-seconds (an hour unless given) before the
/// tiles are read back and the readout calibrated.
extension InferenceBenchmark {
    /// One model's variants, in the order printed.
    struct S4DStudy {
        var name: String
        var reference: InferenceRun
        var variants: [(label: String, outcome: ChipOutcome)]
    }

    /// The study's common options: write-verified, relaxed an hour unless told otherwise.
    func studyOptions(_ settings: ReadoutSettings, decayOnChip: Bool) -> ChipOptions {
        ChipOptions(settings: settings, calibrate: true, decayOnChip: decayOnChip, stacksRecurrence: false, decayIncrements: true,
                    diagonalFloor: false, trimsDiagonals: true, writeVerify: true, settleSeconds: settleSeconds ?? 3600)
    }

    func studyS4DOnChip(_ model: SSMModel, _ instrument: Instrument, _ subset: [EventSample], _ reference: InferenceRun,
                        name: String) throws -> S4DStudy {
        // `xbar infer`'s readouts: no dither for an S4D on the chip, four pairs (sixteen on a
        // diagonal) with --dither-pairs 4 and for the host's decay.
        let noDither = ReadoutSettings(inputScaling: .perVector, ditherPairs: 0)
        let fourPairs = ReadoutSettings(inputScaling: .perVector, ditherPairs: 4, diagonalDitherPairs: 16)
        // The calibrated readout before sense ranges: every product at the converter's full scale, dithered.
        let fourPairsNoRanges = ReadoutSettings(inputScaling: .perVector, ditherPairs: 4, diagonalDitherPairs: 16, usesSenseRanges: false)
        let onChip = studyOptions(noDither, decayOnChip: true)
        var floor = onChip
        floor.diagonalFloor = true
        var noTrim = onChip
        noTrim.trimsDiagonals = false
        var stacked = onChip
        stacked.stacksRecurrence = true
        var stateForm = onChip
        stateForm.decayIncrements = false
        var reverified = onChip
        reverified.reverifyDiagonals = true
        var reverifiedAll = onChip
        reverifiedAll.reverifyAll = true
        var untouched = onChip
        untouched.touchUp = false
        var hostUntouched = studyOptions(fourPairs, decayOnChip: false)
        hostUntouched.touchUp = false
        var closeCalls = onChip
        // Settled only when the variant runs: its settings are refused then, not for every study.
        if studyVariants.isEmpty || studyVariants.contains("on chip, close calls") {
            closeCalls.closeCalls = try CloseCallRepeats(marginSigmas: closeCallSigmas, largestRuns: closeCallRuns)
        }
        var coarseDefects = onChip
        coarseDefects.defectThresholdSiemens = 8e-6
        var earlier = studyOptions(ReadoutSettings(inputScaling: .perVector, ditherPairs: 4, diagonalDitherPairs: 16, rowScaledDiagonals: true),
                                   decayOnChip: true)
        earlier.decayIncrements = false
        earlier.trimsDiagonals = false
        let variants: [(String, ChipOptions)] = [
            ("on chip", onChip),
            ("on chip, no touch-up", untouched),
            ("on chip, close calls", closeCalls),
            ("on chip, 4 pairs", studyOptions(fourPairs, decayOnChip: true)),
            ("on chip, floor", floor),
            ("on chip, no trim", noTrim),
            ("on chip, stacked", stacked),
            ("on chip, a x", stateForm),
            ("on chip, re-verified", reverified),
            ("on chip, all re-verified", reverifiedAll),
            ("on chip, 8 uS defects", coarseDefects),
            ("on chip, sign drive", earlier),
            ("decay on host", studyOptions(fourPairs, decayOnChip: false)),
            ("decay on host, no touch-up", hostUntouched),
            ("decay on host, no dither", studyOptions(noDither, decayOnChip: false)),
            ("decay on host, no ranges", studyOptions(fourPairsNoRanges, decayOnChip: false)),
        ]
        var out = S4DStudy(name: name, reference: reference, variants: [])
        for (label, options) in variants where studyVariants.isEmpty || studyVariants.contains(label) {
            out.variants.append((label, try chipOutcome(model, instrument, subset, reference, label: "chip, \(label)", options)))
        }
        return out
    }

    func summariseS4DStudies(_ studies: [S4DStudy], eventShares: [(String, ChipOutcome)]) {
        let energy = (try? InstrumentCatalog.resolve(instrument, instrumentsDirectory: instrumentsDir))?.energy
        // The chip's own rate: events over the simulated board's time for the inference (its
        // MVMs and request overheads); the host's wall time is printed beside it.
        func chipRate(_ o: ChipOutcome) -> Double { Double(o.run.eventCount) / max(o.boardSeconds, .leastNonzeroMagnitude) }
        // The touch-up's cost: cells given to it, pulses per such cell, board seconds (STATUS).
        func touchUpCells(_ o: ChipOutcome) -> String {
            guard let t = o.touchUp else { return "- | - | -" }
            return String(format: "%d | %.2f | %.2f s", t.cellsTouched, t.pulsesPerCellTouched, t.boardSeconds)
        }
        print("\n| model | variant | accuracy (reference) | chip events/s | vs host decay | vs host decay, no ranges | host events/s | conversions/product | energy J/event | MACs on array | host ops of all | pairs on host | touch-up cells | pulses/cell | touch-up board time |")
        print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for study in studies {
            let host = study.variants.first { $0.label == "decay on host" }?.outcome
            let unranged = study.variants.first { $0.label == "decay on host, no ranges" }?.outcome
            for (label, o) in study.variants {
                let r = o.run
                let joules = energy.map { r.energy.joules($0).total / Double(max(r.eventCount, 1)) } ?? .nan
                let speedup = host.map { chipRate(o) / chipRate($0) } ?? .nan
                let unrangedSpeedup = unranged.map { chipRate(o) / chipRate($0) } ?? .nan
                print("| \(study.name) | \(label) " + String(format: "| %.1f %% (%.1f %%) | %.3g | %.2fx | %.2fx | %.0f | %.2f | %.3g | %.2f %% | %.1f %% |",
                                                         100 * r.accuracy, 100 * study.reference.accuracy, chipRate(o), speedup, unrangedSpeedup,
                                                         r.eventsPerSecond,
                                                         Double(r.mvmVectors) / Double(max(r.products, 1)), joules,
                                                         100 * r.arithmetic.arrayShareOfMultiplyAccumulates, 100 * r.arithmetic.hostShare)
                      + " \(o.pairsCorrected) | \(touchUpCells(o)) |")
            }
        }
        for (name, o) in eventShares {
            let r = o.run
            let joules = energy.map { r.energy.joules($0).total / Double(max(r.eventCount, 1)) } ?? .nan
            print("| \(name) " + String(format: "| %.1f %% | %.3g | - | - | %.0f | %.2f | %.3g | %.2f %% | %.1f %% |",
                                        100 * r.accuracy, chipRate(o), r.eventsPerSecond,
                                        Double(r.mvmVectors) / Double(max(r.products, 1)), joules,
                                        100 * r.arithmetic.arrayShareOfMultiplyAccumulates, 100 * r.arithmetic.hostShare)
                  + " \(o.pairsCorrected) | \(touchUpCells(o)) |")
        }
        print("(\(studies.first?.reference.labels.count ?? eventShares.first?.1.run.labels.count ?? 0) samples per model; write-verified, \(settleSeconds ?? 3600) s of relaxation; "
              + "chip events/s: events over the simulated board's time; on chip (xbar infer's default): A on its tile mapped as a - 1, "
              + "the pairs past the defect threshold after the wait touched up (their cells write-verified again, then read back), "
              + "the states' magnitudes driving its rows, each step's increment (a - 1) x + B h from two products added to x on the "
              + "host, each diagonal row trimmed by its pair's target over its read-back, no dither; 4 pairs: --dither-pairs 4 (16 on "
              + "a diagonal); no touch-up: the same without the touch-up (pairs past the threshold corrected on the host); floor: the diagonals' unused cells RESET to their floor after write-verify and again before inference; "
              + "no trim: without the trims; stacked: (a - 1) x + B h one product where A and B share a tile; a x: A mapped as a; "
              + "re-verified: the diagonals' tiles write-verified again after the wait; all re-verified: every weight tile; close calls: samples whose top-two margin is within two standard errors of the run-to-run spread run again, up to --close-call-runs runs, decided on their mean logits; 8 uS defects: "
              + "only pairs believed 8 uS off corrected on the host (else 3 uS); sign drive: the earlier --decay-on-chip (rows "
              + "at their sign's full scale, A and B apart, 4 pairs); decay on host: the calibrated readout with sense ranges (4 pairs where a range leaves "
              + "a vector under 64 steps); no ranges: the calibrated readout before sense ranges (every product at the converter's "
              + "full scale, 4 pairs); MACs on "
              + "array: the model's multiply-accumulates done there; host ops of all: every host operation, the converters' side "
              + "included)")
    }
}
