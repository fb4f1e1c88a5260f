import Foundation
import Testing
import XbarDevice
import XbarInstrument
import XbarStore
import XbarWire
@testable import XbarJobs
@testable import XbarBoard

/// The twin predicts what write-verify will do on its chip: built from one programming run, it is
/// asked to write a new map, and so is the chip.
@Suite("the twin predicts write-verify on its chip", .serialized)
struct TwinWriteVerifyTests {
    struct Figures {
        var pulses = 0, cells = 0, stuckFound = 0, roundTrips = 0
    }

    /// Programs `targets` onto tile 0 of `board` with the adaptive job planned with `device`.
    func writeVerify(_ setup: SimulatedProgramming, board: SimulatedBoard, targets: [Double], device: NonVolatileCellParameters,
                     store: RunStore? = nil, runID: Int64? = nil) throws -> TileReport {
        let job = ProgrammingJob(targets: ProgrammingTargets(tiles: [(setup.info, targets)]), algorithm: .adaptive,
                                 settings: .standard(for: setup.instrument, device: device, tolerance: .percentOfRange(1)),
                                 device: device, envelope: PulseEnvelope(limits: setup.instrument.limits),
                                 runner: OperationRunner(board: board, journal: runID.map { StoreJournal(store: store!, runID: $0) } ?? DiscardingJournal()),
                                 store: store, runID: runID)
        return try job.run()[0]
    }

    /// Six chips of hidden device parameters with 2 % of cells stuck low and 1 % high (the top
    /// of the realistic range, so that a 32x32 tile holds a few dozen). Each is first programmed
    /// with a sparse map (60 % of the cells at the bottom of the range, as a weight map's zeros
    /// are, so those cells are never pulsed and programming cannot tell whether they are stuck),
    /// then the twin of that run (with the chip's own device model, a perfect calibration) and
    /// the chip both write one new random map.
    @Test("pulses per cell within 10 %, and the stuck cells found within 10 % over six chips")
    func predictsWriteVerify() throws {
        var chipTotal = Figures(), twinTotal = Figures()
        var knownStuck = 0
        for seed in [UInt64(61), 62, 63, 64, 65, 66] {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("xbar-twin-wv-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let store = try RunStore(path: folder.appendingPathComponent("lab.sqlite").path)
            let setup = try SimulatedProgramming(rows: 32, columns: 32, targetSeed: seed)
            var device = setup.instrument.device.hiddenDraw(seed: seed)
            device.nonVolatile.stuckAtMinRate = 0.02
            device.nonVolatile.stuckAtMaxRate = 0.01
            let chip = SimulatedBoard(instrument: setup.instrument, parameters: device, seed: seed)
            var random = Xoshiro256StarStar(seed: seed ^ 0x5A)
            let range = ProgrammableRange(device: device.nonVolatile)
            let sparse = setup.targets.map { random.nextOpenUnit() < 0.6 ? range.lowSiemens : $0 }
            let run = try store.startRun(RunDraft(kind: "program", user: "tester", backend: "simulated", boardModel: chip.identity.model,
                                                  boardSerial: chip.serialNumber, instrumentName: setup.instrument.name, argumentsJSON: "{}"))
            let first = try writeVerify(setup, board: chip, targets: sparse, device: device.nonVolatile, store: store, runID: run)
            try store.finishRun(run, status: .completed)

            var (recipe, _) = try TwinRecipe.load(store: store, programmingRun: run, instrument: setup.instrument, calibrationPath: nil)
            recipe.device = device
            let next = setup.targets.map { _ in range.lowSiemens + (range.highSiemens - range.lowSiemens) * random.nextOpenUnit() }
            let onChip = try writeVerify(setup, board: chip, targets: next, device: device.nonVolatile)
            chipTotal.pulses += 2 * onChip.pulses.reduce(0, +); chipTotal.cells += 2 * onChip.pulses.count
            chipTotal.stuckFound += 2 * onChip.count(.stuck)
            chipTotal.roundTrips += 2 * onChip.roundTrips
            knownStuck += first.count(.stuck)
            // Two twins of their own draws, so that the twin's prediction is less of a draw itself.
            for twinSeed in [seed &+ 100, seed &+ 200] {
                let twin = try recipe.build(seed: twinSeed)
                let onTwin = try writeVerify(setup, board: twin.board, targets: next, device: device.nonVolatile)
                twinTotal.pulses += onTwin.pulses.reduce(0, +); twinTotal.cells += onTwin.pulses.count; twinTotal.stuckFound += onTwin.count(.stuck)
                twinTotal.roundTrips += onTwin.roundTrips
            }
        }
        let chipPulses = Double(chipTotal.pulses) / Double(chipTotal.cells), twinPulses = Double(twinTotal.pulses) / Double(twinTotal.cells)
        print("write-verify on six chips: pulses per cell chip \(chipPulses), twin \(twinPulses); round trips (twice over) chip \(chipTotal.roundTrips), twins \(twinTotal.roundTrips); stuck found (twice over) chip \(chipTotal.stuckFound), twins \(twinTotal.stuckFound), known from the first programming \(2 * knownStuck)")
        #expect(abs(twinPulses / chipPulses - 1) < 0.1, "pulses per cell: chip \(chipPulses), twin \(twinPulses)")
        // About 180 stuck cells found in 6144, a fifth of them under never-pulsed cells: the twin
        // must draw those (its records alone know the others); the binomial noise of the chips'
        // own untested stuck cells and of the twins' draws is about 5 % of the count.
        #expect(2 * knownStuck < chipTotal.stuckFound * 9 / 10, "the first programming saw \(knownStuck) of \(chipTotal.stuckFound / 2)")
        #expect(abs(Double(twinTotal.stuckFound) / Double(chipTotal.stuckFound) - 1) < 0.1,
                "stuck found (twice over): chip \(chipTotal.stuckFound), twins \(twinTotal.stuckFound), known \(2 * knownStuck)")
    }

    /// The twin meets this chip's slow cells where the chip has them: each cell the first
    /// programming saw respond switches as it did (``RecordedResponseFit``). Per chip, the pulses
    /// per cell and the round trips of sixteen new random maps, each written on the chip as
    /// programmed (the same map on the chip once, on two twins), against a twin whose cells all draw from the population and against one given
    /// every cell's true parameters (the floor: what the records could at best tell). A map's
    /// round trips are set by its slowest cell, an extreme of cycle-to-cycle noise: one write of
    /// one map varies by about 16 % from one run to the next on the same chip, so a twin is held
    /// to a chip's mean over many maps, not to one draw of it. Directions a cell was never pulsed
    /// in (RESET, for most cells of a first programming from the bottom of the range) stay a draw.
    @Test("with the cells' fitted responses the twin predicts each chip's pulses per cell within 3 % and its round trips within 10 %, over sixteen maps")
    func fittedResponsesPredictEachChip() throws {
        let maps = 16
        for seed in [UInt64(71), 72, 73, 74] {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("xbar-twin-fit-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let store = try RunStore(path: folder.appendingPathComponent("lab.sqlite").path)
            let setup = try SimulatedProgramming(rows: 32, columns: 32, targetSeed: seed)
            let device = setup.instrument.device.hiddenDraw(seed: seed)
            let chip = SimulatedBoard(instrument: setup.instrument, parameters: device, seed: seed)
            let range = ProgrammableRange(device: device.nonVolatile)
            var random = Xoshiro256StarStar(seed: seed ^ 0x5B)
            let run = try store.startRun(RunDraft(kind: "program", user: "tester", backend: "simulated", boardModel: chip.identity.model,
                                                  boardSerial: chip.serialNumber, instrumentName: setup.instrument.name, argumentsJSON: "{}"))
            _ = try writeVerify(setup, board: chip, targets: setup.targets, device: device.nonVolatile, store: store, runID: run)
            try store.finishRun(run, status: .completed)
            // Fitted, drawn, and given every cell's true parameters.
            var recipes: [TwinRecipe] = []
            for mode in [0, 1, 2] {
                var (recipe, _) = try TwinRecipe.load(store: store, programmingRun: run, instrument: setup.instrument,
                                                      calibrationPath: nil, fitsResponses: mode != 1)
                recipe.device = device
                if mode == 2, case .nonVolatile(_, let array)? = chip.tiles[0] {
                    recipe.tiles[0]!.responses = array.draws.map { d in
                        RecordedResponse(setStepFraction: d.setStepFraction, resetStepFraction: d.resetStepFraction, setThresholdVolts: d.setThresholdVolts,
                                         resetThresholdVolts: d.resetThresholdVolts, gMinSiemens: d.gMinSiemens, gMaxSiemens: d.gMaxSiemens)
                    }
                }
                recipes.append(recipe)
            }
            var onChip = Figures(), onTwins = [Figures](repeating: Figures(), count: recipes.count)
            for m in 0..<maps {
                let next = setup.targets.map { _ in range.lowSiemens + (range.highSiemens - range.lowSiemens) * random.nextOpenUnit() }
                // Every map is written from the state the twin was built from: the simulation is
                // deterministic, so the same chip programmed the same way is that chip again.
                let board: SimulatedBoard
                if m == 0 {
                    board = chip
                } else {
                    board = SimulatedBoard(instrument: setup.instrument, parameters: device, seed: seed)
                    _ = try writeVerify(setup, board: board, targets: setup.targets, device: device.nonVolatile)
                }
                let report = try writeVerify(setup, board: board, targets: next, device: device.nonVolatile)
                onChip.roundTrips += report.roundTrips; onChip.pulses += report.pulses.reduce(0, +); onChip.cells += report.pulses.count
                // Two fitted twins of their own draws, so that the prediction is less of a draw itself.
                for (k, recipe) in [recipes[0], recipes[0], recipes[1], recipes[2]].enumerated() {
                    let twin = try recipe.build(seed: seed &+ 100 &* UInt64(4 * m + k + 1)).board
                    let onTwin = try writeVerify(setup, board: twin, targets: next, device: device.nonVolatile)
                    let slot = max(k - 1, 0)
                    onTwins[slot].roundTrips += onTwin.roundTrips; onTwins[slot].pulses += onTwin.pulses.reduce(0, +); onTwins[slot].cells += onTwin.pulses.count
                }
            }
            let chipPulses = Double(onChip.pulses) / Double(onChip.cells)
            let errors = onTwins.enumerated().map { k, t in
                (trips: Double(t.roundTrips) / Double(k == 0 ? 2 : 1) / Double(onChip.roundTrips) - 1, pulses: Double(t.pulses) / Double(t.cells) / chipPulses - 1)
            }
            print(String(format: "chip %d, %d maps: round trips %.1f a map, pulses per cell %.2f; twin off by %+.1f %% / %+.1f %% fitted, %+.1f %% / %+.1f %% drawn, %+.1f %% / %+.1f %% oracle",
                         seed, maps, Double(onChip.roundTrips) / Double(maps), chipPulses, 100 * errors[0].trips, 100 * errors[0].pulses,
                         100 * errors[1].trips, 100 * errors[1].pulses, 100 * errors[2].trips, 100 * errors[2].pulses))
            #expect(abs(errors[0].pulses) < 0.03, "chip \(seed): pulses per cell, chip \(chipPulses), fitted twin off by \(errors[0].pulses)")
            // One map's round trips vary by about 16 % run to run on a chip and on its twin; the
            // chip's sixteen against the twins' thirty-two vary by about 5 %.
            #expect(abs(errors[0].trips) < 0.1, "chip \(seed): round trips \(onChip.roundTrips) over \(maps) maps, fitted twin off by \(errors[0].trips)")
        }
    }
}
