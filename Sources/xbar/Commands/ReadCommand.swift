import ArgumentParser
import Foundation
import XbarBoard
import XbarInstrument
import XbarJobs
import XbarStore

/// `xbar read`: read conductances of a tile or the whole array into a map file.
struct ReadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "read",
        abstract: "Read the conductances (siemens) of a tile or of every weight tile into a .npy or .csv map.",
        discussion: """
            Without --tile every non-volatile tile is read and the maps are stacked vertically in \
            tile order (256x64 for the usb-4x64 board), the layout `xbar program --target` takes. \
            Values are siemens (measured current / read voltage). Each read is logged in the run \
            store as a run of kind "read".

            Examples:
              xbar read --board sim --instrument usb-4x64 --out map.npy
              xbar read --board sim --tile 2 --averages 16 --read-volts 0.3 --out tile2.csv
            """)

    @OptionGroup var boardOptions: BoardOptions
    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var labels: RunLabelOptions

    @Option(help: "Output map: .npy (float64) or .csv, siemens.")
    var out: String

    @Option(help: "Read only this tile.")
    var tile: Int?

    @Option(help: "Reads the board averages per cell (1 up to the instrument's limit).")
    var averages = 1

    @Option(help: "Read voltage, volts (0.2, 200mV). Default: the instrument's read voltage.", transform: QuantityArgument.volts)
    var readVolts: Double?

    @OptionGroup var progress: ProgressOptions

    func validate() throws {
        try boardOptions.simulation.requireInstrument()
        let lower = out.lowercased()
        guard lower.hasSuffix(".npy") || lower.hasSuffix(".csv") else {
            throw ValidationError("--out \(out): name a .npy or .csv file")
        }
        try OptionCheck.require(averages, "--averages", in: 1...Int(UInt16.max))
        try OutputPath.check(out, "--out")
    }

    func run() throws {
        progress.activate()
        // Read voltage, averages and tile are checked against the instrument before the board
        // is opened or a run is created.
        let instrument = try boardOptions.simulation.loadInstrument()
        let volts = readVolts ?? instrument.defaultReadVolts
        try OptionCheck.requireRead(volts: volts, averages: averages, "--read-volts", limits: instrument.limits, instrument: instrument.name)
        let tiles = try ConductanceReader.tiles(tile, of: instrument)
        let (board, _) = try boardOptions.openBoard()
        let store = try storeOptions.open()
        boardOptions.warnOfFreshSimulatedChip(store: store, instrument: instrument)
        let arguments = ["tile": tile.map(String.init) ?? "all", "averages": String(averages), "read_volts": String(volts), "out": out]
        let id = try store.startRun(try RunDraft.started(kind: "read", board: board, options: boardOptions, instrument: instrument,
                                                         store: store, arguments: arguments, labels: labels))
        let reader = ConductanceReader(instrument: instrument,
                                       runner: OperationRunner(board: board, journal: StoreJournal(store: store, runID: id)))
        let display = progress.display()
        let interruption = Interruption()
        defer { interruption.stop() }
        do {
            display.begin("read", total: tiles.count, unit: "tiles")
            let map = try reader.read(tiles: tiles, readVolts: volts, averages: averages,
                                      tileRead: { done in display.update(done: done) }, shouldStop: { interruption.isRequested })
            display.end()
            try map.save(path: out)
            try store.finishRun(id, status: .completed)
            let finite = map.siemens.filter(\.isFinite)
            print(String(format: "run %lld: read %dx%d cells at %.3g V x %d, %.3g...%.3g S, written to %@", id, map.rows, map.columns,
                         volts, averages, finite.min() ?? .nan, finite.max() ?? .nan, out))
            JSONLines.emit("summary", ["run": id, "status": "completed", "out": out, "rows": map.rows, "columns": map.columns,
                                       "readVolts": volts, "averages": averages, "minSiemens": finite.min() ?? .nan,
                                       "maxSiemens": finite.max() ?? .nan, "store": store.path])
        } catch is JobInterrupted {
            display.abandon()
            try store.finishRun(id, status: .interrupted, message: "stopped by \(interruption.signalName) between two tiles")
            FileHandle.standardError.write(Data("run \(id) interrupted between two tiles; \(out) was not written (its reads are in the run: xbar runs export \(id) --out FILE.npy)\n".utf8))
            throw ExitStatus.interrupted
        } catch {
            display.abandon()
            try? store.finishRun(id, status: .failed, message: "\(error)")
            throw error
        }
    }
}
