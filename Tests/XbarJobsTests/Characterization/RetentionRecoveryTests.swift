import Foundation
import Testing
import XbarBoard
import XbarDevice
import XbarInstrument
import XbarJobs
import XbarStore
import XbarWire

@Suite("retention on the simulated board")
struct RetentionRecoveryTests {
    /// Programs 64 cells of a simulated usb-4x64 (tile cut to 8x8) whose relaxation spread is
    /// `spread` per square-root decade, reads them from 0.1 s to a day at 4 points per decade
    /// (all waits on the board's clock) and fits.
    func measure(spread: Double, seed: UInt64) throws -> (RetentionFit, Instrument) {
        var instrument = try SimulatedProgramming(rows: 8, columns: 8).instrument
        instrument.device.nonVolatile.relaxationSpreadPerDecade = spread
        let board = SimulatedBoard(instrument: instrument, seed: seed)
        var cells: [CellIndex] = []
        for k in 0..<64 where !board.isStuck(tile: 0, row: k / 8, column: k % 8) {
            cells.append(CellIndex(row: UInt16(k / 8), column: UInt16(k % 8)))
        }
        let job = RetentionJob(board: board, tile: 0, cells: cells,
                               schedule: try RetentionSchedule(firstSeconds: 0.1, lastSeconds: 86_400, pointsPerDecade: 4),
                               boardTimedSeconds: 86_400, readVolts: instrument.defaultReadVolts, averages: 64)
        let device = instrument.device.nonVolatile
        let programmed = try job.prepare(try device.midRangePulses(limits: instrument.limits), scheme: BiasScheme.grounded,
                                         maxPulsesPerBatch: ProgrammingSettings.maxPulsesPerBatch(maxPayloadBytes: Int(Instrument.maxPayloadBytes)))
        var series: [CellSeries] = []
        try job.measure(programmedAtBoardNanoseconds: programmed, programmedAt: Date()) { series += $0 }
        let fit = try #require(RetentionFit.fit(series, rangeSiemens: device.gMaxSiemens.mean - device.gMinSiemens.mean))
        return (fit, instrument)
    }

    @Test("retention recovers the drawn relaxation spread within 20 %, at both ends of the realistic range",
          arguments: [(0.005, UInt64(3)), (0.0125, UInt64(4))])
    func recoversSpread(spread: Double, seed: UInt64) throws {
        let (fit, _) = try measure(spread: spread, seed: seed)
        // 64 cells x 20 changes after the first second: a spread estimated from some 1300
        // changes is good to about 3 % (one sigma), read noise and the cells' own range spread
        // (10 %) add a few more; 20 % leaves room for neither to be mistaken for the other.
        #expect(abs(fit.relaxationSpreadPerDecade / spread - 1) < 0.2, "fitted \(fit.relaxationSpreadPerDecade), drawn \(spread)")
        #expect(fit.longestSeconds >= 86_400)
        #expect(fit.cells >= 60)
    }

    @Test("a calibration folded with a retention fit lists relaxation as measured, with the fitted value and its uncertainty")
    func foldsIntoCalibration() throws {
        let (fit, _) = try measure(spread: 0.008, seed: 5)
        let url = URL(fileURLWithPath: SimulatedProgramming.instrumentsFolder).deletingLastPathComponent()
            .appendingPathComponent("examples/usb-4x64-multitau.calibration.json")
        let calibration = try CalibrationFile.load(path: url.path)
        #expect(calibration.notMeasured.contains(CalibrationFile.relaxationPath))
        let folded = calibration.foldingRetention(fit)
        #expect(!folded.notMeasured.contains(CalibrationFile.relaxationPath))
        #expect(folded.device.nonVolatile.relaxationSpreadPerDecade == fit.relaxationSpreadPerDecade)
        let sigma = try #require(folded.uncertainties[CalibrationFile.relaxationPath])
        #expect(sigma > 0 && sigma < 0.1 * fit.relaxationSpreadPerDecade)
    }
}
