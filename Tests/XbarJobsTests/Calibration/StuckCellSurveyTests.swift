import Foundation
import Testing
import XbarBoard
import XbarDevice
import XbarInstrument
@testable import XbarJobs

/// Stuck cells are a fraction of a percent: the sampled cells of the non-volatile part rarely
/// hold one; the periphery tile's whole-tile patterns see every one of them (on 1T1R tiles;
/// a passive tile's patterns are disturbed by half-selection and keep the sampled rates).
@Suite("Stuck cells found by the periphery tile's patterns", .serialized)
struct StuckCellSurveyTests {
    /// A chip of 2 % cells stuck low and 1 % stuck high (the top of the realistic range, so that
    /// a tile holds dozens) and a hidden periphery.
    func chip(_ instrument: Instrument, seed: UInt64) -> SimulatedBoard {
        var device = instrument.device.hiddenDraw(seed: seed)
        device.nonVolatile.stuckAtMinRate = 0.02
        device.nonVolatile.stuckAtMaxRate = 0.01
        let passive = instrument.weightTiles.contains { $0.kind == .nonVolatilePassive }
        return SimulatedBoard(instrument: instrument, parameters: device,
                              periphery: .hiddenDraw(seed: seed ^ 0xA77A, passive: passive), seed: seed)
    }

    @Test("on a 1T1R tile every stuck cell a pattern drove the other way is found, and at most two others",
          arguments: [UInt64(5), 6, 7])
    func findsExactlyTheStuckCells(seed: UInt64) throws {
        let instrument = try Instrument.load(path: instrumentsDirectory + "/usb-4x64.yaml")
        let board = chip(instrument, seed: seed)
        let plan = try #require(try CalibrationPlan(instrument: instrument).periphery)
        let measured = try plan.measure(on: board, instrument: instrument, maxPayloadBytes: Int(try board.identify().maxPayloadBytes))
        let survey = try #require(StuckCellSurvey(measured, plan: plan))
        let n = measured.rows * measured.columns
        let drawn = (0..<n).map { board.cellParameters(tile: plan.tile, row: $0 / measured.columns, column: $0 % measured.columns).nonVolatile!.stuck }
        let drivenHigh = (0..<n).filter { i in plan.patterns.contains { $0[i] } }
        let drivenLow = (0..<n).filter { i in plan.patterns.contains { !$0[i] } }
        #expect(survey.drivenHigh == drivenHigh.count && survey.drivenLow == drivenLow.count)
        // Every stuck cell; besides them at most a cell or two too weak to leave its bound under
        // the preparation's pulses (write-verify gives up on such a cell too).
        let low = Set(drivenHigh.filter { drawn[$0] == .atMin }), high = Set(drivenLow.filter { drawn[$0] == .atMax })
        #expect(low.isSubset(of: Set(survey.stuckLow)) && high.isSubset(of: Set(survey.stuckHigh)))
        #expect(survey.stuckLow.count + survey.stuckHigh.count <= low.count + high.count + 2,
                "\(Set(survey.stuckLow).subtracting(low)), \(Set(survey.stuckHigh).subtracting(high))")
        // Over two thousand cells or more, rates of 2 % and 1 % show with a few tenths of a percent
        // of sampling error (and the tile's own draw is what was counted).
        #expect(abs(survey.atMinRate - 0.02) < 0.4 * 0.02 && abs(survey.atMaxRate - 0.01) < 0.6 * 0.01,
                "\(survey.atMinRate), \(survey.atMaxRate)")
        #expect(!survey.stuckLow.isEmpty && !survey.stuckHigh.isEmpty)
    }

    @Test("the calibration file's stuck rates are the whole tile's, not the sampled cells'")
    func calibrationTakesTheTilesRates() throws {
        let instrument = try Instrument.load(path: instrumentsDirectory + "/usb-4x64.yaml")
        let board = chip(instrument, seed: 9)
        var plan = try CalibrationPlan(instrument: instrument)
        plan.shortTermMemory = []
        let calibrator = Calibrator(instrument: instrument, plan: plan)
        let measured = try calibrator.measure(on: board)
        let file = try calibrator.fit(measured, backend: board.backendDescription)
        let part = try #require(measured.periphery), periphery = try #require(plan.periphery)
        let survey = try #require(StuckCellSurvey(part, plan: periphery))
        #expect(file.device.nonVolatile.stuckAtMinRate == survey.atMinRate)
        #expect(file.device.nonVolatile.stuckAtMaxRate == survey.atMaxRate)
        #expect(file.device.nonVolatile.stuckAtMinRate > 0.01, "the tile sees a 2 % rate: \(file.device.nonVolatile.stuckAtMinRate)")
        // Poisson error of about 80 cells in about 3000: a tenth of the rate or so.
        let sigma = try #require(file.uncertainties["nonVolatile.stuckAtMinRate"])
        #expect(sigma > 0.001 && sigma < 0.005)
    }
}
