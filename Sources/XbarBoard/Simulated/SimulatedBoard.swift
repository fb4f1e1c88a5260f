import XbarDevice
import XbarInstrument
import XbarWire

/// A board made of device models: the software stand-in for a physical board, built from an
/// instrument (geometry, limits, converters, default device parameters) and a seed.
///
/// It answers every protocol operation with the checks and fault codes of a real board
/// (limits through ``XbarWire/ElectricalLimits/check(_:)``, then geometry), advances a
/// board clock by what each operation would take, and applies the physics of
/// ``XbarDevice/NonVolatileTile`` and ``XbarDevice/ShortTermMemoryTile``. The same instrument,
/// parameters, seed and sequence of requests give the same replies bit for bit (with
/// `.virtual` pacing).
///
/// Members marked *simulation only* expose the ground truth (true conductances, stuck
/// cells, drawn parameters) for tests and benchmarks; no real board can offer them.
public final class SimulatedBoard: StoppableBoard {
    /// How board time relates to wall time.
    public enum Pacing: Hashable, Sendable {
        /// Board time advances only by what operations take: deterministic and as fast as
        /// the host can compute.
        case virtual
        /// Board time keeps up with wall time, and replies wait until the wall clock reaches
        /// board time (for the board emulator process); PLAY programs run in the background.
        case realTime
    }

    /// Largest frame payload the simulated board accepts and sends, bytes.
    public static let maxPayloadBytes = 65536
    /// Replies kept for retried requests (by a server exposing this board).
    public static let replyCacheDepth = 32
    /// Most PLAY results one PLAY_FETCH returns: 16 bytes each after a 9-byte header, within
    /// the largest payload.
    public static let maxPlayResultsPerFetch = (maxPayloadBytes - 9) / 16

    public let instrument: Instrument
    /// The device model in use: the instrument's defaults or the override given at creation.
    public let parameters: DeviceParameters
    /// The array periphery in use (the instrument's or the override given at creation), as drawn
    /// for this board: line resistance, column amplifiers, converter non-linearity, sneak currents.
    public let periphery: ArrayPeriphery
    public let seed: UInt64
    public let serialNumber: String
    public let pacing: Pacing
    public let timing: SimulatedTiming

    public var backendDescription: String { "simulated" }

    /// Cell-pulses applied since creation (the board's power-up; RESET keeps it), selected cells
    /// only: what STATUS reports.
    public internal(set) var pulsesApplied: UInt64 = 0
    /// The board's session, drawn at random when it is created (its power-up) and never 0: a
    /// board restored from a saved chip state is a new session all the same, because its reply
    /// cache and pulse counter start afresh.
    public let sessionID: UInt64 = UInt64.random(in: 1...UInt64.max)
    /// Cell-pulses whose SET current compliance limited, since creation. Simulation only.
    public internal(set) var complianceHits: UInt64 = 0
    /// ADC conversions that saturated at full scale, since creation. Simulation only.
    public internal(set) var adcSaturations: UInt64 = 0

    // The board is driven by one thread at a time and never holds two accesses to these, so
    // their exclusivity is not checked at run time (the checks would dominate the pulse loop).
    @exclusivity(unchecked) var clock: BoardClock
    var tiles: [SimulatedTile?]
    /// Cycle-to-cycle noise of pulses.
    @exclusivity(unchecked) var pulseNoise: Xoshiro256StarStar
    /// Read noise of reads and MVMs, kept apart so that reading does not change how pulses land.
    @exclusivity(unchecked) var readNoise: Xoshiro256StarStar
    /// The one program the board holds (a new upload replaces it).
    var program: LoadedProgram?
    /// The started program and its results.
    var run: ProgramRun?
    let readConverter: UnipolarQuantizer
    let mvmConverter: BipolarQuantizer
    let inputConverter: BipolarQuantizer
    /// The instrument's sense ranges, index by index.
    let senseRanges: [SimulatedSenseRange]
    /// Effective conductances of resistive lines per tile, with the tile revision they are of.
    var effectiveConductances: [UInt8: (revision: UInt64, siemens: [Double])] = [:]
    /// Asked before each read of a READ_TRAIN while a caller of
    /// ``perform(_:stopRequested:)`` listens for ABORT.
    var stopCheck: ((_ waitSeconds: Double) -> Bool)?

    /// Creates a board from an instrument.
    ///
    /// STM nodes draw from their row's device class (``Instrument/stmRowDeviceClasses``), or
    /// from the default STM population when their row has none.
    ///
    /// - Parameters:
    ///   - parameters: device parameters overriding the instrument's defaults (a calibration).
    ///     They must hold every STM device class the instrument's rows use
    ///     (``Instrument/stmDeviceClassesMissing(from:)`` is empty; a precondition).
    ///   - periphery: array periphery overriding the instrument's (a calibration, or `.ideal`).
    ///   - seed: seeds every random draw: device-to-device, cycle-to-cycle, read noise.
    ///   - pacing: `.virtual` (default) or `.realTime`.
    ///   - timing: durations of the parts of an operation.
    public init(instrument: Instrument, parameters: DeviceParameters? = nil, periphery: ArrayPeripheryParameters? = nil, seed: UInt64,
                serialNumber: String = "SIM-0001", pacing: Pacing = .virtual, timing: SimulatedTiming = .init()) {
        self.instrument = instrument
        let device = parameters ?? instrument.device
        self.parameters = device
        self.seed = seed
        self.serialNumber = serialNumber
        self.pacing = pacing
        self.timing = timing
        clock = BoardClock(pacing: pacing)
        pulseNoise = Xoshiro256StarStar(seed: SplitMix64.mix(seed ^ 0x9015_E000_0000_0001))
        readNoise = Xoshiro256StarStar(seed: SplitMix64.mix(seed ^ 0x9EAD_0000_0000_0002))
        readConverter = UnipolarQuantizer(bits: Int(instrument.adc.bits),
                                          fullScale: Double(instrument.adc.readFullScaleAmperes))
        mvmConverter = BipolarQuantizer(bits: Int(instrument.adc.bits),
                                        fullScale: Double(instrument.adc.mvmFullScaleAmperes))
        senseRanges = instrument.senseRanges.map { SimulatedSenseRange($0, bits: Int(instrument.adc.bits)) }
        inputConverter = BipolarQuantizer(bits: Int(instrument.dac.bits),
                                          fullScale: Double(instrument.dac.fullScaleVolts))
        self.periphery = ArrayPeriphery(parameters: periphery ?? instrument.periphery,
                                        tiles: instrument.weightTiles.map { ($0.index, Int($0.columns)) },
                                        adcBits: Int(instrument.adc.bits),
                                        mvmFullScaleAmperes: Double(instrument.adc.mvmFullScaleAmperes), seed: seed)
        var tiles = [SimulatedTile?](repeating: nil, count: 256)
        for info in instrument.tiles {
            let index = info.index
            let key = { (r: Int, c: Int) in CellStreams.key(seed: seed, tile: index, row: r, column: c) }
            switch info.kind {
            case .nonVolatile1T1R, .nonVolatilePassive:
                tiles[Int(index)] = .nonVolatile(info, NonVolatileTile(
                    rows: Int(info.rows), columns: Int(info.columns), parameters: device.nonVolatile,
                    isolatesUnselectedCells: info.kind == .nonVolatile1T1R, cellKey: key))
            case .shortTermMemory:
                // Each row draws from its device class (the default population when it has none).
                let rowParameters = (0..<Int(info.rows)).map { row in
                    guard let p = instrument.stmParameters(tile: index, row: row, in: device) else {
                        preconditionFailure("the device model has no STM device class \(instrument.stmDeviceClass(tile: index, row: row) ?? "") for tile \(index) row \(row)")
                    }
                    return p
                }
                tiles[Int(index)] = .shortTermMemory(info, ShortTermMemoryTile(
                    columns: Int(info.columns), rowParameters: rowParameters, cellKey: key))
            }
        }
        self.tiles = tiles
    }

    /// Carries out one request.
    ///
    /// - Throws: `BoardError.fault` with the code a real board would send: `.outOfLimits` naming
    ///   the limit, `.badArgument` for unknown tiles, cells outside a tile, bad masks, MVMs on
    ///   STM tiles or of the wrong length, bad programs; `.busy` while a real-time program runs.
    ///   A refused request changes nothing.
    public func perform(_ request: Request) throws(BoardError) -> Reply {
        do {
            return try carryOut(request)
        } catch let error as BoardError {
            throw error
        } catch {
            // Every check above throws a BoardError; anything else is the board failing, which
            // a real board reports as an internal error.
            throw .fault(BoardFault(code: .internalError, message: "simulated board: \(error)"))
        }
    }

    /// Carries out one request; a READ_TRAIN asks `stopRequested` before each read and ends
    /// with FAULT `aborted` when it returns true (see ``StoppableBoard``).
    public func perform(_ request: Request, stopRequested: (_ waitSeconds: Double) -> Bool) throws(BoardError) -> Reply {
        var result: Result<Reply, BoardError> = .failure(.fault(BoardFault(code: .internalError, message: "not carried out")))
        withoutActuallyEscaping(stopRequested) { stop in
            stopCheck = stop
            defer { stopCheck = nil }
            do throws(BoardError) { result = .success(try perform(request)) } catch { result = .failure(error) }
        }
        return try result.get()
    }

    private func carryOut(_ request: Request) throws -> Reply {
        if pacing == .realTime {
            let wall = clock.wallNanoseconds()
            runProgram(until: wall)
            clock.advance(to: wall)
        }
        if let run, !run.finished {
            switch request {
            case .identify, .identifyWithSenseRanges, .status, .sessionStatus, .playFetch, .abort, .reset: break
            default:
                throw BoardError.fault(BoardFault(code: .busy, message: "program \(run.programID) is running; wait for it or ABORT"))
            }
        }
        // Geometry is checked before the electrical limits (the protocol's order); each
        // operation refuses with `limits` after its geometry checks and before changing anything.
        let limits = instrument.limits.check(request)
        let reply: Reply
        switch request {
        case .identify: reply = .identity(identity)
        case .identifyWithSenseRanges:
            guard !instrument.senseRanges.isEmpty else {
                throw BoardError.fault(BoardFault(code: .badLength, message: "IDENTIFY takes no payload on a board without sense ranges"))
            }
            var id = identity
            id.senseRanges = instrument.senseRanges
            reply = .identity(id)
        case .status: reply = .status(status())
        case .sessionStatus:
            var report = status()
            report.sessionID = sessionID
            reply = .status(report)
        case .read(let r): reply = try read(r, limits: limits)
        case .pulse(let p): reply = try pulse(p, limits: limits)
        case .pulseBatch(let b): reply = try pulseBatch(b, limits: limits)
        case .mvm(let m): reply = try multiply(m, limits: limits)
        case .readTrain(let t): reply = try readTrain(t, limits: limits)
        case .playLoad(let l): reply = try playLoad(l, limits: limits)
        case .playStart(let id): reply = try playStart(id)
        case .playFetch(let f): reply = try playFetch(f)
        case .sweep(let s): reply = try sweep(s, limits: limits)
        case .abort:
            clock.advance(by: timing.requestOverheadSeconds.wholeNanoseconds)
            if run != nil { run!.finished = true }
            reply = .done
        case .reset:
            program = nil
            run = nil
            clock.restart()
            reply = .done
        }
        clock.waitForWall()
        return reply
    }

    /// The IDENTIFY answer: what a board of the instrument's type reports, with every optional
    /// capability, since the simulation implements them all.
    public var identity: BoardIdentity {
        var id = instrument.identity(serialNumber: serialNumber, firmwareVersion: "simulated-1")
        id.capabilities.formUnion([.halfVoltageScheme, .thirdVoltageScheme, .mvm, .mvmPulseWidth,
                                   .readTrain, .play, .pulseBatch, .simultaneousNodeActions, .boardSession,
                                   .voltageSweep])
        return id
    }

    func status() -> BoardStatus {
        clock.advance(by: timing.requestOverheadSeconds.wholeNanoseconds)
        let playing = run.map { !$0.finished } ?? false
        return BoardStatus(state: playing ? .playing : .idle, boardTimeNanoseconds: clock.boardNanoseconds,
                           pulsesApplied: pulsesApplied, programID: run?.programID ?? program?.id ?? 0)
    }
}

/// A tile of the simulated board with its description.
enum SimulatedTile {
    case nonVolatile(TileInfo, NonVolatileTile)
    case shortTermMemory(TileInfo, ShortTermMemoryTile)

    var info: TileInfo {
        switch self {
        case .nonVolatile(let i, _), .shortTermMemory(let i, _): return i
        }
    }
}
