import ArgumentParser
import Foundation
import XbarBoard
import XbarInstrument
import XbarJobs
import XbarStore
import XbarWire

struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Trace I–V curves of cells and extract their SET and RESET voltages and on/off ratio.",
        discussion: """
            Each selected cell walks a board-timed voltage staircase (protocol section 8.12): \
            --shape single goes 0 V -> --set-volts -> 0 V, bipolar goes on to -(--reset-volts) \
            and back to 0 V, --cycles repeats it. Every step holds for --step-width under \
            --compliance; the board measures the current at the step and reads the cell at \
            --read-volts after it (--averages reads). Per cell and cycle: the SET voltage (first \
            step raising the read conductance by 10 %), the RESET voltage (first step lowering \
            it by 3 %, a magnitude) and the on/off ratio. Recorded as a run of kind "sweep"; \
            `xbar runs export RUN --out iv.csv` writes every point.

            Examples:
              xbar sweep --board sim --instrument usb-4x64 --tile 0 --cells 0,0;0,1 --shape bipolar --set-volts 1.6 --reset-volts 2.2
              xbar sweep --board serial:/tmp/xbar-board --instrument usb-4x64 --cells row:0 --cycles 3 --step 20mV --json
            """)

    enum Shape: String, ExpressibleByArgument, CaseIterable {
        case single, bipolar
    }

    @OptionGroup var boardOptions: BoardOptions
    @OptionGroup var selection: CellSelection
    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var labels: RunLabelOptions
    @OptionGroup var progress: ProgressOptions

    @Option(help: "single (0 -> SET -> 0) or bipolar (0 -> SET -> 0 -> -RESET -> 0).")
    var shape: Shape = .bipolar

    @Option(help: ArgumentHelp("Top of the positive leg, volts.", valueName: "volts"), transform: QuantityArgument.volts)
    var setVolts: Double = 1.6

    @Option(help: ArgumentHelp("Depth of the negative leg, volts (a magnitude; bipolar only).", valueName: "volts"),
            transform: QuantityArgument.volts)
    var resetVolts: Double = 2.2

    @Option(help: ArgumentHelp("Staircase increment, volts.", valueName: "volts"), transform: QuantityArgument.volts)
    var step: Double = 0.01

    @Option(help: ArgumentHelp("How long each step holds, seconds.", valueName: "seconds"), transform: QuantityArgument.seconds)
    var stepWidth: Double = 10e-6

    @Option(help: ArgumentHelp("Current compliance of every step, amperes.", valueName: "amperes"), transform: QuantityArgument.amperes)
    var compliance: Double = 100e-6

    @Option(help: ArgumentHelp("Read voltage after each step, volts (default: the instrument's read voltage).", valueName: "volts"),
            transform: QuantityArgument.volts)
    var readVolts: Double?

    @Option(help: "Reads averaged after each step.")
    var averages: Int = 16

    @Option(help: "How many times the shape repeats.")
    var cycles: Int = 1

    func validate() throws {
        try boardOptions.simulation.requireInstrument()
        try OptionCheck.require(averages, "--averages", in: 1...Int(UInt16.max))
        try OptionCheck.require(cycles, "--cycles", in: 1...Int(UInt16.max))
        try OptionCheck.requirePositive(step, "--step", atMost: 1, unit: "V")
    }

    func run() throws {
        progress.activate()
        let instrument = try boardOptions.simulation.loadInstrument()
        let (cells, addresses) = try CharacterizationRun.selected(selection, of: instrument)
        let form: IVSweepShape = shape == .single ? .single : .bipolar
        let read = readVolts ?? instrument.defaultReadVolts
        let template = VoltageSweep(mode: .switching, stepWidthSeconds: Float(stepWidth), stepVolts: Float(step),
                                    complianceAmperes: Float(compliance), readVolts: Float(read), readAverages: UInt16(averages),
                                    cycles: UInt16(cycles), verticesVolts: form.vertices(setVolts: setVolts, resetVolts: resetVolts),
                                    cells: cells)
        // The whole sweep is checked against the instrument's limits before the board is opened.
        if let fault = instrument.limits.checkSweep(template) {
            throw ValidationError("the sweep is refused: \(fault)")
        }
        let (board, _) = try boardOptions.openBoard()
        let identity = try board.identify()
        guard identity.capabilities.contains(.voltageSweep) else {
            throw ValidationError("\(board.backendDescription) does not report the voltageSweep capability (IDENTIFY bit 10): it cannot run board-timed sweeps")
        }
        let store = try storeOptions.open()
        let arguments: [String: String] = [
            "tile": String(cells.tile), "cells": selection.cells, "shape": shape.rawValue, "set_volts": String(setVolts),
            "reset_volts": String(resetVolts), "step_volts": String(step), "step_width_seconds": String(stepWidth),
            "compliance_amperes": String(compliance), "read_volts": String(read), "averages": String(averages),
            "cycles": String(cycles),
        ]
        let id = try store.startRun(try RunDraft.started(kind: "sweep", board: board, options: boardOptions, instrument: instrument,
                                                         store: store, arguments: arguments, labels: labels))
        let display = progress.display()
        let interruption = Interruption()
        defer { interruption.stop() }
        var sets: [Double] = [], resets: [Double] = [], ratios: [Double] = []
        var done = 0
        try CharacterizationRun.finish(id, store: store, display: display, interruption: interruption, resume: nil,
                                       progress: { "after \(done) of \(addresses.count) cells" }) {
            display.begin("sweep tile \(cells.tile)", total: addresses.count, unit: "cells")
            try IVSweepJob(board: board, sweepTemplate: template).run(
                tile: cells.tile, cells: addresses, maxPayloadBytes: Int(identity.maxPayloadBytes)) { curves in
                try store.saveIVCurves(run: id, curves.map {
                    IVCurveRecord(tile: Int($0.tile), cell: $0.cell, curve: $0.curve, analysis: $0.analysis)
                })
                for c in curves {
                    let a = c.analysis
                    sets += a.setVolts.compactMap { $0 }
                    resets += a.resetVolts.compactMap { $0 }
                    ratios += a.onOffRatios.filter(\.isFinite)
                    JSONLines.emit("cell", ["tile": Int(c.tile), "row": Int(c.cell.row), "column": Int(c.cell.column),
                                            "setVolts": a.setVolts.map { $0 ?? .nan }, "resetVolts": a.resetVolts.map { $0 ?? .nan },
                                            "onOffRatio": a.onOffRatios, "points": c.curve.points.count])
                }
                done += curves.count
                display.update(done: done)
                if interruption.isRequested { throw JobInterrupted() }
            }
        }
        func median(_ x: [Double]) -> Double { x.isEmpty ? .nan : x.sorted()[x.count / 2] }
        print(String(format: "run %lld: tile %d: %d cells x %d cycles; median SET %.3f V (%d found), median RESET %.3f V (%d found), median on/off %.3g",
                     id, Int(cells.tile), addresses.count, cycles, median(sets), sets.count, median(resets), resets.count, median(ratios)))
        JSONLines.emit("summary", ["run": id, "status": "completed", "tile": Int(cells.tile), "cells": addresses.count,
                                   "cycles": cycles, "medianSetVolts": median(sets), "medianResetVolts": median(resets),
                                   "medianOnOffRatio": median(ratios), "store": store.path])
    }
}
