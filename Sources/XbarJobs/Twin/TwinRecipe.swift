import Foundation
import XbarBoard
import XbarDevice
import XbarInstrument
import XbarStore

/// What the digital twin of a chip is built from: the shadow map and stuck cells one
/// programming run recorded, and a device model (see ``DigitalTwin`` for what the twin keeps
/// and what it draws).
public struct TwinRecipe: Sendable {
    /// Where the twin's device model comes from.
    public enum DeviceSource: Sendable, Hashable, CustomStringConvertible {
        /// A calibration file given by the user.
        case file(path: String)
        /// The newest calibration the store holds for the instrument.
        case stored(id: Int64, path: String?)
        /// No calibration: the instrument's defaults, a typical chip rather than this one.
        case instrumentDefaults

        public var description: String {
            switch self {
            case .file(let p): return "calibration \(p)"
            case let .stored(id, p): return "calibration \(id) of the store" + (p.map { " (\($0))" } ?? "")
            case .instrumentDefaults: return "UNCALIBRATED: the instrument's default device model"
            }
        }
    }

    public var instrument: Instrument
    public var device: DeviceParameters
    public var deviceSource: DeviceSource
    /// The programming run whose records the twin holds.
    public var programmingRun: Int64
    public var chipModel: String
    public var chipSerial: String
    public var tiles: [UInt8: DigitalTwin.RecordedTile]
    /// The array periphery the calibration fitted (line resistance, column gains and offsets,
    /// converter bow, sneak fraction); the instrument's when the calibration has none.
    public var periphery: ArrayPeripheryParameters?
    /// Tiles whose conductances are a later read-back of the chip instead of the run's verified
    /// values: the run that read each (see ``load(store:programmingRun:instrument:calibrationPath:fitsResponses:usesReadBacks:)``).
    public var readBackRuns: [UInt8: Int64] = [:]

    public init(instrument: Instrument, device: DeviceParameters, deviceSource: DeviceSource, programmingRun: Int64,
                chipModel: String, chipSerial: String, tiles: [UInt8: DigitalTwin.RecordedTile]) {
        self.instrument = instrument
        self.device = device
        self.deviceSource = deviceSource
        self.programmingRun = programmingRun
        self.chipModel = chipModel
        self.chipSerial = chipSerial
        self.tiles = tiles
    }

    /// What results from the twin are recorded as coming from.
    public var backendDescription: String {
        let reads = Set(readBackRuns.values).sorted()
        let cells = reads.isEmpty ? "" : "; cells as read back in run" + (reads.count > 1 ? "s " : " ") + reads.map(String.init).joined(separator: ", ")
        return "twin of run \(programmingRun) (\(chipModel) \(chipSerial), \(deviceSource)\(cells))"
    }

    /// Builds the twin; `seed` seeds what it draws.
    ///
    /// - Throws: `BoardError.fault` (`.badArgument`) when a recorded tile does not fit the instrument.
    public func build(seed: UInt64) throws(BoardError) -> DigitalTwin {
        try DigitalTwin(instrument: instrument, device: device, periphery: periphery, tiles: tiles, seed: seed, chipSerial: chipSerial,
                        description: backendDescription)
    }

    /// Reads the recipe of the twin of `programmingRun` from `store`.
    ///
    /// The device model: the calibration file at `calibrationPath` when given; else the newest
    /// calibration the store holds for the instrument; else the instrument's defaults, with a
    /// warning saying so in capitals.
    ///
    /// Each cell the run saw respond to pulses switches in the twin as it did on the chip
    /// (``RecordedResponseFit``) unless `fitsResponses` is false; the others draw from the device model.
    ///
    /// Each tile's conductances are the newest read-back of the chip recorded after the run (an
    /// inference's preparation records one; see ``RunStore/readBacks(following:)``) unless
    /// `usesReadBacks` is false, else the run's verified values. Measured (`xbar-bench twin`, a
    /// chip with hidden parameters, spoken-digit S4D float, 300 samples, close calls run again):
    /// the verified values leave a twin agreeing with the chip on 95.7 % of predictions, the
    /// read-back on 97.7 %, where the chip prepared again agrees with itself on 97.3 %: cells
    /// relax after their verify, and a later touch-up is only in the read-back.
    ///
    /// - Returns: the recipe and warnings for people.
    /// - Throws: ``TwinError`` when the run is not a programming run of this instrument with a
    ///   shadow map; ``CalibrationFileError`` when the calibration is unusable; store errors.
    public static func load(store: RunStore, programmingRun: Int64, instrument: Instrument,
                            calibrationPath: String?, fitsResponses: Bool = true,
                            usesReadBacks: Bool = true) throws -> (TwinRecipe, warnings: [String]) {
        let run = try store.run(programmingRun)
        guard run.draft.instrumentName == instrument.name else {
            throw TwinError.otherInstrument(run: programmingRun, recorded: run.draft.instrumentName ?? "none", requested: instrument.name)
        }
        let shadow = try store.shadowMap(run: programmingRun)
        guard !shadow.tiles.isEmpty else { throw TwinError.noShadowMap(run: programmingRun, kind: run.draft.kind) }

        var warnings: [String] = []
        let device: DeviceParameters
        let source: DeviceSource
        var periphery: ArrayPeripheryParameters?
        if let calibrationPath {
            let (parameters, w) = try CalibrationFile.deviceParameters(path: calibrationPath, for: instrument)
            (device, source) = (parameters, .file(path: calibrationPath))
            periphery = try CalibrationFile.load(path: calibrationPath).periphery?.parameters
            warnings += w
        } else if let record = try store.newestCalibration(instrumentName: instrument.name) {
            let name = record.path ?? "calibration-\(record.id).json"
            let file: CalibrationFile
            if let content = try store.calibrationContent(record.id) {
                file = try CalibrationFile.decode(Data(content.utf8), path: name)
            } else {
                file = try CalibrationFile.load(path: name)
            }
            warnings += try file.check(for: instrument, path: name)
            (device, source) = (file.device, .stored(id: record.id, path: record.path))
            periphery = file.periphery?.parameters
        } else {
            (device, source) = (instrument.device, .instrumentDefaults)
            warnings.append("NO CALIBRATION OF \(instrument.name) IN \(store.path) AND NONE GIVEN: the twin of run \(programmingRun) uses the instrument's default device model; its noise and switching are a typical chip's, not this one's (calibrate with `xbar calibrate`, or give --calibration)")
        }

        let nv = device.nonVolatile
        let middle = (nv.gMinSiemens.mean + nv.gMaxSiemens.mean) / 2
        var stuck: [Int: [Int: StuckState]] = [:]
        var bounds: [Int: [Int: RecordedBound]] = [:]
        var untested: [Int: Set<Int>] = [:]
        for o in try store.outcomes(run: programmingRun) {
            guard let tile = shadow.tiles[o.tile] else { continue }
            let i = o.row * tile.columns + o.column
            if o.outcome == CellOutcome.stuck.rawValue {
                // Stuck low when it could not rise to its target and sits low, high when it could
                // not fall and sits high; otherwise it reached its own bound.
                let rising = o.finalSiemens < o.targetSiemens, low = o.finalSiemens < middle
                if rising == low {
                    stuck[o.tile, default: [:]][i] = rising ? .atMin : .atMax
                } else {
                    bounds[o.tile, default: [:]][i] = rising ? .upper : .lower
                }
            } else if o.pulses == 0 {
                // At its target from the start: never seen to respond, so possibly stuck there.
                untested[o.tile, default: []].insert(i)
            }
        }
        let responses = fitsResponses
            ? try RecordedResponseFit.responses(store: store, run: programmingRun,
                                                tiles: shadow.tiles.mapValues { ($0.rows, $0.columns, $0.siemens) },
                                                instrument: instrument, device: nv, periphery: periphery)
            : [:]
        var tiles: [UInt8: DigitalTwin.RecordedTile] = [:]
        for (index, t) in shadow.tiles {
            guard let info = instrument.tile(UInt8(index)), Int(info.rows) == t.rows, Int(info.columns) == t.columns else {
                throw TwinError.geometry(run: programmingRun, tile: index, rows: t.rows, columns: t.columns, instrument: instrument.name)
            }
            let n = t.rows * t.columns
            var states = [StuckState](repeating: .none, count: n)
            for (i, s) in stuck[index] ?? [:] { states[i] = s }
            var sides = [RecordedBound](repeating: .none, count: n)
            for (i, b) in bounds[index] ?? [:] { sides[i] = b }
            let unknown = untested[index] ?? []
            var fitted = responses[index] ?? []
            for (i, side) in bounds[index] ?? [:] where i < fitted.count {
                // Its last pulses towards that bound met the cell's own bound, not its law: the
                // fit of that direction would be far slower than the cell (a new map asking it
                // to move that way would take the whole pulse budget); that direction draws.
                switch side {
                case .lower: fitted[i]?.resetStepFraction = nil
                case .upper: fitted[i]?.setStepFraction = nil
                case .none: break
                }
                if fitted[i]?.setStepFraction == nil && fitted[i]?.resetStepFraction == nil { fitted[i] = nil }
            }
            tiles[UInt8(index)] = DigitalTwin.RecordedTile(siemens: t.siemens, stuck: states,
                                                           untested: (0..<n).map { unknown.contains($0) }, bounds: sides,
                                                           responses: fitted)
        }
        var recipe = TwinRecipe(instrument: instrument, device: device, deviceSource: source, programmingRun: programmingRun,
                                chipModel: run.draft.boardModel ?? instrument.model, chipSerial: run.draft.boardSerial ?? "unknown",
                                tiles: tiles)
        recipe.periphery = periphery
        if usesReadBacks {
            for (index, read) in try store.readBacks(following: programmingRun).sorted(by: { $0.key < $1.key }) {
                guard let t = shadow.tiles[index] else { continue }
                guard read.rows == t.rows && read.columns == t.columns else {
                    warnings.append("run \(read.run) read tile \(index) back as \(read.rows)x\(read.columns), run \(programmingRun) programmed it as \(t.rows)x\(t.columns): the twin keeps the verified values")
                    continue
                }
                recipe.tiles[UInt8(index)]?.siemens = read.siemens
                recipe.readBackRuns[UInt8(index)] = read.run
            }
        }
        return (recipe, warnings)
    }
}

extension TwinRecipe {
    /// Checks that programming run `run` wrote `targets` (siemens, row-major, by tile) into
    /// those tiles: a twin prepared for a weight map must hold that map, not what an earlier
    /// programming of the chip left.
    ///
    /// - Throws: ``TwinError/otherTargets(run:tile:reason:)`` naming the first tile that differs.
    public static func checkTargets(store: RunStore, programmingRun run: Int64, targets: [UInt8: [Double]],
                                    toleranceSiemens: Double = 1e-9) throws {
        let written = try store.targets(run: run)
        for (tile, siemens) in targets.sorted(by: { $0.key < $1.key }) {
            guard let w = written[Int(tile)] else {
                throw TwinError.otherTargets(run: run, tile: Int(tile), reason: "it did not program this tile")
            }
            guard w.siemens.count == siemens.count else {
                throw TwinError.otherTargets(run: run, tile: Int(tile), reason: "it programmed \(w.siemens.count) cells, the map has \(siemens.count)")
            }
            if let i = siemens.indices.first(where: { abs(siemens[$0] - w.siemens[$0]) > toleranceSiemens }) {
                throw TwinError.otherTargets(run: run, tile: Int(tile), reason: "cell \(i) was programmed to \(w.siemens[i]) S, the map wants \(siemens[i]) S")
            }
        }
    }
}

/// Why a twin cannot be built from a run.
public enum TwinError: Error, Hashable, Sendable, CustomStringConvertible {
    case noShadowMap(run: Int64, kind: String)
    case otherInstrument(run: Int64, recorded: String, requested: String)
    case geometry(run: Int64, tile: Int, rows: Int, columns: Int, instrument: String)
    /// No programming run of the chip (or of the instrument) in the store.
    case noProgrammingRun(what: String, store: String)
    /// The run programmed other targets than the weights the twin is asked to hold.
    case otherTargets(run: Int64, tile: Int, reason: String)

    public var description: String {
        switch self {
        case let .noShadowMap(run, kind):
            return "run \(run) (\(kind)) saved no shadow map: a twin needs a programming run (`xbar program`, or `xbar infer --program`)"
        case let .otherInstrument(run, recorded, requested):
            return "run \(run) programmed a \(recorded) board, not \(requested): give the run's instrument or another run"
        case let .geometry(run, tile, rows, columns, instrument):
            return "run \(run) recorded tile \(tile) as \(rows)x\(columns), which instrument \(instrument) does not have"
        case let .noProgrammingRun(what, store):
            return "no programming run of \(what) in \(store): program the chip first (`xbar program`, or `xbar infer --program`)"
        case let .otherTargets(run, tile, reason):
            return "programming run \(run), the chip's newest, did not write these weights on tile \(tile) (\(reason)): its twin would hold other weights; program the model's map (`xbar infer --program`, or `xbar program --target` with `--map-out`)"
        }
    }
}
