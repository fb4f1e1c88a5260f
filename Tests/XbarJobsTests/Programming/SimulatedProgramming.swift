import Foundation
import XbarBoard
import XbarDevice
import XbarInstrument
import XbarJobs
import XbarStore
import XbarTransport
import XbarWire

/// Shared set-up of programming tests: a shipped instrument cut down to one small weight tile
/// (so debug-build tests stay quick), a seeded simulated board, and a random target map.
struct SimulatedProgramming {
    var instrument: Instrument
    var info: TileInfo
    var range: ProgrammableRange
    var targets: [Double]

    /// The repository's instruments folder, found from this file's path.
    static var instrumentsFolder: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("instruments").path
    }

    init(instrument name: String = "usb-4x64", rows: Int = 16, columns: Int = 16, targetSeed: UInt64 = 5) throws {
        var inst = try InstrumentCatalog.resolve(name, instrumentsDirectory: Self.instrumentsFolder)
        let kind = inst.weightTiles[0].kind
        inst.tiles = [TileInfo(index: 0, kind: kind, rows: UInt16(rows), columns: UInt16(columns))]
        instrument = inst
        info = inst.tiles[0]
        range = ProgrammableRange(device: inst.device.nonVolatile)
        var rng = Xoshiro256StarStar(seed: targetSeed)
        let (lo, hi) = (range.lowSiemens, range.highSiemens)
        targets = (0..<rows * columns).map { _ in lo + (hi - lo) * rng.nextOpenUnit() }
    }

    func board(seed: UInt64) -> SimulatedBoard { SimulatedBoard(instrument: instrument, seed: seed) }

    func settings(scheme: BiasScheme? = nil) -> ProgrammingSettings {
        ProgrammingSettings.standard(tolerance: .percentOfRange(1), scheme: scheme ?? instrument.defaultBiasScheme,
                                     device: instrument.device.nonVolatile, limits: instrument.limits,
                                     adcFullScaleAmperes: Double(instrument.adc.readFullScaleAmperes),
                                     maxPayloadBytes: SimulatedBoard.maxPayloadBytes)
    }

    func job(_ algorithm: ProgrammingAlgorithmKind, board: any Board, sim: SimulatedBoard, journal: any OperationJournal = DiscardingJournal(),
             settings: ProgrammingSettings? = nil, store: RunStore? = nil, runID: Int64? = nil) -> ProgrammingJob {
        ProgrammingJob(targets: ProgrammingTargets(tiles: [(info, targets)]), algorithm: algorithm, settings: settings ?? self.settings(),
                       device: instrument.device.nonVolatile, envelope: PulseEnvelope(limits: instrument.limits),
                       runner: OperationRunner(board: board, journal: journal, settle: { sim.advanceTime(seconds: $0) }),
                       store: store, runID: runID)
    }

    func trueConductances(_ board: SimulatedBoard) -> [Double] {
        (0..<info.cellCount).map { board.trueConductance(tile: info.index, row: $0 / Int(info.columns), column: $0 % Int(info.columns)) }
    }

    func stuck(_ board: SimulatedBoard) -> [Bool] {
        (0..<info.cellCount).map { board.isStuck(tile: info.index, row: $0 / Int(info.columns), column: $0 % Int(info.columns)) }
    }
}

/// A board link that dies after a number of requests: the last request reaches the board
/// (its pulses are applied) but its reply is lost, as when the host process is killed between
/// sending a batch and logging its result.
final class DyingLink: Board {
    let inner: any Board
    var remaining: Int
    init(_ inner: any Board, requests: Int) {
        self.inner = inner
        remaining = requests
    }
    var backendDescription: String { inner.backendDescription }
    func perform(_ request: Request) throws(BoardError) -> Reply {
        remaining -= 1
        let reply = try inner.perform(request)
        if remaining <= 0 { throw BoardError.transport(board: inner.backendDescription, operation: "waiting for a reply",
                                                     .disconnected(operation: "read", reason: "link lost after the request was applied", cause: nil)) }
        return reply
    }
}
