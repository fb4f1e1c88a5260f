import ArgumentParser
import Foundation
import XbarBoard
import XbarDevice
import XbarInstrument
import XbarJobs

/// `xbar calibrate`: measure a board's devices, fit their model, write a calibration file.
struct CalibrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate",
        abstract: "Measure a board's devices and fit its device model into a calibration file.",
        discussion: """
            Measures pulse-response curves (SET and RESET at five amplitudes and two widths) on \
            a sample of non-volatile cells spread over the weight tiles, repeated reads for read \
            noise, and board-timed STM read trains after pulse bursts at several amplitudes; then \
            fits per-device parameters (Levenberg-Marquardt, uncertainties from the covariance) and \
            their device-to-device distributions. One amplitude's curves and one repetition of the \
            STM sweep are held out and predicted; their RMS error (relative to the cell's range, or \
            the node's volatile range) is printed and stored. STM time constants are reported per \
            node and in --tau-groups groups (optimal 1-D k-means on log tau).

            Units: volts, seconds, siemens. The file is JSON or YAML by the extension of --out; \
            use it with `--board sim --calibration FILE`.

            Example:
              xbar calibrate --board sim --instrument usb-4x64 --seed 7 --out cal.yaml
            """)

    @OptionGroup var board: BoardOptions

    @Option(help: "Calibration file to write (.json, .yaml or .yml).")
    var out: String

    @Option(help: "Non-volatile cells to measure, spread over the weight tiles.")
    var cells: Int = 64

    @Option(help: "STM nodes to measure (default: all of the first state tile).")
    var nodes: Int?

    @Option(name: .customLong("tau-groups"), help: "Groups to split the STM time constants into.")
    var tauGroups: Int = 4

    @Option(name: .customLong("stm-repetitions"), help: "Repetitions of the STM sweep (one is held out when 3 or more).")
    var stmRepetitions: Int = 3

    @Option(name: .customLong("traces-csv"), help: "Also write the STM traces as CSV to this file.")
    var tracesCSV: String?

    func validate() throws {
        guard cells >= 0 else { throw ValidationError("--cells \(cells): expected 0 or more cells") }
        guard tauGroups >= 1 else { throw ValidationError("--tau-groups \(tauGroups): expected at least 1 group") }
        guard stmRepetitions >= 1 else { throw ValidationError("--stm-repetitions \(stmRepetitions): expected at least 1") }
    }

    func run() throws {
        let (target, instrument) = try board.openBoard()
        let plan: CalibrationPlan
        do {
            plan = try CalibrationPlan(instrument: instrument, sampleCells: cells, stateNodes: nodes,
                                       stmRepetitions: stmRepetitions, timeConstantGroups: tauGroups)
        } catch { throw ValidationError("\(error)") }
        if let nv = plan.nonVolatile {
            print("plan: \(nv.cells.values.reduce(0) { $0 + $1.count }) cells on tiles \(nv.cells.keys.sorted().map(String.init).joined(separator: ",")), "
                  + "\(nv.setConditions.count) conditions x \(nv.pulsesPerCurve) pulses up and down, \(nv.noiseReads) noise reads")
        }
        if let s = plan.shortTermMemory {
            print("plan: \(s.nodes.count) STM nodes on tile \(s.tile), \(s.points.count) sweep points x \(s.repetitions) repetitions, "
                  + "\(s.readCount) reads every \(format(s.intervalSeconds)) s, settle \(format(s.settleSeconds)) s")
        }
        let calibrator = Calibrator(instrument: instrument, plan: plan)
        let started = Date()
        var lastStage = ""
        let (file, measurements) = try calibrator.calibrate(on: target) { stage, done, total in
            // One line per stage and at its end; the curves stage reports per condition.
            if stage.rawValue != lastStage || done == total {
                lastStage = stage.rawValue
                print("  \(stage.rawValue): \(done)/\(total)")
            }
        }
        try file.save(path: out)
        if let tracesCSV {
            try measurements.stmTraces.csv().write(toFile: tracesCSV, atomically: true, encoding: .utf8)
        }
        print(CalibrationReport(file: file).text)
        print("calibrated in \(String(format: "%.1f", Date().timeIntervalSince(started))) s; wrote \(out)")
    }
}

func format(_ x: Double) -> String { String(format: "%.4g", x) }
