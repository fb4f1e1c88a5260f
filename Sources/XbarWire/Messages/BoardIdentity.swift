/// What kind of cells a tile holds.
public enum TileKind: UInt8, Hashable, Sendable, Codable, CaseIterable {
    /// Non-volatile 1T1R cells (an access transistor per cell).
    case nonVolatile1T1R = 0
    /// Non-volatile passive (0T1R) cells: half-selected cells see the bias scheme's fraction.
    case nonVolatilePassive = 1
    /// Short-term-memory (volatile) state nodes.
    case shortTermMemory = 2

    public var isNonVolatile: Bool { self != .shortTermMemory }
}

/// One tile of a board: an array of cells of one kind.
public struct TileInfo: Hashable, Sendable, Codable {
    public var index: UInt8
    public var kind: TileKind
    public var rows: UInt16
    public var columns: UInt16

    public init(index: UInt8, kind: TileKind, rows: UInt16, columns: UInt16) {
        self.index = index
        self.kind = kind
        self.rows = rows
        self.columns = columns
    }

    public var cellCount: Int { Int(rows) * Int(columns) }
}

/// The board's analog-to-digital converter.
public struct ADCInfo: Hashable, Sendable, Codable {
    public var bits: UInt8
    /// Full-scale current of a cell read, amperes.
    public var readFullScaleAmperes: Float
    /// Full-scale current of an MVM column output, amperes.
    public var mvmFullScaleAmperes: Float

    public init(bits: UInt8, readFullScaleAmperes: Float, mvmFullScaleAmperes: Float) {
        self.bits = bits
        self.readFullScaleAmperes = readFullScaleAmperes
        self.mvmFullScaleAmperes = mvmFullScaleAmperes
    }
}

/// The board's digital-to-analog converter for row inputs.
public struct DACInfo: Hashable, Sendable, Codable {
    public var bits: UInt8
    /// Inputs span `-fullScaleVolts...fullScaleVolts`.
    public var fullScaleVolts: Float

    public init(bits: UInt8, fullScaleVolts: Float) {
        self.bits = bits
        self.fullScaleVolts = fullScaleVolts
    }
}

/// Optional operations and schemes a board supports.
public struct Capabilities: OptionSet, Hashable, Sendable {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let halfVoltageScheme = Capabilities(rawValue: 1 << 0)
    public static let thirdVoltageScheme = Capabilities(rawValue: 1 << 1)
    public static let mvm = Capabilities(rawValue: 1 << 2)
    public static let mvmPulseWidth = Capabilities(rawValue: 1 << 3)
    public static let readTrain = Capabilities(rawValue: 1 << 4)
    public static let play = Capabilities(rawValue: 1 << 5)
    public static let pulseBatch = Capabilities(rawValue: 1 << 6)
    /// PLAY actions of one kind at one offset on an STM tile happen at once (pulses on distinct
    /// nodes; reads of one row in one conversion), see the specification's PLAY section.
    public static let simultaneousNodeActions = Capabilities(rawValue: 1 << 7)
    /// The board has a session id, drawn at random when it powers up, and reports it to a
    /// STATUS that asks for it (``Request/sessionStatus``): a host that finds another id than
    /// before knows the board restarted, with its reply cache and pulse counter.
    public static let boardSession = Capabilities(rawValue: 1 << 8)
    /// READ and MVM take a sense range by index (``SenseRange``); the board lists its ranges to
    /// an IDENTIFY that asks for them (``Request/identifyWithSenseRanges``) and flags each
    /// saturated value of a ranged request's CURRENTS.
    public static let senseRanges = Capabilities(rawValue: 1 << 9)
    /// SWEEP: board-timed voltage staircases with a current at every step (I–V curves) and
    /// forming ramps that stop each cell at a read threshold.
    public static let voltageSweep = Capabilities(rawValue: 1 << 10)
    /// PLAY read actions may name a sense range (operation 2 of PLAY_LOAD): the read converts
    /// in that range, and a current beyond it reads the range's full scale.
    public static let rangedPlayReads = Capabilities(rawValue: 1 << 11)
    /// PULSE_BATCH's verify reads may name a sense range and averaging per run of pulses
    /// (``VerifyRead/groups``), and PULSED then flags each saturated verify current.
    public static let rangedVerify = Capabilities(rawValue: 1 << 12)
}

/// The IDENTIFY reply: who the board is and what it can do.
public struct BoardIdentity: Hashable, Sendable {
    /// The protocol version the board speaks (1 for this specification).
    public var protocolVersion: UInt8
    /// Board model, e.g. "xbar-usb-4x64"; matched against the instrument file.
    public var model: String
    public var serialNumber: String
    public var firmwareVersion: String
    public var capabilities: Capabilities
    /// Largest frame payload the board accepts and sends, bytes.
    public var maxPayloadBytes: UInt32
    /// How many recent replies the board keeps for retried requests.
    public var replyCacheDepth: UInt16
    public var adc: ADCInfo
    public var dac: DACInfo
    public var limits: ElectricalLimits
    public var tiles: [TileInfo]
    /// The board's sense ranges, index by index; nil when the IDENTIFY did not ask for them
    /// (a plain IDENTIFY) or the board has none (no ``Capabilities/senseRanges``).
    public var senseRanges: [SenseRange]?

    /// The IDENTIFY payload byte that asks for the sense ranges.
    public static let senseRangesDetail: UInt8 = 1

    public init(protocolVersion: UInt8, model: String, serialNumber: String, firmwareVersion: String,
                capabilities: Capabilities, maxPayloadBytes: UInt32, replyCacheDepth: UInt16,
                adc: ADCInfo, dac: DACInfo, limits: ElectricalLimits, tiles: [TileInfo], senseRanges: [SenseRange]? = nil) {
        self.senseRanges = senseRanges
        self.protocolVersion = protocolVersion
        self.model = model
        self.serialNumber = serialNumber
        self.firmwareVersion = firmwareVersion
        self.capabilities = capabilities
        self.maxPayloadBytes = maxPayloadBytes
        self.replyCacheDepth = replyCacheDepth
        self.adc = adc
        self.dac = dac
        self.limits = limits
        self.tiles = tiles
    }
}

/// What the board is doing.
public enum BoardState: UInt8, Hashable, Sendable, CaseIterable {
    case idle = 0
    case busy = 1
    case playing = 2
    case faulted = 3
}

/// The STATUS reply.
public struct BoardStatus: Hashable, Sendable {
    public var state: BoardState
    /// Nanoseconds since the board's last reset.
    public var boardTimeNanoseconds: UInt64
    /// Cell-pulses applied since power-up (never reset; lets a host check none was repeated).
    public var pulsesApplied: UInt64
    /// The program loaded or running, 0 when none.
    public var programID: UInt16
    /// The sequence number a host must give its next request that goes through the reply
    /// cache: one after the newest cached request, 0 when the cache is empty (after power-up
    /// or RESET). A host that opens a session without RESET starts here.
    public var nextSequence: UInt16
    /// The board's session: a random id drawn when it powers up and kept until it powers down
    /// (RESET keeps it). Nil when the request did not ask for it (plain STATUS) or the board has
    /// no ``Capabilities/boardSession``. Never 0.
    public var sessionID: UInt64?

    /// The STATUS payload byte that asks for the session id.
    public static let sessionReportDetail: UInt8 = 1

    public init(state: BoardState, boardTimeNanoseconds: UInt64, pulsesApplied: UInt64, programID: UInt16,
                nextSequence: UInt16 = 0, sessionID: UInt64? = nil) {
        self.state = state
        self.boardTimeNanoseconds = boardTimeNanoseconds
        self.pulsesApplied = pulsesApplied
        self.programID = programID
        self.nextSequence = nextSequence
        self.sessionID = sessionID
    }
}
