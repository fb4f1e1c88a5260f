import Foundation

/// One pulse of a logged batch: the exact pulse that was (or was about to be) sent.
public struct LedgerPulse: Sendable, Hashable {
    public var row: Int
    public var column: Int
    /// Volts: positive SETs, negative RESETs.
    public var amplitudeVolts: Double
    /// Seconds.
    public var widthSeconds: Double
    /// How the batch's verify read converts this pulse's cell when the batch verifies in sense
    /// ranges; nil for a batch verified at the ADC's read full scale (or not verified).
    public var verify: LedgerVerify?

    public init(row: Int, column: Int, amplitudeVolts: Double, widthSeconds: Double, verify: LedgerVerify? = nil) {
        self.row = row
        self.column = column
        self.amplitudeVolts = amplitudeVolts
        self.widthSeconds = widthSeconds
        self.verify = verify
    }
}

/// The verify read of one pulse of a batch verified in sense ranges.
public struct LedgerVerify: Sendable, Hashable {
    /// An index into the board's sense ranges; nil: the ADC's read full scale.
    public var senseRange: Int?
    /// Reads averaged.
    public var averages: Int

    public init(senseRange: Int?, averages: Int) {
        self.senseRange = senseRange
        self.averages = averages
    }
}

/// A cell of a tile.
public struct CellAddress: Sendable, Hashable, Codable {
    public var row: Int
    public var column: Int
    public init(row: Int, column: Int) {
        self.row = row
        self.column = column
    }
}

/// What one logged operation asks the board (or the clock) to do.
public enum JournalOperation: Sendable, Hashable {
    /// Per-cell pulses on one tile, then an optional verify read of every pulsed cell
    /// (`verifyReadVolts == nil`: no verify read). When the pulses carry ``LedgerPulse/verify``,
    /// each cell is verified in its own sense range with its own averages (`averages` is then
    /// unused) and a saturated verify is logged as `+infinity` siemens, as a ranged read's.
    case pulseBatch(tile: Int, scheme: Int, verifyReadVolts: Double?, averages: Int, pulses: [LedgerPulse])
    /// A read of cells of a tile; `cells == nil` reads the whole `rows x columns` tile, row-major.
    /// `senseRange` is an index into the board's sense ranges (nil: the ADC's read full scale);
    /// a cell a ranged read found saturated is logged as `+infinity` siemens (its current was
    /// beyond the range, by how much is unknown).
    case read(tile: Int, cells: [CellAddress]?, rows: Int, columns: Int, readVolts: Double, averages: Int, senseRange: Int? = nil)
    /// A wait for conductances to relax before a re-verify.
    case settle(tile: Int, seconds: Double)

    public var tile: Int {
        switch self {
        case .pulseBatch(let t, _, _, _, _), .read(let t, _, _, _, _, _, _), .settle(let t, _): return t
        }
    }

    /// The request's name for messages: PULSE_BATCH, READ or SETTLE.
    public var kindName: String {
        switch self {
        case .pulseBatch: return "PULSE_BATCH"
        case .read: return "READ"
        case .settle: return "SETTLE"
        }
    }

    var kind: String {
        switch self {
        case .pulseBatch: return "pulse_batch"
        case .read: return "read"
        case .settle: return "settle"
        }
    }

    /// Reads averaged per cell: a read's, or a batch's verify read's (0 without one or for a wait).
    public var averages: Int {
        switch self {
        case let .pulseBatch(_, _, volts, averages, _): return volts == nil ? 0 : averages
        case let .read(_, _, _, _, _, averages, _): return averages
        case .settle: return 0
        }
    }

    /// Conversions the board makes for the operation: every cell read, once per averaged read.
    public var conversions: Int {
        if case let .pulseBatch(_, _, _, _, pulses) = self, isRangedVerify {
            return pulses.reduce(0) { $0 + ($1.verify?.averages ?? 0) }
        }
        return cells.count * averages
    }

    /// Whether this is a batch whose verify reads convert in sense ranges, pulse by pulse.
    public var isRangedVerify: Bool {
        if case let .pulseBatch(_, _, volts, _, pulses) = self {
            return volts != nil && !pulses.isEmpty && pulses.allSatisfy { $0.verify != nil }
        }
        return false
    }

    /// The cells the operation touches, in result order.
    public var cells: [CellAddress] {
        switch self {
        case .pulseBatch(_, _, _, _, let pulses):
            return pulses.map { CellAddress(row: $0.row, column: $0.column) }
        case let .read(_, cells, rows, columns, _, _, _):
            if let cells { return cells }
            return (0..<rows * columns).map { CellAddress(row: $0 / columns, column: $0 % columns) }
        case .settle:
            return []
        }
    }
}

/// Where a logged operation stands.
public enum OperationState: String, Sendable, Hashable {
    /// Logged, maybe sent, no result recorded: after a crash it may or may not have happened.
    case intent
    /// The result is recorded.
    case done
    /// Found without a result on resume and could not be settled (the board restarted since):
    /// never re-sent; its cells were read again instead.
    case inDoubt = "in_doubt"
    /// Found without a result on resume and settled as never executed by the board (its
    /// request never arrived, or the board refused it): none of its pulses were applied.
    case notApplied = "not_applied"
    /// Found without a result on resume and settled as executed (the board's pulse counter
    /// says so) though its result is lost: its pulses were applied, its cells were read again.
    case applied

    /// Whether the operation's pulses count as applied to the board.
    public var countsAsApplied: Bool { self == .done || self == .applied }
}

/// A logged operation with its result, as read back from the store.
public struct JournalEntry: Sendable, Hashable {
    public var seq: Int
    public var operation: JournalOperation
    public var state: OperationState
    /// Sequence number of the request frame, when the board link has one.
    public var wireSequence: Int?
    /// The board session the request was sent in, when the board reports one.
    public var boardSession: UInt64?
    /// Measured conductances, siemens, in the operation's cell order (verify reads for a
    /// batch); empty without a result.
    public var measuredSiemens: [Double]
    public var intentAt: Date
    public var resultAt: Date?
}

/// Per-cell outcome of a programming run, as stored.
public struct CellOutcomeRecord: Sendable, Hashable {
    public var tile: Int
    public var row: Int
    public var column: Int
    public var targetSiemens: Double
    /// "converged", "stuck" or "out_of_pulses".
    public var outcome: String
    public var pulses: Int
    public var finalSiemens: Double

    public init(tile: Int, row: Int, column: Int, targetSiemens: Double, outcome: String, pulses: Int, finalSiemens: Double) {
        self.tile = tile
        self.row = row
        self.column = column
        self.targetSiemens = targetSiemens
        self.outcome = outcome
        self.pulses = pulses
        self.finalSiemens = finalSiemens
    }
}

/// A board session a run reached: where the board's pulse counter and the run's applied pulses
/// stood when it did.
public struct BoardSessionRecord: Sendable, Hashable {
    /// The board's session id; nil for a board that reports none.
    public var session: UInt64?
    /// The board's pulse counter (STATUS `pulsesApplied`) then.
    public var counterStart: UInt64
    /// Cell-pulses the run's ledger counted as applied then.
    public var ledgerStart: Int
    public var openedAt: Date

    public init(session: UInt64?, counterStart: UInt64, ledgerStart: Int, openedAt: Date) {
        self.session = session
        self.counterStart = counterStart
        self.ledgerStart = ledgerStart
        self.openedAt = openedAt
    }

    /// A session id as stored and shown: 16 hexadecimal digits.
    public static func text(_ session: UInt64) -> String {
        let digits = String(session, radix: 16)
        return String(repeating: "0", count: max(0, 16 - digits.count)) + digits
    }

    /// The session id of stored text; nil when the text is not 1 to 16 hexadecimal digits.
    public static func session(_ text: String) -> UInt64? { UInt64(text, radix: 16) }
}
