import Foundation
import Testing
import XbarBoard
import XbarDevice
import XbarInstrument
import XbarJobs
import XbarStore
import XbarWire

@Suite("Write-verify with verify reads in the board's sense ranges")
struct VerifyInRangesTests {
    /// `inBatch` false: as on a board without ranged PULSE_BATCH verify, a READ per band after each batch.
    func rangedSettings(_ setup: SimulatedProgramming, _ board: SimulatedBoard, inBatch: Bool = true) throws -> ProgrammingSettings {
        var s = setup.settings()
        s.verifyRanges = try VerifyRanges(board: board.identify())
        #expect(s.verifyRanges?.inBatch == true, "the simulated board verifies batches in ranges")
        s.verifyRanges?.inBatch = inBatch
        return s
    }

    /// A 16x16 tile of the default targets on a simulated board of seed 3, with ranged settings.
    func rangedProgrammerSetup() throws -> (SimulatedProgramming, ProgrammingSettings) {
        let setup = try SimulatedProgramming()
        return (setup, try rangedSettings(setup, setup.board(seed: 3)))
    }

    /// The adaptive programmer of `setup`'s tile and targets under `settings`, driven by hand.
    func adaptiveProgrammer(_ setup: SimulatedProgramming, _ settings: ProgrammingSettings) -> WriteVerifyProgrammer {
        WriteVerifyProgrammer(tile: setup.info, targetSiemens: setup.targets,
                              algorithm: AdaptivePulse(cellCount: setup.info.cellCount, device: setup.instrument.device.nonVolatile,
                                                       envelope: PulseEnvelope(limits: setup.instrument.limits)),
                              settings: settings)
    }

    @Test("with the board's ranged batch verify a batch is one round trip: under half the round trips of verifying by READs, the same conversions, the yield within half a point")
    func oneRoundTripPerBatch() throws {
        let setup = try SimulatedProgramming(rows: 32, columns: 32)
        let plainBoard = setup.board(seed: 3)
        let plain = try setup.job(.adaptive, board: plainBoard, sim: plainBoard).run()[0]
        let readBoard = setup.board(seed: 3)
        let byRead = try setup.job(.adaptive, board: readBoard, sim: readBoard,
                                   settings: try rangedSettings(setup, readBoard, inBatch: false)).run()[0]
        let batchBoard = setup.board(seed: 3)
        let settings = try rangedSettings(setup, batchBoard)
        let inBatch = try setup.job(.adaptive, board: batchBoard, sim: batchBoard, settings: settings).run()[0]
        let batchYield = try yields(setup, batchBoard, tolerance: settings.toleranceSiemens,
                                    averages: settings.verifyAverages, volts: settings.readVolts)
        let plainYield = try yields(setup, plainBoard, tolerance: settings.toleranceSiemens,
                                    averages: settings.verifyAverages, volts: settings.readVolts)

        // Still more than without ranges: each range and averaging of a full-tile verify read is a READ.
        #expect(inBatch.roundTrips > plain.roundTrips, "round trips: \(plain.roundTrips) without ranges, \(inBatch.roundTrips) verified in the batch")
        #expect(2 * inBatch.roundTrips < byRead.roundTrips, "round trips: \(byRead.roundTrips) by READs, \(inBatch.roundTrips) in the batch")
        #expect(Double(plain.conversions) >= 1.7 * Double(inBatch.conversions),
                "conversions: \(plain.conversions) without ranges, \(inBatch.conversions) in the batch")
        #expect(Double(inBatch.conversions) <= 1.1 * Double(byRead.conversions),
                "conversions: \(byRead.conversions) by READs, \(inBatch.conversions) in the batch")
        // Verified microseconds after its pulse a cell has relaxed less than when read by a later
        // READ: on this 1024-cell tile the yield stays within five cells of the plain run's.
        #expect(batchYield.truth >= plainYield.truth - 0.005, "true yield \(batchYield.truth) in the batch, \(plainYield.truth) without ranges")
        #expect(batchYield.readBack >= plainYield.readBack - 0.005, "read-back \(batchYield.readBack) in the batch, \(plainYield.readBack) without ranges")
    }

    @Test("a cell a batch's ranged verify finds saturated is read again in the next larger range before the batch is judged")
    func saturatedVerifyReadAgain() throws {
        let (setup, settings) = try rangedProgrammerSetup()
        let ranges = try #require(settings.verifyRanges)
        let programmer = adaptiveProgrammer(setup, settings)
        let columns = Int(setup.info.columns)
        // The first full read, band by band, finds every cell at the range's low end.
        while let op = programmer.nextOperation(), case .read = op {
            programmer.absorb(op, measuredSiemens: op.cells.map { _ in 1e-6 }, at: Date())
        }
        guard let batch = programmer.nextOperation(), case let .pulseBatch(_, _, volts?, _, pulses) = batch, batch.isRangedVerify else {
            Issue.record("the first batch is verified in ranges by itself, got \(String(describing: programmer.nextOperation()))")
            return
        }
        #expect(volts == settings.readVolts)
        // Band by band: the pulses come in runs of one range and averaging each.
        var runs = 1
        for k in 1..<pulses.count where pulses[k].verify != pulses[k - 1].verify { runs += 1 }
        #expect(runs <= ranges.bands, "\(runs) runs of verify settings for \(ranges.bands) bands")
        let first = try #require(pulses[0].verify)
        let saturatedCell = pulses[0].row * columns + pulses[0].column
        var logged = pulses.map { _ in 2e-6 }
        logged[0] = .infinity
        let pulsedBefore = programmer.report.pulses.reduce(0, +)
        programmer.absorb(batch, measuredSiemens: logged, at: Date())
        #expect(programmer.report.pulses.reduce(0, +) == pulsedBefore + pulses.count, "every pulse of the batch counts once")
        // Next: the saturated cell alone, in the next larger range, with its averages; no pulse before it.
        guard case let .read(_, cells?, _, _, _, averages, range) = programmer.nextOperation() else {
            Issue.record("a READ of the saturated cell, got \(String(describing: programmer.nextOperation()))")
            return
        }
        #expect(cells.map { $0.row * columns + $0.column } == [saturatedCell])
        #expect(range == ranges.larger(than: first.senseRange) && averages == first.averages)
        programmer.absorb(programmer.nextOperation()!, measuredSiemens: [80e-6], at: Date())
        #expect(programmer.report.verifiedSiemens[saturatedCell] == 80e-6, "taken from the read again, never at full scale")
        guard case .pulseBatch = programmer.nextOperation() else {
            Issue.record("once judged, the next batch, got \(String(describing: programmer.nextOperation()))")
            return
        }
    }

    @Test("a ranged batch verify's saturation flags come out as +infinity siemens; its reply without flags is refused; its groups are its runs")
    func batchSaturationFlags() throws {
        let pulses = [LedgerPulse(row: 0, column: 0, amplitudeVolts: 1, widthSeconds: 1e-7, verify: LedgerVerify(senseRange: 3, averages: 2)),
                      LedgerPulse(row: 0, column: 1, amplitudeVolts: 1, widthSeconds: 1e-7, verify: LedgerVerify(senseRange: 3, averages: 2)),
                      LedgerPulse(row: 0, column: 2, amplitudeVolts: 1, widthSeconds: 1e-7, verify: LedgerVerify(senseRange: nil, averages: 6))]
        let op = JournalOperation.pulseBatch(tile: 0, scheme: 0, verifyReadVolts: 0.5, averages: 9, pulses: pulses)
        guard case .pulseBatch(let b)? = try OperationRunner.request(for: op) else { Issue.record("no PULSE_BATCH"); return }
        #expect(b.verify == VerifyRead(readVolts: 0.5, groups: [VerifyGroup(pulseCount: 2, senseRange: 3, averages: 2),
                                                                VerifyGroup(pulseCount: 1, senseRange: nil, averages: 6)]))
        let receipt = PulseReceipt(boardTimeNanoseconds: 0, appliedCount: 3, complianceHits: 0, verifyAmperes: [5e-6, 16e-6, 40e-6],
                                   verifySaturated: [false, true, true])
        let siemens = try OperationRunner.measurements(.pulsed(receipt), for: op)
        #expect(abs(siemens[0] - 10e-6) < 1e-12)
        #expect(siemens[1] == .infinity && siemens[2] == .infinity)
        var unflagged = receipt
        unflagged.verifySaturated = nil
        #expect(throws: ProgrammingError.self) { try OperationRunner.measurements(.pulsed(unflagged), for: op) }
    }

    /// Share of the non-stuck cells whose true conductance is within tolerance, and of those a
    /// full-tile read at the ADC's read full scale (the lab's read-back) finds within it.
    func yields(_ setup: SimulatedProgramming, _ board: SimulatedBoard, tolerance: Double, averages: Int, volts: Double) throws -> (truth: Double, readBack: Double) {
        let truth = setup.trueConductances(board), stuck = setup.stuck(board)
        let read = try board.readConductances(.tile(setup.info.index), readVolts: volts, averages: averages)
        var t = 0, r = 0, n = 0
        for i in truth.indices where !stuck[i] {
            n += 1
            if abs(truth[i] - setup.targets[i]) <= tolerance { t += 1 }
            if abs(read[i] - setup.targets[i]) <= tolerance { r += 1 }
        }
        return (Double(t) / Double(n), Double(r) / Double(n))
    }

    @Test("verifying in ranges by READs cuts the conversions per cell by 1.7x or more with the same yield", arguments: [3, 4] as [UInt64])
    func fewerConversions(seed: UInt64) throws {
        let setup = try SimulatedProgramming(rows: 32, columns: 32)
        let plainBoard = setup.board(seed: seed)
        let plainSettings = setup.settings()
        let plain = try setup.job(.adaptive, board: plainBoard, sim: plainBoard).run()[0]
        let plainYield = try yields(setup, plainBoard, tolerance: plainSettings.toleranceSiemens,
                                    averages: plainSettings.verifyAverages, volts: plainSettings.readVolts)

        let rangedBoard = setup.board(seed: seed)
        let settings = try rangedSettings(setup, rangedBoard, inBatch: false)
        let ranged = try setup.job(.adaptive, board: rangedBoard, sim: rangedBoard, settings: settings).run()[0]
        let rangedYield = try yields(setup, rangedBoard, tolerance: settings.toleranceSiemens,
                                     averages: settings.verifyAverages, volts: settings.readVolts)

        let factor = Double(plain.conversions) / Double(ranged.conversions)
        #expect(factor >= 1.7, "conversions \(plain.conversions) without ranges, \(ranged.conversions) with: \(factor)x")
        // The same yield: within two cells of a 1024-cell tile, on the truth and on the read-back.
        #expect(rangedYield.truth >= plainYield.truth - 0.002, "true yield \(rangedYield.truth) with ranges, \(plainYield.truth) without")
        #expect(rangedYield.readBack >= plainYield.readBack - 0.002, "read-back \(rangedYield.readBack) with ranges, \(plainYield.readBack) without")
        // The pulses stay what they were, give or take a few per cent.
        let pulses = (plain.pulses.reduce(0, +), ranged.pulses.reduce(0, +))
        #expect(Double(pulses.1) <= 1.05 * Double(pulses.0), "pulses \(pulses.0) without ranges, \(pulses.1) with")
    }

    @Test("a cell a ranged verify read finds saturated is read again in the next larger range, never taken at full scale")
    func saturatedReadAgain() throws {
        let (setup, settings) = try rangedProgrammerSetup()
        let ranges = try #require(settings.verifyRanges)
        let programmer = adaptiveProgrammer(setup, settings)
        guard case let .read(_, cells?, _, _, _, _, range?) = programmer.nextOperation() else {
            Issue.record("the first verify read is a ranged read of a band, got \(String(describing: programmer.nextOperation()))")
            return
        }
        let saturatedCell = cells[0].row * Int(setup.info.columns) + cells[0].column
        let firstScale = ranges.ranges[range].fullScaleAmperes
        // The board flags the first cell saturated; the others read on target.
        var logged = cells.map { setup.targets[$0.row * Int(setup.info.columns) + $0.column] }
        logged[0] = .infinity
        let first = programmer.nextOperation()!
        programmer.absorb(first, measuredSiemens: logged, at: Date())
        #expect(programmer.report.verifiedSiemens[saturatedCell].isNaN, "a saturated cell has no reading yet")
        var reread: (range: Int?, averages: Int)?
        while let op = programmer.nextOperation(), case let .read(_, list?, _, _, _, averages, r) = op {
            let indices = list.map { $0.row * Int(setup.info.columns) + $0.column }
            if indices == [saturatedCell] {
                reread = (r, averages)
                programmer.absorb(op, measuredSiemens: [80e-6], at: Date())
                break
            }
            #expect(!indices.contains(saturatedCell), "the saturated cell is read alone, after the bands")
            programmer.absorb(op, measuredSiemens: indices.map { setup.targets[$0] }, at: Date())
        }
        let again = try #require(reread, "the saturated cell was read again")
        #expect(ranges.fullScaleAmperes(again.range) > Double(firstScale), "read again in a larger range")
        #expect(again.range != nil, "in a range that flags saturation")
        #expect(ranges.larger(than: range) == again.range, "the next larger range, not any larger one")
        #expect(programmer.report.verifiedSiemens[saturatedCell] == 80e-6)
    }

    @Test("a ranged read's saturation flags come out as +infinity siemens, and a ranged reply without flags is refused")
    func saturationFlags() throws {
        let op = JournalOperation.read(tile: 0, cells: [CellAddress(row: 0, column: 0), CellAddress(row: 0, column: 1)],
                                       rows: 16, columns: 16, readVolts: 0.5, averages: 4, senseRange: 3)
        let flagged = try OperationRunner.measurements(.currents(Currents(boardTimeNanoseconds: 0, amperes: [5e-6, 16e-6],
                                                                          saturated: [false, true])), for: op)
        #expect(abs(flagged[0] - 10e-6) < 1e-12)
        #expect(flagged[1] == .infinity)
        #expect(throws: ProgrammingError.self) {
            try OperationRunner.measurements(.currents(Currents(boardTimeNanoseconds: 0, amperes: [5e-6, 16e-6])), for: op)
        }
    }

    @Test("verify reads in ranges are refused on a board whose IDENTIFY lists no sense ranges, naming the board")
    func refusedWithoutRanges() throws {
        var setup = try SimulatedProgramming()
        setup.instrument.senseRanges = []
        let identity = try SimulatedBoard(instrument: setup.instrument, seed: 1).identify()
        #expect(identity.senseRanges == nil)
        do {
            _ = try VerifyRanges(board: identity)
            Issue.record("accepted a board without sense ranges")
        } catch {
            #expect(error == .noSenseRanges(model: identity.model, serial: identity.serialNumber))
            #expect("\(error)".contains(identity.model) && "\(error)".contains("no sense ranges"), "\(error)")
        }
    }

    @Test("a ranged run whose link dies resumes without repeating a pulse, from the read it was waiting for",
          arguments: [2, 3, 5, 9] as [Int], [true, false])
    func resume(requestsBeforeDeath: Int, inBatch: Bool) throws {
        let setup = try SimulatedProgramming()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("xbar-ranged-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try RunStore(path: folder.appendingPathComponent("lab.sqlite").path)
        let run = try store.startRun(RunDraft(kind: "program", user: "test", backend: "simulated", argumentsJSON: "{}"))

        let first = setup.board(seed: 4)
        let settings = try rangedSettings(setup, first, inBatch: inBatch)
        #expect(throws: BoardError.self) {
            try setup.job(.adaptive, board: DyingLink(first, requests: requestsBeforeDeath), sim: first,
                          journal: StoreJournal(store: store, runID: run), settings: settings, store: store, runID: run).run()
        }
        let before = try store.journal(run: run)
        // The ledger keeps each read's sense range.
        #expect(before.contains { if case .read(_, _, _, _, _, _, _?) = $0.operation { true } else { false } })

        let second = setup.board(seed: 4)
        try ProgrammingJob.replay(before, onto: second, settle: { second.advanceTime(seconds: $0) })
        let report = try setup.job(.adaptive, board: second, sim: second, journal: StoreJournal(store: store, runID: run),
                                   settings: settings, store: store, runID: run).run(resuming: before)[0]
        let counts = try store.pulseCounts(run: run)
        #expect(UInt64(counts[.done] ?? 0) == second.pulsesApplied, "every pulse applied is in the ledger once")
        #expect(report.pulses.reduce(0, +) == (counts[.done] ?? 0) + (counts[.inDoubt] ?? 0))
        let after = try store.journal(run: run)
        // Batches verified in ranges keep every pulse's range and averages in the ledger; without
        // the board's ranged batch verify, none is.
        let batches = after.filter { if case .pulseBatch = $0.operation { true } else { false } }
        #expect(!batches.isEmpty && batches.allSatisfy { $0.operation.isRangedVerify == inBatch })
        for doubtful in after where doubtful.state == .inDoubt {
            guard let next = after.first(where: { $0.seq == doubtful.seq + 1 }) else { continue }
            if case .pulseBatch = doubtful.operation, case .pulseBatch = next.operation {
                Issue.record("operation \(doubtful.seq), an in-doubt batch, was followed by another batch before any read")
            }
        }
        let nonStuck = zip(report.outcomes, setup.stuck(second)).filter { !$0.1 }
        #expect(nonStuck.allSatisfy { $0.0 == .converged }, "every non-stuck cell converged")
    }
}
