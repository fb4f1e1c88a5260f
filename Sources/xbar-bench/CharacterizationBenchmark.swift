import ArgumentParser
import Foundation
import XbarBoard
import XbarInstrument
import XbarJobs
import XbarWire

/// Board time and wire bytes of forming and I–V sweeps of a tile, board-timed (SWEEP, as many
/// cells per request as a reply carries) against host-timed (one PULSE and one READ per point).
struct CharacterizationBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "characterize",
        abstract: "Forming and I–V sweeps of a tile: board time and wire bytes, board-timed SWEEP vs one request per point.",
        discussion: """
            Forms a pristine 64x64 tile (xbar form's defaults) and sweeps it (xbar sweep's \
            defaults: bipolar, 10 mV steps of 10 us, 16 reads per step) on the simulated board \
            through a wire meter, and prints per module: points, board time (the board's clock), \
            round trips and wire bytes, and the link time they cost at 921600 baud (10 bits per \
            byte, plus 1 ms per round trip for a USB-serial adapter's latency timer) and over USB \
            full-speed bulk (1 MB/s of payload, 1 ms per round trip: a request out in one frame, \
            its reply polled in the next). The host-timed column does the same measurement with \
            one PULSE and one READ (one cell, one point) per step, which a host cannot time to \
            the board's microseconds and which cannot form at all beyond limits.max_set_volts.

            Example: swift run -c release xbar-bench characterize
            """)

    @Option(help: "Rows of the tile to measure (64 for the whole tile).")
    var rows: Int = 64

    @Option(help: "Seed of the simulated board.")
    var seed: UInt64 = 1

    @Option(help: "Instrument name or file; its first non-volatile tile is used.")
    var instrument: String = "usb-4x64"

    @Option(help: "Folder of instrument files (default: $XBAR_INSTRUMENTS, ./instruments, or beside the executable).")
    var instrumentsDir: String?

    struct Cost {
        var points = 0
        var boardSeconds = 0.0
        var roundTrips = 0
        var bytes = 0

        func serialSeconds() -> Double { Double(bytes) * 10 / 921_600 + Double(roundTrips) * 1e-3 }
        func usbSeconds() -> Double { Double(bytes) / 1e6 + Double(roundTrips) * 1e-3 }
    }

    func run() throws {
        let instrument = try InstrumentCatalog.resolve(self.instrument, instrumentsDirectory: instrumentsDir)
        guard let tile = instrument.weightTiles.first else { throw ValidationError("\(instrument.name) has no non-volatile tile") }
        let cells = (0..<min(rows, Int(tile.rows))).flatMap { r in
            (0..<Int(tile.columns)).map { CellIndex(row: UInt16(r), column: UInt16($0)) }
        }
        let board = SimulatedBoard(instrument: instrument, seed: seed)
        board.makePristine()
        let meter = WireMeter(board)
        let payload = SimulatedBoard.maxPayloadBytes
        let settings = FormingSettings.defaults(for: instrument)

        // Forming, board-timed.
        var form = Cost()
        var start = board.boardTimeNanoseconds
        try FormingJob(board: meter, instrument: instrument, settings: settings).run(tile: tile.index, cells: cells, maxPayloadBytes: payload) {
            form.points += $0.reduce(0) { $0 + $1.curve.points.count }
        }
        form.boardSeconds = Double(board.boardTimeNanoseconds - start) * 1e-9
        form.roundTrips = meter.roundTrips
        form.bytes = meter.requestBytes + meter.replyBytes

        // I–V sweeps, board-timed, on the formed tile.
        let template = VoltageSweep(mode: .switching, stepWidthSeconds: 10e-6, stepVolts: 0.01, complianceAmperes: 100e-6,
                                    readVolts: Float(instrument.defaultReadVolts), readAverages: 16, cycles: 1,
                                    verticesVolts: IVSweepShape.bipolar.vertices(setVolts: 1.6, resetVolts: 2.2), cells: .tile(tile.index))
        let before = (meter.roundTrips, meter.requestBytes + meter.replyBytes)
        var sweep = Cost()
        start = board.boardTimeNanoseconds
        try IVSweepJob(board: meter, sweepTemplate: template).run(tile: tile.index, cells: cells, maxPayloadBytes: payload) {
            sweep.points += $0.reduce(0) { $0 + $1.curve.points.count }
        }
        sweep.boardSeconds = Double(board.boardTimeNanoseconds - start) * 1e-9
        sweep.roundTrips = meter.roundTrips - before.0
        sweep.bytes = meter.requestBytes + meter.replyBytes - before.1

        print("\(instrument.name) tile \(tile.index): \(cells.count) cells, seed \(seed)")
        print("\n| module | points | mode | round trips | wire bytes | board time | link time at 921600 baud | link time over USB |")
        print("|---|---|---|---|---|---|---|---|")
        for (name, cost, averages) in [("form", form, 1), ("sweep", sweep, 16)] {
            let host = hostTimed(points: cost.points, averages: averages, boardSecondsPerPoint: cost.boardSeconds / Double(max(cost.points, 1)))
            for (mode, c) in [("board-timed SWEEP", cost), ("host-timed PULSE+READ per point", host)] {
                print("| \(name) | \(c.points) | \(mode) | \(c.roundTrips) | \(c.bytes) | "
                      + String(format: "%.3f s | %.1f s | %.1f s |", c.boardSeconds, c.serialSeconds(), c.usbSeconds()))
            }
        }
        print("\nhost-timed forming needs steps above limits.max_set_volts (\(instrument.limits.maxSetVolts) V), which PULSE refuses: its row counts what it would cost, not what a board would allow.")
    }

    /// One PULSE (one cell) and one READ (one cell, `averages`) per point: the frames' bytes by the codec.
    func hostTimed(points: Int, averages: Int, boardSecondsPerPoint: Double) -> Cost {
        let cell = CellSet.cell(tile: 0, CellIndex(row: 1, column: 1))
        let pulse = WireCodec.encode(.pulse(PulseCells(cells: cell, amplitudeVolts: 1.5, widthSeconds: 1e-5, scheme: .grounded)), sequence: 1).count
            + WireCodec.encode(.pulsed(PulseReceipt(boardTimeNanoseconds: 1 << 40, appliedCount: 1, complianceHits: 0, verifyAmperes: [])), sequence: 1).count
        let read = WireCodec.encode(.read(ReadCells(cells: cell, readVolts: 0.2, averages: UInt16(averages))), sequence: 2).count
            + WireCodec.encode(.currents(Currents(boardTimeNanoseconds: 1 << 40, amperes: [1e-5])), sequence: 2).count
        return Cost(points: points, boardSeconds: boardSecondsPerPoint * Double(points), roundTrips: 2 * points, bytes: points * (pulse + read))
    }
}
