import Foundation
import Testing
import XbarBoard
import XbarDevice
import XbarInstrument
import XbarJobs
import XbarWire

@Suite("Forming and I–V sweeps on the simulated board")
struct FormingJobTests {
    /// The shipped usb-4x64 with one full 64x64 weight tile.
    static func instrument() throws -> Instrument {
        var inst = try InstrumentCatalog.resolve("usb-4x64", instrumentsDirectory: SimulatedProgramming.instrumentsFolder)
        inst.tiles = [TileInfo(index: 0, kind: .nonVolatile1T1R, rows: 64, columns: 64)]
        return inst
    }

    static func allCells(rows: Int, columns: Int) -> [CellIndex] {
        (0..<rows).flatMap { r in (0..<columns).map { CellIndex(row: UInt16(r), column: UInt16($0)) } }
    }

    @Test("forming a pristine 64x64 tile reaches the instrument's forming yield within 2 points, and no step passes the forming limit")
    func formingYield() throws {
        let inst = try Self.instrument()
        let board = SimulatedBoard(instrument: inst, seed: 11)
        board.makePristine()
        let job = FormingJob(board: board, instrument: inst, settings: .defaults(for: inst))
        var results: [FormingResult] = []
        try job.run(tile: 0, cells: Self.allCells(rows: 64, columns: 64), maxPayloadBytes: SimulatedBoard.maxPayloadBytes) {
            results += $0
        }
        #expect(results.count == 4096)
        let formed = Double(results.filter { $0.outcome == .formed }.count) / 4096
        let expected = inst.device.nonVolatile.forming!.expectedYield(of: inst.device.nonVolatile)
        // 1 - 0.015 never/over-formed, times 1 - 0.005 stuck: 98.0 %. The binomial sigma over
        // 4096 cells is 0.2 points, so 2 points is a real bound, not noise.
        #expect(abs(formed - expected) < 0.02, "formed \(formed), expected \(expected)")
        let highest = results.flatMap { $0.curve.points.map(\.volts) }.max() ?? 0
        #expect(highest <= inst.limits.maxFormingVolts!)
        // Every cell the job calls formed is formed on the chip, and every failed one is not.
        for r in results where r.outcome == .failed {
            let draw = board.formingDraw(tile: 0, row: Int(r.cell.row), column: Int(r.cell.column))!
            let stuckLow = board.cellParameters(tile: 0, row: Int(r.cell.row), column: Int(r.cell.column)).nonVolatile!.stuck == .atMin
            #expect(draw.outcome == .neverForms || stuckLow)
        }
        // A formed cell formed at its own forming voltage, within one 50 mV step.
        for r in results where r.outcome == .formed {
            let draw = board.formingDraw(tile: 0, row: Int(r.cell.row), column: Int(r.cell.column))!
            #expect(r.formingVolts! >= draw.formingVolts && r.formingVolts! < draw.formingVolts + 0.0501)
        }
    }

    static func fault(_ body: () throws(BoardError) -> Reply) -> BoardFault? {
        do throws(BoardError) {
            _ = try body()
            return nil
        } catch {
            if case .fault(let f) = error { return f }
            return nil
        }
    }

    @Test("a forming sweep above limits.max_forming_volts is refused naming the limit, and changes nothing")
    func formingLimit() throws {
        let inst = try Self.instrument()
        let board = SimulatedBoard(instrument: inst, seed: 3)
        board.makePristine()
        let sweep = VoltageSweep(mode: .forming, stepWidthSeconds: 1e-6, stepVolts: 0.05, complianceAmperes: 100e-6,
                                 readVolts: 0.2, verticesVolts: [3.6], cells: .cell(tile: 0, CellIndex(row: 0, column: 0)))
        let fault = Self.fault { () throws(BoardError) -> Reply in try board.perform(.sweep(sweep)) }
        #expect(fault?.code == .outOfLimits && fault?.limit == .formingVolts && fault?.limitValue == 3.5)
        #expect(board.pulsesApplied == 0)
        #expect(board.formingState(tile: 0, row: 0, column: 0) == .pristine)
    }

    @Test("a bipolar sweep recovers each cell's drawn SET and RESET thresholds within 10 %")
    func thresholdsRecovered() throws {
        let inst = try Self.instrument()
        let board = SimulatedBoard(instrument: inst, seed: 21)
        let sweep = VoltageSweep(mode: .switching, stepWidthSeconds: 10e-6, stepVolts: 0.01, complianceAmperes: 100e-6,
                                 readVolts: 0.2, readAverages: 16, cycles: 1,
                                 verticesVolts: IVSweepShape.bipolar.vertices(setVolts: 1.6, resetVolts: 2.2),
                                 cells: .tile(0))
        var curves: [IVCurve] = []
        let cells = Self.allCells(rows: 8, columns: 64)
        try IVSweepJob(board: board, sweepTemplate: sweep).run(tile: 0, cells: cells, maxPayloadBytes: SimulatedBoard.maxPayloadBytes) {
            curves += $0
        }
        var setErrors: [Double] = [], resetErrors: [Double] = [], onOff: [Double] = []
        for c in curves {
            let draw = board.cellParameters(tile: 0, row: Int(c.cell.row), column: Int(c.cell.column)).nonVolatile!
            guard draw.stuck == .none else { continue }
            let set = try #require(c.analysis.setVolts[0], "cell \(c.cell) did not SET")
            let reset = try #require(c.analysis.resetVolts[0], "cell \(c.cell) did not RESET")
            setErrors.append(abs(set - draw.setThresholdVolts) / draw.setThresholdVolts)
            resetErrors.append(abs(reset - draw.resetThresholdVolts) / draw.resetThresholdVolts)
            onOff.append(c.analysis.onOffRatios[0])
        }
        #expect(setErrors.count > 500)
        #expect(setErrors.allSatisfy { $0 < 0.1 }, "worst SET error \(setErrors.max() ?? 0)")
        #expect(resetErrors.allSatisfy { $0 < 0.1 }, "worst RESET error \(resetErrors.max() ?? 0)")
        // The window: SET under 100 uA at up to 1.6 V reaches 60 uS or more, RESET at 2.2 V
        // takes most cells near Gmin (1.5 uS).
        let medianOnOff = onOff.sorted()[onOff.count / 2]
        #expect(medianOnOff > 10, "median on/off \(medianOnOff)")
    }

    @Test("a sweep step carries the sinh-law current: 37 % above G·V at 0.7 V, 3 % at the 0.2 V read voltage")
    func nonLinearCurrent() throws {
        let inst = try Self.instrument()
        let board = SimulatedBoard(instrument: inst, seed: 5)
        let g = board.trueConductance(tile: 0, row: 1, column: 1)
        // A single sweep to 0.9 V stays below every SET threshold: the state does not move.
        let sweep = VoltageSweep(mode: .switching, stepWidthSeconds: 1e-6, stepVolts: 0.1, complianceAmperes: 100e-6,
                                 readVolts: 0.2, verticesVolts: [0.7], cells: .cell(tile: 0, CellIndex(row: 1, column: 1)))
        guard case .sweep(let d) = try board.perform(.sweep(sweep)) else { Issue.record("no SWEEP_DATA"); return }
        let points = d.cells[0].points
        let at02 = Double(points[1].amperes) / (g * 0.2), at07 = Double(points[6].amperes) / (g * 0.7)
        // sinh(0.4)/0.4 = 1.027 and sinh(1.4)/1.4 = 1.367 with V0 = 0.5 V; read noise 1.5 %.
        #expect(abs(at02 - 1.027) < 0.06)
        #expect(abs(at07 - 1.367) < 0.08)
    }
}
