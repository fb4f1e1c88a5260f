import ArgumentParser
import Foundation
import XbarBoard
import XbarInstrument
import XbarJobs
import XbarStore
import XbarWire

struct FormCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "form",
        abstract: "Form pristine cells with a ramp under compliance, and record which formed.",
        discussion: """
            A chip fresh from the fab conducts a few nanosiemens until each cell's filament is \
            formed by a voltage above the SET threshold. xbar form ramps the selected cells with \
            board-timed SWEEPs (protocol section 8.12): 0 V up to --max-volts (default the \
            instrument's limits.max_forming_volts) in --step increments of --step-width, under \
            --compliance, each cell stopping at the first step whose read reaches \
            --formed-siemens. One strong RESET pulse then tells formed cells (they reset) from \
            over-formed ones (stuck high). Each cell is reported formed, failed (never reached \
            the threshold) or over-formed, recorded as a run of kind "form" with every ramp.

            xbar program refuses cells whose newest forming result on the board is not formed, \
            naming them (--skip-unformed leaves them out instead).

            Examples:
              xbar sim --instrument usb-4x64 --pty --link /tmp/xbar-board --state chip.state --pristine &
              xbar form --board serial:/tmp/xbar-board --instrument usb-4x64 --tile 0
              xbar form --board sim --pristine --instrument usb-4x64 --tile 1 --cells row:3 --compliance 50uA --json
            """)

    @OptionGroup var boardOptions: BoardOptions
    @OptionGroup var selection: CellSelection
    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var labels: RunLabelOptions
    @OptionGroup var progress: ProgressOptions

    @Option(help: ArgumentHelp("Highest ramp step, volts (default: the instrument's limits.max_forming_volts).", valueName: "volts"),
            transform: QuantityArgument.volts)
    var maxVolts: Double?

    @Option(help: ArgumentHelp("Ramp increment, volts.", valueName: "volts"), transform: QuantityArgument.volts)
    var step: Double = 0.05

    @Option(help: ArgumentHelp("How long each ramp step holds, seconds.", valueName: "seconds"), transform: QuantityArgument.seconds)
    var stepWidth: Double = 1e-6

    @Option(help: ArgumentHelp("Current compliance of the ramp, amperes (default 100uA, or the instrument's limit if lower); it sets the formed conductance, about I/V.", valueName: "amperes"),
            transform: QuantityArgument.amperes)
    var compliance: Double?

    @Option(help: ArgumentHelp("A cell counts as formed once its read reaches this conductance, siemens.", valueName: "siemens"),
            transform: QuantityArgument.siemens)
    var formedSiemens: Double = 10e-6

    @Option(help: ArgumentHelp("Read voltage after each step, volts (default: the instrument's read voltage).", valueName: "volts"),
            transform: QuantityArgument.volts)
    var readVolts: Double?

    func validate() throws {
        try boardOptions.simulation.requireInstrument()
        try OptionCheck.requirePositive(step, "--step", atMost: 1, unit: "V")
        try OptionCheck.requirePositive(formedSiemens, "--formed-siemens", atMost: 1e-3, unit: "S")
    }

    func run() throws {
        progress.activate()
        let instrument = try boardOptions.simulation.loadInstrument()
        var settings = FormingSettings.defaults(for: instrument)
        settings.maxVolts = maxVolts ?? settings.maxVolts
        settings.stepVolts = step
        settings.stepWidthSeconds = stepWidth
        settings.complianceAmperes = compliance ?? settings.complianceAmperes
        settings.readVolts = readVolts ?? settings.readVolts
        settings.formedSiemens = formedSiemens
        let (cells, addresses) = try CharacterizationRun.selected(selection, of: instrument)
        let (board, _) = try boardOptions.openBoard()
        let job = FormingJob(board: board, instrument: instrument, settings: settings)
        // The whole ramp is checked against the instrument's limits before anything is sent.
        if let fault = instrument.limits.checkSweep(job.sweep(tile: cells.tile, cells: [])) {
            throw ValidationError("the forming ramp is refused: \(fault)")
        }
        let identity = try board.identify()
        guard identity.capabilities.contains(.voltageSweep) else {
            throw ValidationError("\(board.backendDescription) does not report the voltageSweep capability (IDENTIFY bit 10): it cannot run board-timed forming ramps")
        }
        let store = try storeOptions.open()
        let arguments: [String: String] = [
            "tile": String(cells.tile), "cells": selection.cells, "max_volts": String(settings.maxVolts),
            "step_volts": String(settings.stepVolts), "step_width_seconds": String(settings.stepWidthSeconds),
            "compliance_amperes": String(settings.complianceAmperes), "read_volts": String(settings.readVolts),
            "formed_siemens": String(settings.formedSiemens),
        ]
        let id = try store.startRun(try RunDraft.started(kind: "form", board: board, options: boardOptions, instrument: instrument,
                                                         store: store, arguments: arguments, labels: labels))
        let display = progress.display()
        let interruption = Interruption()
        defer { interruption.stop() }
        var counts: [FormingOutcome: Int] = [:]
        var done = 0
        try CharacterizationRun.finish(id, store: store, display: display, interruption: interruption, resume: nil,
                                       progress: { "after \(done) of \(addresses.count) cells" }) {
            display.begin("form tile \(cells.tile)", total: addresses.count, unit: "cells")
            try job.run(tile: cells.tile, cells: addresses, maxPayloadBytes: Int(identity.maxPayloadBytes)) { results in
                try store.saveFormingResults(run: id, results.map {
                    FormingResultRecord(tile: Int($0.tile), row: Int($0.cell.row), column: Int($0.cell.column),
                                        outcome: $0.outcome.rawValue, formingVolts: $0.formingVolts,
                                        formedSiemens: $0.formedSiemens, afterResetSiemens: $0.afterResetSiemens)
                })
                try store.saveIVCurves(run: id, results.map { IVCurveRecord(tile: Int($0.tile), cell: $0.cell, curve: $0.curve, analysis: nil) })
                for r in results {
                    counts[r.outcome, default: 0] += 1
                    JSONLines.emit("cell", ["tile": Int(r.tile), "row": Int(r.cell.row), "column": Int(r.cell.column),
                                            "outcome": r.outcome.rawValue, "formingVolts": r.formingVolts ?? .nan,
                                            "formedSiemens": r.formedSiemens, "afterResetSiemens": r.afterResetSiemens])
                }
                done += results.count
                display.update(done: done)
                if interruption.isRequested { throw JobInterrupted() }
            }
        }
        let formed = counts[.formed] ?? 0, failed = counts[.failed] ?? 0, over = counts[.overFormed] ?? 0
        let yield = Double(formed) / Double(max(addresses.count, 1))
        print(String(format: "run %lld: tile %d: %d cells, %d formed (%.1f %%), %d failed, %d over-formed; ramp to %.3g V in %.3g V steps under %.3g A",
                     id, Int(cells.tile), addresses.count, formed, yield * 100, failed, over, settings.maxVolts, settings.stepVolts,
                     settings.complianceAmperes))
        JSONLines.emit("summary", ["run": id, "status": "completed", "tile": Int(cells.tile), "cells": addresses.count,
                                   "formed": formed, "failed": failed, "overFormed": over, "yield": yield, "store": store.path])
    }
}

extension IVCurveRecord {
    /// The record of one cell's swept curve, with what was extracted from it.
    init(tile: Int, cell: CellIndex, curve: SweptCell, analysis: IVAnalysis?) {
        self.init(tile: tile, row: Int(cell.row), column: Int(cell.column),
                  boardTimeNanoseconds: curve.points.map(\.boardTimeNanoseconds),
                  volts: curve.points.map { Double($0.volts) }, amperes: curve.points.map { Double($0.amperes) },
                  readAmperes: curve.points.map { Double($0.readAmperes) },
                  setVolts: analysis?.setVolts.first ?? nil, resetVolts: analysis?.resetVolts.first ?? nil,
                  onOffRatio: analysis?.onOffRatios.first)
    }
}
