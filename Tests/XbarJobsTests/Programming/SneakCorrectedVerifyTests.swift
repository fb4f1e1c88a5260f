import Foundation
import Testing
import XbarBoard
import XbarDevice
import XbarInstrument
import XbarWire
@testable import XbarJobs

/// Write-verify on the passive serial-32x32 array, whose reads under the V/2 scheme carry the
/// sneak current of their column's 31 half-selected cells (its instrument's half-select fraction
/// of 0.1: about three times a typical cell's own current). The board's periphery is the
/// instrument's, taken as the calibration (the periphery calibration recovers the fraction
/// within 0.3 %, `PeripheryRecoveryTests`). Tolerance 5 % of the range: with the sneak current
/// in range the verify read's converter step is about 1 uS, twice a 1 % tolerance.
@Suite("write-verify takes the calibrated sneak current off its verify reads")
struct SneakCorrectedVerifyTests {
    struct Outcome {
        var accepted = 0
        var acceptedOnTarget = 0
        var cells = 0
        var onTarget = 0
    }

    func program(correcting: Bool, seed: UInt64) throws -> Outcome {
        let setup = try SimulatedProgramming(instrument: "serial-32x32", rows: 32, columns: 32, targetSeed: seed)
        let instrument = setup.instrument
        let board = setup.board(seed: seed)
        var settings = ProgrammingSettings.standard(for: instrument, tolerance: .percentOfRange(5), periphery: instrument.periphery)
        #expect(settings.sneakCorrection != nil)
        // The same verify read voltage both ways (the one that leaves room for the sneak
        // current): only the correction differs.
        if !correcting { settings.sneakCorrection = nil }
        let report = try setup.job(.adaptive, board: board, sim: board, settings: settings).run()[0]
        let truth = setup.trueConductances(board)
        var o = Outcome()
        for i in truth.indices {
            let within = abs(truth[i] - setup.targets[i]) <= settings.toleranceSiemens
            o.cells += 1
            if within { o.onTarget += 1 }
            if report.outcomes[i] == .converged {
                o.accepted += 1
                if within { o.acceptedOnTarget += 1 }
            }
        }
        return o
    }

    @Test("without the correction verify accepts cells far off target; with it the cells are within tolerance", arguments: [3, 4] as [UInt64])
    func sneakCorrection(seed: UInt64) throws {
        let raw = try program(correcting: false, seed: seed)
        let corrected = try program(correcting: true, seed: seed)
        print("seed \(seed): uncorrected: \(raw.accepted) accepted, \(raw.acceptedOnTarget) of them within tolerance, \(raw.onTarget) of \(raw.cells) within; corrected: \(corrected.accepted) accepted, \(corrected.acceptedOnTarget) within, \(corrected.onTarget) of \(corrected.cells) within")
        // Uncorrected, verify accepts cells whose reads, sneak current and all, sit on target:
        // their own conductance is far below it.
        #expect(raw.accepted > raw.cells / 10)
        #expect(Double(raw.acceptedOnTarget) < 0.2 * Double(raw.accepted))
        // Corrected, what verify accepts is on target, and so is the tile (less its stuck cells).
        #expect(Double(corrected.acceptedOnTarget) >= 0.95 * Double(corrected.accepted))
        #expect(Double(corrected.onTarget) >= 0.9 * Double(corrected.cells))
    }
}
