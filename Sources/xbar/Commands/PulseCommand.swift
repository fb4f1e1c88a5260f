import ArgumentParser
import Foundation
import XbarBoard
import XbarStore
import XbarWire

struct PulseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pulse",
        abstract: "Apply one pulse to selected cells.",
        discussion: """
            Positive amplitudes SET (raise conductance), negative ones RESET (--volts -1.8). The pulse is checked \
            against the instrument's limits before it is sent and refused, never clamped, when \
            outside them. Units: volts and seconds, with SI prefixes if wanted (--width 1us, --volts -1.8V).

            Every pulse is recorded as a run of kind "pulse": the cell-pulses are logged before the \
            request is sent and completed when the board answers (`xbar runs show RUN`), so a \
            cell's history holds the pulses given by hand too.

            Examples:
              xbar pulse --board sim --instrument usb-4x64 --tile 0 --cells 3:5 --volts 2.0 --width 1e-6
              xbar pulse --board serial:/dev/ttyUSB0 --instrument serial-32x32 --cells row:4 --volts -1.8V --width 500ns --bias-scheme half-voltage
            """)

    @OptionGroup var boardOptions: BoardOptions
    @OptionGroup var selection: CellSelection
    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var labels: RunLabelOptions

    @Option(parsing: .unconditional, help: "Pulse amplitude, volts (negative to RESET): -1.8, 2V, 800mV.",
            transform: QuantityArgument.volts)
    var volts: Double

    @Option(parsing: .unconditional, help: "Pulse width, seconds: 1e-6, 1us, 500ns.", transform: QuantityArgument.seconds)
    var width: Double

    @Option(name: .customLong("bias-scheme"), help: "Bias scheme: grounded, half-voltage or third-voltage (default: the instrument's).")
    var scheme: BiasSchemeArgument?

    func validate() throws {
        try boardOptions.simulation.requireInstrument()
    }

    func run() throws {
        let store = try storeOptions.open()
        let (board, instrument) = try boardOptions.openBoard()
        let bias = scheme?.scheme ?? instrument.defaultBiasScheme
        let cells = try selection.cellSet()
        guard let info = instrument.tile(cells.tile) else {
            throw ValidationError("tile \(cells.tile) is not a tile of \(instrument.name)")
        }
        let addresses = try cells.cells(rows: Int(info.rows), columns: Int(info.columns))
        let id = try store.startRun(try RunDraft.started(
            kind: "pulse", board: board, options: boardOptions, instrument: instrument, store: store,
            arguments: ["tile": String(cells.tile), "cells": selection.cells, "volts": String(volts), "width": String(width),
                        "scheme": String(describing: bias)], labels: labels))
        // The cell-pulses are in the ledger before the request leaves, as for every job.
        let seq = try store.logIntent(run: id, .pulseBatch(
            tile: Int(cells.tile), scheme: Int(bias.rawValue), verifyReadVolts: nil, averages: 1,
            pulses: addresses.map { LedgerPulse(row: Int($0.row), column: Int($0.column), amplitudeVolts: volts, widthSeconds: width) }))
        let receipt: PulseReceipt
        do {
            receipt = try board.pulse(cells, amplitudeVolts: volts, widthSeconds: width, scheme: bias)
        } catch {
            try? store.finishRun(id, status: .failed, message: "\(error)")
            throw error
        }
        try store.logResult(run: id, seq: seq, measuredSiemens: [])
        try store.finishRun(id, status: .completed)
        print("run \(id): applied \(receipt.appliedCount) cell-pulses of \(volts) V, \(width) s on \(board.backendDescription) (board time \(Double(receipt.boardTimeNanoseconds) * 1e-9) s, compliance hits \(receipt.complianceHits))")
    }
}
