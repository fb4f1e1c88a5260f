import ArgumentParser
import Foundation
import XbarBoard
import XbarDevice
import XbarInstrument
import XbarJobs
import XbarStore

/// `xbar calibrate`: measure a board's devices, fit their model, write a calibration file.
struct CalibrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate",
        abstract: "Measure a board's devices and fit its device model into a calibration file.",
        discussion: """
            Measures pulse-response curves (SET and RESET at four amplitudes at the reference \
            width and three near the threshold at a longer width) on a sample of non-volatile \
            cells spread over the weight tiles, repeated reads for read \
            noise, and board-timed STM read trains after pulse bursts at several amplitudes; then \
            fits per-device parameters (Levenberg-Marquardt, uncertainties from the covariance) and \
            their device-to-device distributions. One amplitude's curves and one repetition of the \
            STM sweep are held out and predicted; their RMS error (relative to the cell's range, or \
            the node's volatile range) is printed and stored. STM time constants are reported per \
            node and in --tau-groups groups (optimal 1-D k-means on log tau). On a board whose STM \
            rows are several device classes, each class is measured with read trains timed for its \
            own time constants and fitted as its own population (written under \
            device.shortTermMemoryClasses), and the time constants fall into one group per class.

            Then the array periphery, on one weight tile (--periphery-tile, default the last): \
            EVERY CELL OF THAT TILE IS OVERWRITTEN, driven to its lower or upper bound in two fixed \
            random patterns in turn (rows, then columns, 5-95 % high) with the same strong pulses \
            that prepare the curves (which already leave the sampled cells at their upper bound); \
            the tile is left holding the second pattern. With each pattern every cell is read at \
            the read voltage, a half, a quarter and an eighth of it (sneak currents on passive tiles \
            can take the higher ones out of the converter's range); --periphery-probes MVM probe vectors \
            (dense, signed, sparse, row blocks) are compared with the products those reads \
            predict, and line resistance (per cell pitch and per line), each column's gain and \
            offset, the converters' bow and, on passive tiles, the half-select current fraction \
            of the sneak paths are fitted; one probe in five is held out and predicted. \
            --periphery-probes 0 leaves the tile alone.

            The measurements (STM read trains, pulse-response curves) are stored in a run of kind \
            "calibrate" in the run store, and the written file is registered there with its \
            content digest; the file names its run (`xbar runs show RUN`, \
            `xbar runs export RUN --format csv --out traces.csv`).

            Units: volts, seconds, siemens. The file is JSON or YAML by the extension of --out; \
            use it with `--board sim --calibration FILE`.

            Example:
              xbar calibrate --board sim --instrument usb-4x64 --seed 7 --out cal.yaml
              xbar calibrate --board sim --instrument usb-4x64-multitau --seed 1 --out multitau.json
            """)

    @OptionGroup var board: BoardOptions
    @OptionGroup var storeOptions: StoreOptions

    @Option(help: "Calibration file to write (.json, .yaml or .yml).")
    var out: String

    @Option(help: "Non-volatile cells to measure, spread over the weight tiles.")
    var cells: Int = 64

    @Option(help: "STM nodes to measure (default: all of the first state tile).")
    var nodes: Int?

    @Option(name: .customLong("tau-groups"), help: "Groups to split the STM time constants into (default: the number of STM device classes when the state tile has several, else 4).")
    var tauGroups: Int?

    @Option(name: .customLong("stm-repetitions"), help: "Repetitions of the STM sweep (one is held out when 3 or more).")
    var stmRepetitions: Int = 3

    @Option(name: .customLong("periphery-tile"), help: "Weight tile the array periphery is measured on (default: the last); all its cells are overwritten.")
    var peripheryTile: UInt8?

    @Option(name: .customLong("periphery-probes"), help: "MVM probe vectors per pattern of the periphery measurement (default 65536 column currents' worth, 1024 on 64 columns; 0: do not measure the periphery, leave the tile alone).")
    var peripheryProbes: Int?

    @Option(name: .customLong("traces-csv"), help: "Also write the STM traces as CSV to this file.")
    var tracesCSV: String?

    func validate() throws {
        try board.simulation.requireInstrument()
        guard cells >= 0 else { throw ValidationError("--cells \(cells): expected 0 or more cells") }
        if let tauGroups, tauGroups < 1 { throw ValidationError("--tau-groups \(tauGroups): expected at least 1 group") }
        guard stmRepetitions >= 1 else { throw ValidationError("--stm-repetitions \(stmRepetitions): expected at least 1") }
        if let peripheryProbes, peripheryProbes != 0 && peripheryProbes < 20 {
            throw ValidationError("--periphery-probes \(peripheryProbes): expected 0 (no periphery measurement) or at least 20 probes")
        }
    }

    func run() throws {
        let (target, instrument) = try board.openBoard()
        let store = try storeOptions.open()
        let plan: CalibrationPlan
        do {
            plan = try CalibrationPlan(instrument: instrument, sampleCells: cells, stateNodes: nodes,
                                       stmRepetitions: stmRepetitions, timeConstantGroups: tauGroups,
                                       peripheryTile: peripheryTile, peripheryProbes: peripheryProbes)
        } catch { throw ValidationError("\(error)") }
        if let nv = plan.nonVolatile {
            print("plan: \(nv.cells.values.reduce(0) { $0 + $1.count }) cells on tiles \(nv.cells.keys.sorted().map(String.init).joined(separator: ",")), "
                  + "\(nv.setConditions.count) SET and \(nv.resetConditions.count) RESET conditions x \(nv.pulsesPerCurve) pulses, "
                  + "\(nv.preparePulses) preparation pulses before each, \(nv.noiseReads) noise reads")
        }
        for part in plan.shortTermMemory {
            let s = part.sweep
            print("plan: \(s.nodes.count) STM nodes\(part.deviceClass.map { " of device class \($0)" } ?? "") on tile \(s.tile), "
                  + "\(s.points.count) sweep points x \(s.repetitions) repetitions, "
                  + "\(s.readCount) reads every \(format(s.intervalSeconds)) s, settle \(format(s.settleSeconds)) s")
        }
        if let p = plan.periphery {
            print("plan: array periphery on tile \(p.tile) (every cell overwritten, \(p.patterns.count) patterns of cells at their bounds), "
                  + "reads at \(p.readVoltages.map { format($0) }.joined(separator: ", ")) V, "
                  + "\(p.probeVectors) MVM probes per pattern, one in \(p.heldOutEvery) held out")
        }
        let id = try store.startRun(try RunDraft.started(kind: "calibrate", board: target, options: board, instrument: instrument,
                                                         store: store, arguments: [
                                                             "out": out, "cells": String(cells), "nodes": nodes.map(String.init) ?? "all",
                                                             "tau_groups": String(plan.timeConstantGroups), "stm_repetitions": String(stmRepetitions),
                                                             "periphery_tile": plan.periphery.map { String($0.tile) } ?? "none",
                                                             "periphery_probes": plan.periphery.map { String($0.probeVectors) } ?? "0"]))
        print("run \(id): calibrating, store \(store.path)")
        let calibrator = Calibrator(instrument: instrument, plan: plan)
        let started = Date()
        var lastStage = ""
        do {
            let (file, measurements) = try calibrator.calibrate(on: target, recorder: StoreCalibrationRecorder(store: store, runID: id),
                                                                runID: String(id)) { stage, done, total in
                // One line per stage and at its end; the curves stage reports per condition.
                if stage.rawValue != lastStage || done == total {
                    lastStage = stage.rawValue
                    print("  \(stage.rawValue): \(done)/\(total)")
                }
            }
            try file.save(path: out)
            let calibrationID = try store.registerCalibrationFile(path: out, runID: id)
            if let tracesCSV {
                try measurements.stmTraces.csv().write(toFile: tracesCSV, atomically: true, encoding: .utf8)
            }
            try store.finishRun(id, status: .completed)
            print(CalibrationReport(file: file).text)
            print("calibrated in \(String(format: "%.1f", Date().timeIntervalSince(started))) s; wrote \(out), "
                  + "registered as calibration \(calibrationID) of run \(id)")
        } catch {
            try? store.finishRun(id, status: .failed, message: "\(error)")
            throw error
        }
    }
}

func format(_ x: Double) -> String { String(format: "%.4g", x) }
