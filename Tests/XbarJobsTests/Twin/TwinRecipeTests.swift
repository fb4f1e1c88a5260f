import Foundation
import Testing
import XbarBoard
import XbarDevice
import XbarInstrument
import XbarStore
import XbarWire
@testable import XbarJobs

@Suite("the twin of a chip, built from its programming run and a calibration")
struct TwinRecipeTests {
    /// A chip with hidden parameters (`seed`) write-verified by a recorded programming run.
    func programmedChip(seed: UInt64, in store: RunStore, setup: SimulatedProgramming) throws -> (SimulatedBoard, Int64) {
        let chip = setup.board(seed: seed)
        let run = try store.startRun(RunDraft(kind: "program", user: "tester", backend: "simulated", boardModel: chip.identity.model,
                                              boardSerial: chip.serialNumber, instrumentName: setup.instrument.name, argumentsJSON: "{}"))
        _ = try setup.job(.adaptive, board: chip, sim: chip, journal: StoreJournal(store: store, runID: run), store: store, runID: run).run()
        try store.finishRun(run, status: .completed)
        return (chip, run)
    }

    func temporaryStore() throws -> (RunStore, URL) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("xbar-twin-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return (try RunStore(path: folder.appendingPathComponent("lab.sqlite").path), folder)
    }

    @Test("the twin holds what the ledger verified, within the verify's read noise of the chip's true conductances, and the chip's stuck cells",
          arguments: [UInt64(31), 32, 33])
    func holdsTheChip(hiddenSeed: UInt64) throws {
        let (store, folder) = try temporaryStore()
        defer { try? FileManager.default.removeItem(at: folder) }
        let setup = try SimulatedProgramming(rows: 16, columns: 16, targetSeed: hiddenSeed)
        let (chip, run) = try programmedChip(seed: hiddenSeed, in: store, setup: setup)
        let (recipe, _) = try TwinRecipe.load(store: store, programmingRun: run, instrument: setup.instrument, calibrationPath: nil)
        let twin = try recipe.build(seed: 1)
        let shadow = try #require(try store.shadowMap(run: run).tiles[0])
        let onTwin = (0..<256).map { twin.board.trueConductance(tile: 0, row: $0 / 16, column: $0 % 16) }
        #expect(onTwin == shadow.siemens, "exactly the shadow map")
        let onChip = setup.trueConductances(chip)
        let range = setup.range.highSiemens - setup.range.lowSiemens
        // Cells that respond: a cell stuck above the verify read's full scale is recorded at
        // that full scale (a floor), and the twin holds the record.
        let responding = (0..<256).filter { !setup.stuck(chip)[$0] }
        let rms = (responding.map { (onTwin[$0] - onChip[$0]) * (onTwin[$0] - onChip[$0]) }.reduce(0, +) / Double(responding.count)).squareRoot()
        // The verify reads average 1.5 % read noise down to well under 1 % of G; the chip has not relaxed.
        #expect(rms / range < 0.005, "RMS twin - chip \(rms / range * 100) % of the range")
        let outcomes = try store.outcomes(run: run)
        let flagged = outcomes.filter { $0.outcome == "stuck" }.map { $0.row * 16 + $0.column }
        let untested = Set(outcomes.filter { $0.outcome == "converged" && $0.pulses == 0 }.map { $0.row * 16 + $0.column })
        let stuckInTwin = (0..<256).filter { twin.board.isStuck(tile: 0, row: $0 / 16, column: $0 % 16) }
        // Every cell the run found stuck is stuck in the twin or, when it stopped far from the
        // bound it would be stuck at, held within its recorded value as its own bound; besides
        // them only cells the run never saw respond are stuck.
        let bounded = try #require(recipe.tiles[0]).bounds.indices.filter { recipe.tiles[0]!.bounds[$0] != .none }
        #expect(Set(flagged) == Set(stuckInTwin).intersection(flagged).union(bounded))
        #expect(Set(stuckInTwin).subtracting(flagged).isSubset(of: untested))
        #expect(Set(flagged).isSubset(of: Set(setup.stuck(chip).indices.filter { setup.stuck(chip)[$0] })),
                "only cells that are stuck on the chip are flagged")
    }

    @Test("the device model: the file given, else the newest calibration in the store (made in another store), else the instrument's defaults with a warning")
    func deviceModel() throws {
        let (store, folder) = try temporaryStore()
        defer { try? FileManager.default.removeItem(at: folder) }
        let setup = try SimulatedProgramming(rows: 16, columns: 16)
        let (_, run) = try programmedChip(seed: 41, in: store, setup: setup)

        let (uncalibrated, warnings) = try TwinRecipe.load(store: store, programmingRun: run, instrument: setup.instrument, calibrationPath: nil)
        #expect(uncalibrated.deviceSource == .instrumentDefaults)
        #expect(uncalibrated.device == setup.instrument.device)
        #expect(warnings.contains { $0.hasPrefix("NO CALIBRATION OF usb-4x64") }, "\(warnings)")

        // A calibration file naming run 7 of the store it came from: this store has no run 7.
        let calibration = sampleCalibration(instrument: setup.instrument)
        let path = folder.appendingPathComponent("cal.json").path
        try calibration.save(path: path)
        let id = try store.registerCalibrationFile(path: path)
        #expect(try store.calibration(id).runID == nil)
        let (stored, _) = try TwinRecipe.load(store: store, programmingRun: run, instrument: setup.instrument, calibrationPath: nil)
        #expect(stored.deviceSource == .stored(id: id, path: path))
        #expect(stored.device == calibration.device)
        // The store keeps the file's content: the twin is built after the file is gone.
        try FileManager.default.removeItem(atPath: path)
        #expect(try TwinRecipe.load(store: store, programmingRun: run, instrument: setup.instrument, calibrationPath: nil).0.device
                == calibration.device)

        var other = calibration
        other.device.nonVolatile.readNoiseSpread = 0.021
        let otherPath = folder.appendingPathComponent("other.yaml").path
        try other.save(path: otherPath)
        let (given, _) = try TwinRecipe.load(store: store, programmingRun: run, instrument: setup.instrument, calibrationPath: otherPath)
        #expect(given.deviceSource == .file(path: otherPath))
        #expect(given.device.nonVolatile.readNoiseSpread == 0.021)
        #expect(given.backendDescription.hasPrefix("twin of run \(run) (xbar-usb-4x64 SIM-0001, calibration \(otherPath)"))
    }

    @Test("a read-back of the chip recorded after its programming run is what the twin holds; another chip's is not")
    func readBackOverVerified() throws {
        let (store, folder) = try temporaryStore()
        defer { try? FileManager.default.removeItem(at: folder) }
        let setup = try SimulatedProgramming(rows: 16, columns: 16)
        let (chip, run) = try programmedChip(seed: 43, in: store, setup: setup)
        let shadow = try #require(try store.shadowMap(run: run).tiles[0])
        // Another chip of the same model, read after the run: not this chip.
        let stranger = try store.startRun(RunDraft(kind: "infer", user: "tester", backend: "simulated", boardModel: chip.identity.model,
                                                   boardSerial: "OTHER", instrumentName: setup.instrument.name, argumentsJSON: "{}"))
        try store.saveReadBack(TileReadBack(run: stranger, index: 0, rows: 16, columns: 16, siemens: shadow.siemens.map { $0 * 0.5 }, averages: 16))
        #expect(try TwinRecipe.load(store: store, programmingRun: run, instrument: setup.instrument, calibrationPath: nil).0.readBackRuns.isEmpty)

        let infer = try store.startRun(RunDraft(kind: "infer", user: "tester", backend: "simulated", boardModel: chip.identity.model,
                                                boardSerial: chip.serialNumber, instrumentName: setup.instrument.name, argumentsJSON: "{}"))
        let read = try chip.readConductances(.tile(0), readVolts: setup.instrument.defaultReadVolts, averages: 16)
        #expect(read != shadow.siemens)
        try store.saveReadBack(TileReadBack(run: infer, index: 0, rows: 16, columns: 16, siemens: read, averages: 16))
        let (recipe, _) = try TwinRecipe.load(store: store, programmingRun: run, instrument: setup.instrument, calibrationPath: nil)
        #expect(recipe.readBackRuns == [0: infer])
        #expect(recipe.backendDescription.hasSuffix("; cells as read back in run \(infer))"), "\(recipe.backendDescription)")
        let twin = try recipe.build(seed: 1)
        let stuck = setup.stuck(chip)
        let held = (0..<256).filter { !stuck[$0] }
        #expect(held.allSatisfy { twin.board.trueConductance(tile: 0, row: $0 / 16, column: $0 % 16) == read[$0] })
        let (verified, _) = try TwinRecipe.load(store: store, programmingRun: run, instrument: setup.instrument, calibrationPath: nil,
                                                usesReadBacks: false)
        #expect(verified.readBackRuns.isEmpty && verified.tiles[0]?.siemens == shadow.siemens)
    }

    @Test("a cell that reset onto its own floor keeps no fitted RESET law: the twin resets it as the population does, not as the pulses against its floor suggest")
    func ownBoundIsNotTheLaw() throws {
        let (store, folder) = try temporaryStore()
        defer { try? FileManager.default.removeItem(at: folder) }
        var setup = try SimulatedProgramming(rows: 32, columns: 32, targetSeed: 44)
        // Floors spread wide enough that a tenth of the cells sit a tolerance above the mean's.
        var device = setup.instrument.device
        device.nonVolatile.gMinSiemens = DistributedParameter(1.5e-6, spread: 0.6)
        let chip = SimulatedBoard(instrument: setup.instrument, parameters: device, seed: 44)
        // Mid-range first (not recorded), then the population's mean floor, recorded: each cell
        // resets from mid-range, and the cells whose own floor is above the target meet it.
        _ = try setup.job(.adaptive, board: chip, sim: chip).run()
        setup.targets = setup.targets.map { _ in setup.instrument.device.nonVolatile.gMinSiemens.mean }
        let run = try store.startRun(RunDraft(kind: "program", user: "tester", backend: "simulated", boardModel: chip.identity.model,
                                              boardSerial: chip.serialNumber, instrumentName: setup.instrument.name, argumentsJSON: "{}"))
        _ = try setup.job(.adaptive, board: chip, sim: chip, journal: StoreJournal(store: store, runID: run), store: store, runID: run).run()
        try store.finishRun(run, status: .completed)
        let (recipe, _) = try TwinRecipe.load(store: store, programmingRun: run, instrument: setup.instrument, calibrationPath: nil)
        let tile = try #require(recipe.tiles[0])
        let floored = tile.bounds.indices.filter { tile.bounds[$0] == .lower }
        let fitted = try RecordedResponseFit.responses(store: store, run: run, tiles: [0: (32, 32, tile.siemens)], instrument: setup.instrument,
                                                       device: setup.instrument.device.nonVolatile, periphery: nil)[0] ?? []
        // The fit alone (before the twin drops it) shows those cells' RESET far slower than any live cell.
        let slowResets = floored.filter { (fitted[$0]?.resetStepFraction ?? 1) < 0.25 * setup.instrument.device.nonVolatile.resetStepFraction.mean }
        #expect(!slowResets.isEmpty, "\(floored.count) cells at their own floor; fitted RESET fractions \(floored.map { fitted[$0]?.resetStepFraction ?? -1 })")
        #expect(floored.allSatisfy { tile.responses.isEmpty || tile.responses[$0]?.resetStepFraction == nil })

        // On the twin, up to mid-range and down again to above their floors: a RESET law they can
        // show, which the fit of the pulses against the floor would make take the pulse budget.
        let range = setup.range.highSiemens - setup.range.lowSiemens
        let twin = try recipe.build(seed: 3)
        setup.targets = try SimulatedProgramming(rows: 32, columns: 32, targetSeed: 44).targets.enumerated().map { i, g in
            max(g, tile.siemens[i] + 0.5 * range)
        }
        _ = try setup.job(.adaptive, board: twin.board, sim: twin.board).run()
        setup.targets = tile.siemens.map { $0 + 0.15 * range }
        let down = try setup.job(.adaptive, board: twin.board, sim: twin.board).run()[0]
        let typical = down.pulses.sorted()[down.pulses.count / 2]
        #expect(slowResets.allSatisfy { down.pulses[$0] <= 4 * max(typical, 3) },
                "pulses of the floored cells \(slowResets.map { down.pulses[$0] }), the median cell's \(typical)")
    }

    @Test("a run without a shadow map or of another instrument is refused, naming the run")
    func refusals() throws {
        let (store, folder) = try temporaryStore()
        defer { try? FileManager.default.removeItem(at: folder) }
        let setup = try SimulatedProgramming(rows: 16, columns: 16)
        let read = try store.startRun(RunDraft(kind: "read", user: "tester", backend: "simulated", instrumentName: "usb-4x64", argumentsJSON: "{}"))
        #expect(throws: TwinError.noShadowMap(run: read, kind: "read")) {
            try TwinRecipe.load(store: store, programmingRun: read, instrument: setup.instrument, calibrationPath: nil)
        }
        let serial = try store.startRun(RunDraft(kind: "program", user: "tester", backend: "simulated", instrumentName: "serial-32x32", argumentsJSON: "{}"))
        #expect(throws: TwinError.otherInstrument(run: serial, recorded: "serial-32x32", requested: "usb-4x64")) {
            try TwinRecipe.load(store: store, programmingRun: serial, instrument: setup.instrument, calibrationPath: nil)
        }
    }
}
