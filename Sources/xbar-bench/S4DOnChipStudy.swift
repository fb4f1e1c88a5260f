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
                    diagonalFloor: true, trimsDiagonals: true, writeVerify: true, settleSeconds: settleSeconds ?? 3600)
    }

    func studyS4DOnChip(_ model: SSMModel, _ instrument: Instrument, _ subset: [EventSample], _ reference: InferenceRun,
                        name: String) throws -> S4DStudy {
        let readout = ReadoutSettings(inputScaling: .perVector, ditherPairs: ditherPairs, diagonalDitherPairs: diagonalDitherPairs)
        let noDither = ReadoutSettings(inputScaling: .perVector, ditherPairs: 0)
        let fourPairs = ReadoutSettings(inputScaling: .perVector, ditherPairs: 4, diagonalDitherPairs: 4)
        let signDrive = ReadoutSettings(inputScaling: .perVector, ditherPairs: ditherPairs, diagonalDitherPairs: diagonalDitherPairs,
                                        rowScaledDiagonals: true)
        let onChip = studyOptions(readout, decayOnChip: true)
        var stacked = onChip
        stacked.stacksRecurrence = true
        var stateForm = onChip
        stateForm.decayIncrements = false
        var noFloor = onChip
        noFloor.diagonalFloor = false
        var noTrim = onChip
        noTrim.trimsDiagonals = false
        var reverified = noFloor
        reverified.reverifyDiagonals = true
        var earlier = studyOptions(signDrive, decayOnChip: true)
        earlier.decayIncrements = false
        earlier.diagonalFloor = false
        earlier.trimsDiagonals = false
        let variants: [(String, ChipOptions)] = [
            ("on chip", onChip),
            ("on chip, no dither", studyOptions(noDither, decayOnChip: true)),
            ("on chip, 4 pairs all", studyOptions(fourPairs, decayOnChip: true)),
            ("on chip, stacked", stacked),
            ("on chip, a x", stateForm),
            ("on chip, no floor", noFloor),
            ("on chip, no trim", noTrim),
            ("on chip, re-verified", reverified),
            ("on chip, sign drive", earlier),
            ("decay on host", studyOptions(readout, decayOnChip: false)),
        ]
        var out = S4DStudy(name: name, reference: reference, variants: [])
        for (label, options) in variants {
            out.variants.append((label, try chipOutcome(model, instrument, subset, reference, label: "chip, \(label)", options)))
        }
        return out
    }

    func summariseS4DStudies(_ studies: [S4DStudy], eventShares: [(String, ChipOutcome)]) {
        let energy = (try? InstrumentCatalog.resolve(instrument, instrumentsDirectory: instrumentsDir))?.energy
        print("\n| model | variant | accuracy (reference) | events/s | vs host decay | board us/event | conversions/product | energy J/event | MACs on array | host ops of all |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for study in studies {
            let host = study.variants.first { $0.label == "decay on host" }?.outcome.run
            for (label, o) in study.variants {
                let r = o.run
                let joules = energy.map { r.energy.joules($0).total / Double(max(r.eventCount, 1)) } ?? .nan
                let speedup = host.map { r.eventsPerSecond / max($0.eventsPerSecond, .leastNonzeroMagnitude) } ?? .nan
                print("| \(study.name) | \(label) " + String(format: "| %.1f %% (%.1f %%) | %.0f | %.2fx | %.2f | %.2f | %.3g | %.2f %% | %.1f %% |",
                                                         100 * r.accuracy, 100 * study.reference.accuracy, r.eventsPerSecond, speedup,
                                                         1e6 * o.boardSeconds / Double(max(r.eventCount, 1)),
                                                         Double(r.mvmVectors) / Double(max(r.products, 1)), joules,
                                                         100 * r.arithmetic.arrayShareOfMultiplyAccumulates, 100 * r.arithmetic.hostShare))
            }
        }
        for (name, o) in eventShares {
            let r = o.run
            print("| \(name) | calibrated " + String(format: "| %.1f %% | %.0f | - | %.2f | %.2f | - | %.2f %% | %.1f %% |",
                                                    100 * r.accuracy, r.eventsPerSecond, 1e6 * o.boardSeconds / Double(max(r.eventCount, 1)),
                                                    Double(r.mvmVectors) / Double(max(r.products, 1)),
                                                    100 * r.arithmetic.arrayShareOfMultiplyAccumulates, 100 * r.arithmetic.hostShare))
        }
        print("(\(studies.first?.reference.labels.count ?? 0) samples per model; write-verified, \(settleSeconds ?? 3600) s of relaxation; "
              + "on chip: A on its tile mapped as a - 1, the states' magnitudes driving its rows, each step's increment (a - 1) x + B h "
              + "from two products added to x on the host, the diagonals' unused cells RESET to their floor after write-verify and "
              + "again before inference, each diagonal row trimmed by its pair's target over its read-back; no dither: no dither pairs; "
              + "4 pairs all: four pairs for the diagonal too; stacked: (a - 1) x + B h one product where A and B share a tile; "
              + "a x: A mapped as a, no host addition; no floor, no trim: without those; re-verified: no floor, the diagonals' tiles "
              + "write-verified again after the wait; sign drive: the earlier --decay-on-chip; MACs on array: the model's "
              + "multiply-accumulates done there; host ops of all: every host operation, the converters' side included)")
    }
}
