import Foundation
import Testing
import XbarBoard
import XbarDevice
import XbarJobs
import XbarStore
import XbarWire

@Suite("Write-verify programming on the simulated board")
struct WriteVerifyProgrammerTests {
    /// Checks a finished tile against the board's ground truth. Converged cells must read within
    /// tolerance (that is what converged means) and truly be within 1.5 tolerances: verify reads
    /// are averaged to an eighth of the tolerance, so 0.6 + 4 x 1/8 = 1.1 tolerances bounds a
    /// 4-sigma read error, and relaxation adds a few tenths at most within the run. At least 97 %
    /// of non-stuck cells must truly be within tolerance. A reported stuck cell must be stuck.
    func checkAgainstTruth(_ report: TileReport, _ setup: SimulatedProgramming, _ board: SimulatedBoard, tolerance: Double) {
        let truth = setup.trueConductances(board)
        let stuck = setup.stuck(board)
        var within = 0, nonStuck = 0
        for i in 0..<report.outcomes.count {
            if report.outcomes[i] == .stuck { #expect(stuck[i], "cell \(i) reported stuck but is not") }
            if report.outcomes[i] == .converged {
                #expect(abs(report.verifiedSiemens[i] - setup.targets[i]) <= tolerance, "cell \(i): verified value out of tolerance")
                #expect(abs(truth[i] - setup.targets[i]) <= 1.5 * tolerance, "cell \(i): true \(truth[i]) target \(setup.targets[i])")
            }
            if !stuck[i] {
                nonStuck += 1
                if abs(truth[i] - setup.targets[i]) <= tolerance { within += 1 }
            }
        }
        #expect(Double(within) >= 0.97 * Double(nonStuck), "\(within) of \(nonStuck) non-stuck cells truly within tolerance")
    }

    @Test("adaptive programming brings the non-stuck cells within tolerance, checked on true conductances", arguments: [3, 4] as [UInt64])
    func adaptive(seed: UInt64) throws {
        let setup = try SimulatedProgramming()
        let board = setup.board(seed: seed)
        let report = try setup.job(.adaptive, board: board, sim: board).run()[0]
        checkAgainstTruth(report, setup, board, tolerance: setup.settings().toleranceSiemens)
        #expect(report.count(.outOfPulses) == 0)
        // Batching: one round trip per iteration for the whole tile, far fewer than pulses.
        #expect(report.roundTrips < 40)
        #expect(UInt64(report.pulses.reduce(0, +)) == board.pulsesApplied)
    }

    @Test("the ISPP baseline converges too, with more pulses than the adaptive algorithm")
    func ispp() throws {
        let setup = try SimulatedProgramming()
        let b1 = setup.board(seed: 3), b2 = setup.board(seed: 3)
        let baseline = try setup.job(.ispp, board: b1, sim: b1).run()[0]
        let adaptive = try setup.job(.adaptive, board: b2, sim: b2).run()[0]
        checkAgainstTruth(baseline, setup, b1, tolerance: setup.settings().toleranceSiemens)
        #expect(adaptive.pulses.reduce(0, +) * 2 <= baseline.pulses.reduce(0, +))
    }

    @Test("the identical-pulse and width-ramp baselines stay within the board's limits and need more pulses than adaptive",
          arguments: [ProgrammingAlgorithmKind.fixed, .widthRamp])
    func simpleBaselines(kind: ProgrammingAlgorithmKind) throws {
        let setup = try SimulatedProgramming()
        let b1 = setup.board(seed: 3), b2 = setup.board(seed: 3)
        // The board refuses any pulse outside its limits, so a run that finishes kept to them.
        let baseline = try setup.job(kind, board: b1, sim: b1).run()[0]
        let adaptive = try setup.job(.adaptive, board: b2, sim: b2).run()[0]
        #expect(UInt64(baseline.pulses.reduce(0, +)) == b1.pulsesApplied)
        #expect(adaptive.pulses.reduce(0, +) * 2 <= baseline.pulses.reduce(0, +),
                "adaptive \(adaptive.pulses.reduce(0, +)) pulses, \(kind.rawValue) \(baseline.pulses.reduce(0, +))")
        // A converged cell read within tolerance, whatever the scheme.
        let tolerance = setup.settings().toleranceSiemens
        for i in baseline.outcomes.indices where baseline.outcomes[i] == .converged {
            #expect(abs(baseline.verifiedSiemens[i] - setup.targets[i]) <= tolerance)
        }
        let truth = setup.trueConductances(b1), stuck = setup.stuck(b1)
        let nonStuck = stuck.filter { !$0 }.count
        let within = truth.indices.filter { !stuck[$0] && abs(truth[$0] - setup.targets[$0]) <= tolerance }.count
        // Baselines still program most cells; how many they miss is the benchmark's figure.
        #expect(Double(within) >= 0.8 * Double(nonStuck), "\(kind.rawValue): \(within) of \(nonStuck) within tolerance")
    }

    @Test("under a V/2 scheme on a passive tile, disturbed converged cells are re-verified and fixed")
    func halfSelectDisturb() throws {
        var setup = try SimulatedProgramming(instrument: "serial-32x32", rows: 16, columns: 16)
        // Disturb alone: the programmer does not subtract the sneak currents its reads see on a
        // passive tile (their half-select fraction comes from a calibration), so the board's
        // periphery is ideal here.
        setup.instrument.periphery = .ideal
        let board = setup.board(seed: 9)
        let settings = setup.settings(scheme: .halfVoltage)
        let journal = RecordingJournal()
        let report = try setup.job(.adaptive, board: board, sim: board, journal: journal, settings: settings).run()[0]
        checkAgainstTruth(report, setup, board, tolerance: settings.toleranceSiemens)
        let fullReads = journal.operations.filter { if case .read(_, nil, _, _, _, _, _) = $0 { return true } else { return false } }
        let batches = journal.operations.filter { if case .pulseBatch = $0 { return true } else { return false } }
        // A full-tile read every 4 batches, plus the initial and final reads.
        #expect(fullReads.count >= batches.count / settings.disturbCheckInterval + 2)
    }

    @Test("a settle pass re-verifies after relaxation and touches up cells that drifted out")
    func settle() throws {
        let setup = try SimulatedProgramming()
        let board = setup.board(seed: 5)
        var settings = setup.settings()
        settings.settleSeconds = 86_400
        let journal = RecordingJournal()
        let report = try setup.job(.adaptive, board: board, sim: board, journal: journal, settings: settings).run()[0]
        #expect(journal.operations.contains(.settle(tile: 0, seconds: 86_400)))
        // After the day-long wait, the last read shows every converged cell within tolerance.
        checkAgainstTruth(report, setup, board, tolerance: settings.toleranceSiemens)
    }
}

/// Keeps every logged operation in memory.
final class RecordingJournal: OperationJournal {
    var operations: [JournalOperation] = []
    func logIntent(_ operation: JournalOperation) throws -> Int {
        operations.append(operation)
        return operations.count - 1
    }
    func logResult(seq: Int, measuredSiemens: [Double], at date: Date) throws {}
}
