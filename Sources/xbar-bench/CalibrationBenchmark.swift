import ArgumentParser
import Foundation
import XbarBoard
import XbarDevice
import XbarInstrument
import XbarJobs

/// `xbar-bench calibrate`: how long a calibration takes and how well its model predicts what it
/// did not see, for every shipped instrument, on its simulated board.
struct CalibrationBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate",
        abstract: "Time a full calibration of each shipped instrument's simulated board and print its held-out errors.",
        discussion: """
            For each instrument file: a simulated board (seeded; its per-cell draws hidden from \
            the calibration), the default plan of `xbar calibrate` (64 cells, all STM nodes), \
            then measuring and fitting times (seconds), held-out RMS errors (relative to range), \
            and recovery against the board's drawn parameters: STM time constants per node, \
            step fractions and read noise; on boards of several STM device classes, each \
            class's time constant, spread, ceiling and increment against its nodes' draws; the \
            array periphery's line resistances, half-select fraction, column gain mismatch and \
            zero-input readings against the board's, and its held-out MVM error.

            Example:
              swift run -c release xbar-bench calibrate
            """)

    @Option(name: .customLong("instruments-dir"), help: "Folder of instrument files (default: ./instruments or above the executable).")
    var instrumentsDirectory: String?

    @Option(help: "Seed of the simulated boards.")
    var seed: UInt64 = 11

    func run() throws {
        let catalog = try InstrumentCatalog.locate(explicitDirectory: instrumentsDirectory)
        for name in catalog.names() {
            let instrument = try catalog.resolve(name)
            let board = SimulatedBoard(instrument: instrument, seed: seed)
            let plan = try CalibrationPlan(instrument: instrument)
            let calibrator = Calibrator(instrument: instrument, plan: plan)
            let t0 = Date()
            let measured = try calibrator.measure(on: board)
            let t1 = Date()
            let file = try calibrator.fit(measured, backend: board.backendDescription)
            let t2 = Date()
            print("\(name): \(file.cells.count) cells, \(file.nodes.count) STM nodes")
            print(String(format: "  measure %.2f s, fit %.2f s, total %.2f s (board time %.1f s)",
                         t1.timeIntervalSince(t0), t2.timeIntervalSince(t1), t2.timeIntervalSince(t0),
                         Double(board.boardTimeNanoseconds) * 1e-9))
            print(String(format: "  held-out RMS: pulse-response %.2f %% of range (%d curves), STM traces %.2f %% of range (%d traces)",
                         100 * (file.heldOut.nonVolatileRelativeRMS ?? .nan), file.heldOut.nonVolatileCurves,
                         100 * (file.heldOut.stmRelativeRMS ?? .nan), file.heldOut.stmTraces))
            var tauErrors: [Double] = []
            for node in file.nodes {
                let drawn = board.cellParameters(tile: node.tile, row: Int(node.row), column: Int(node.column)).shortTermMemory!
                tauErrors.append(abs(node.tauSeconds / drawn.tauSeconds - 1))
            }
            tauErrors.sort()
            if !tauErrors.isEmpty {
                print(String(format: "  STM tau per node: median error %.2f %%, 95th percentile %.2f %%, worst %.2f %%",
                             100 * tauErrors[tauErrors.count / 2], 100 * tauErrors[Int(Double(tauErrors.count - 1) * 0.95)], 100 * tauErrors.last!))
            }
            // Each STM device class against the parameters its measured nodes drew.
            for name in instrument.stateTiles.flatMap({ instrument.stmDeviceClasses(tile: $0.index).compactMap { $0 } }) {
                guard let fitted = file.device.shortTermMemoryClasses[name] else { continue }
                let nodes = file.nodes.filter { $0.deviceClass == name }
                let drawn = nodes.map { board.cellParameters(tile: $0.tile, row: Int($0.row), column: Int($0.column)).shortTermMemory! }
                guard !drawn.isEmpty else { continue }
                let tau = SampleMoments(drawn.map(\.tauSeconds))
                let worst = zip(nodes, drawn).map { abs($0.tauSeconds / $1.tauSeconds - 1) }.max() ?? .nan
                let ceiling = SampleMoments(drawn.map(\.ceilingSiemens)), increment = SampleMoments(drawn.map(\.incrementFraction))
                print(String(format: "  class %@: %d nodes, tau %.4g ms vs %.4g ms drawn (%+.2f %%), spread %.1f %% vs %.1f %%, worst node %.2f %%; "
                             + "ceiling %.3g uS (%+.1f %%), increment fraction %.4g (%+.1f %%)",
                             name, nodes.count, 1e3 * fitted.tauSeconds.mean, 1e3 * tau.mean, 100 * (fitted.tauSeconds.mean / tau.mean - 1),
                             100 * fitted.tauSeconds.spread, 100 * tau.relativeSpread, 100 * worst,
                             1e6 * fitted.ceilingSiemens.mean, 100 * (fitted.ceilingSiemens.mean / ceiling.mean - 1),
                             fitted.incrementFraction.mean, 100 * (fitted.incrementFraction.mean / increment.mean - 1)))
            }
            var set: [Double] = [], reset: [Double] = []
            for cell in file.cells where cell.status == "ok" {
                let d = board.cellParameters(tile: cell.tile, row: Int(cell.row), column: Int(cell.column)).nonVolatile!
                set.append(d.setStepFraction)
                reset.append(d.resetStepFraction)
            }
            let drawnSet = SampleMoments(set), drawnReset = SampleMoments(reset)
            let nv = file.device.nonVolatile
            print(String(format: "  step fraction mean: SET %.2f %%, RESET %.2f %% off the sampled cells' drawn mean; read noise %.2f %% off",
                         100 * (nv.setStepFraction.mean / drawnSet.mean - 1), 100 * (nv.resetStepFraction.mean / drawnReset.mean - 1),
                         100 * (nv.readNoiseSpread / instrument.device.nonVolatile.readNoiseSpread - 1)))
            print(String(format: "  step fraction spread: SET %.1f %% vs %.1f %% drawn, RESET %.1f %% vs %.1f %% drawn; overdrive scale %.2f %% off",
                         100 * nv.setStepFraction.spread, 100 * drawnSet.relativeSpread, 100 * nv.resetStepFraction.spread, 100 * drawnReset.relativeSpread,
                         100 * (nv.overdriveScaleVolts / instrument.device.nonVolatile.overdriveScaleVolts - 1)))
            print("  time-constant groups: " + file.timeConstantGroups.map { String(format: "%.4g s x %d", $0.centerSeconds, $0.nodeCount) }.joined(separator: ", "))
            if let p = file.periphery, let r = PeripheryRecovery(file, board: board, instrument: instrument) {
                let truth = board.periphery.parameters
                print(String(format: "  periphery (tile %d): wire %.3f ohm (board %.3f), lines %.1f ohm (board %.1f), half-select %.3f (board %.3f)",
                             p.tile, p.parameters.wireOhmsPerCell, truth.wireOhmsPerCell, p.parameters.lineOhms, truth.lineOhms,
                             p.parameters.halfSelectCurrentFraction, truth.halfSelectCurrentFraction))
                print(String(format: "  periphery columns: gain mismatch %.1f %% off, mean gain %.2f %% off, zero-input readings %.1f %% off; held-out MVM %.2f %% (ideal periphery %.1f %%)",
                             100 * r.gainMismatch, 100 * r.meanGain, 100 * r.zeroInput, 100 * p.heldOutRelativeRMS, 100 * p.heldOutIdealRelativeRMS))
            }
        }
    }
}
