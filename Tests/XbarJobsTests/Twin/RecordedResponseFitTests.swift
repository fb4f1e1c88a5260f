import Foundation
import Testing
import XbarBoard
import XbarDevice
import XbarStore
import XbarWire
@testable import XbarJobs

@Suite("the switching law fitted from a programming run's ledger")
struct RecordedResponseFitTests {
    /// Two 16x16 tiles, so that the last relaxation pass holds its touch-ups to 0.45 of the
    /// tolerance; one cell in twenty stuck, each truly stuck cell given a target half a
    /// tolerance from where it is stuck: the verify rounds accept it (0.6) without a pulse, the
    /// last pass re-opens it and pulses it a few rounds, too few to find it stuck, and then
    /// accepts it at 0.6. Those pulses move its reads by read noise alone.
    @Test("a stuck cell pulsed without being found stuck is not fitted as a live cell")
    func noiseIsNoResponse() throws {
        var setup = try SimulatedProgramming(rows: 16, columns: 16, targetSeed: 21)
        let kind = setup.instrument.weightTiles[0].kind
        setup.instrument.tiles = (0..<2).map { TileInfo(index: UInt8($0), kind: kind, rows: 16, columns: 16) }
        setup.instrument.device.nonVolatile.stuckAtMinRate = 0.03
        setup.instrument.device.nonVolatile.stuckAtMaxRate = 0.02
        let chip = setup.board(seed: 22)
        let settings = setup.settings()
        let tolerance = settings.toleranceSiemens
        var rng = Xoshiro256StarStar(seed: 23)
        let (lo, hi) = (setup.range.lowSiemens, setup.range.highSiemens)
        var stuckCells: [Int: [Int]] = [:]
        let tiles = setup.instrument.tiles.map { info in
            (tile: info, siemens: (0..<info.cellCount).map { i -> Double in
                let (r, c) = (i / 16, i % 16)
                guard chip.isStuck(tile: info.index, row: r, column: c) else { return lo + (hi - lo) * rng.nextOpenUnit() }
                stuckCells[Int(info.index), default: []].append(i)
                let g = chip.trueConductance(tile: info.index, row: r, column: c)
                return g < (lo + hi) / 2 ? g + 0.5 * tolerance : g - 0.5 * tolerance
            })
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("xbar-fit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try RunStore(path: folder.appendingPathComponent("lab.sqlite").path)
        let run = try store.startRun(RunDraft(kind: "program", user: "tester", backend: "simulated", boardModel: chip.identity.model,
                                              boardSerial: chip.serialNumber, instrumentName: setup.instrument.name, argumentsJSON: "{}"))
        let job = ProgrammingJob(targets: ProgrammingTargets(tiles: tiles), algorithm: .adaptive, settings: settings,
                                 device: setup.instrument.device.nonVolatile, envelope: PulseEnvelope(limits: setup.instrument.limits),
                                 runner: OperationRunner(board: chip, journal: StoreJournal(store: store, runID: run),
                                                         settle: { chip.advanceTime(seconds: $0) }),
                                 store: store, runID: run)
        let reports = try job.run()
        try store.finishRun(run, status: .completed)

        let responses = try RecordedResponseFit.responses(
            store: store, run: run, tiles: Dictionary(uniqueKeysWithValues: tiles.map { (Int($0.tile.index), (16, 16, $0.siemens)) }),
            instrument: setup.instrument, device: setup.instrument.device.nonVolatile, periphery: nil)
        var pulsedUnfound = 0
        for report in reports {
            for i in stuckCells[report.tile] ?? [] where report.outcomes[i] != .stuck && report.pulses[i] > 0 {
                pulsedUnfound += 1
                #expect(responses[report.tile]?[i] == nil,
                        "tile \(report.tile) cell \(i), stuck, \(report.pulses[i]) pulses: fitted \(String(describing: responses[report.tile]?[i]))")
            }
        }
        // The cells the test is about: without them it would say nothing.
        #expect(pulsedUnfound >= 3, "stuck cells pulsed and not found stuck: \(pulsedUnfound) of \(stuckCells.values.map(\.count).reduce(0, +))")
        // Cells that did respond keep their fit.
        let fitted = responses.values.flatMap { $0 }.compactMap { $0 }.count
        #expect(fitted > 400, "cells fitted: \(fitted) of 512")
    }
}
