/// What a frame carries. Requests (host to board) have the high bit clear; replies (board to
/// host) have it set.
public enum Opcode: UInt8, Hashable, Sendable, CaseIterable {
    case identify = 0x01
    case status = 0x02
    case read = 0x03
    case pulse = 0x04
    case pulseBatch = 0x05
    case mvm = 0x06
    case readTrain = 0x07
    case playLoad = 0x08
    case playStart = 0x09
    case playFetch = 0x0A
    case abort = 0x0B
    case reset = 0x0C
    case sweep = 0x0D

    case identity = 0x81
    case statusReport = 0x82
    case currents = 0x83
    case pulsed = 0x84
    case readTrainData = 0x85
    case playLoaded = 0x86
    case playStarted = 0x87
    case playData = 0x88
    case done = 0x89
    case fault = 0x8A
    case sweepData = 0x8B

    /// True for the opcodes a board sends.
    public var isReply: Bool { rawValue & 0x80 != 0 }

    /// The name the protocol specification uses, e.g. `PULSE_BATCH`.
    public var name: String {
        switch self {
        case .identify: return "IDENTIFY"
        case .status: return "STATUS"
        case .read: return "READ"
        case .pulse: return "PULSE"
        case .pulseBatch: return "PULSE_BATCH"
        case .mvm: return "MVM"
        case .readTrain: return "READ_TRAIN"
        case .playLoad: return "PLAY_LOAD"
        case .playStart: return "PLAY_START"
        case .playFetch: return "PLAY_FETCH"
        case .abort: return "ABORT"
        case .reset: return "RESET"
        case .sweep: return "SWEEP"
        case .identity: return "IDENTITY"
        case .statusReport: return "STATUS_REPORT"
        case .currents: return "CURRENTS"
        case .pulsed: return "PULSED"
        case .readTrainData: return "READ_TRAIN_DATA"
        case .playLoaded: return "PLAY_LOADED"
        case .playStarted: return "PLAY_STARTED"
        case .playData: return "PLAY_DATA"
        case .done: return "DONE"
        case .fault: return "FAULT"
        case .sweepData: return "SWEEP_DATA"
        }
    }
}

extension Request {
    /// The opcode of this request's frame.
    public var opcode: Opcode {
        switch self {
        case .identify, .identifyWithSenseRanges: return .identify
        case .status, .sessionStatus: return .status
        case .read: return .read
        case .pulse: return .pulse
        case .pulseBatch: return .pulseBatch
        case .mvm: return .mvm
        case .readTrain: return .readTrain
        case .playLoad: return .playLoad
        case .playStart: return .playStart
        case .playFetch: return .playFetch
        case .abort: return .abort
        case .reset: return .reset
        case .sweep: return .sweep
        }
    }

    /// True for IDENTIFY and STATUS, which change nothing on the board: the board executes
    /// them every time they arrive, never answers them from its reply cache and never caches
    /// their replies.
    public var isReadOnly: Bool {
        switch self {
        case .identify, .identifyWithSenseRanges, .status, .sessionStatus: return true
        default: return false
        }
    }
}

extension Opcode {
    /// True for IDENTIFY and STATUS; see ``Request/isReadOnly``.
    public var isReadOnlyRequest: Bool { self == .identify || self == .status }
}

extension Reply {
    /// The opcode of this reply's frame.
    public var opcode: Opcode {
        switch self {
        case .identity: return .identity
        case .status: return .statusReport
        case .currents: return .currents
        case .pulsed: return .pulsed
        case .readTrain: return .readTrainData
        case .playLoaded: return .playLoaded
        case .playStarted: return .playStarted
        case .playData: return .playData
        case .done: return .done
        case .fault: return .fault
        case .sweep: return .sweepData
        }
    }
}
