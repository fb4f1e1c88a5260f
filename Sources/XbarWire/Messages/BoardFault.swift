/// Why a board did not carry out a request. Sent as the FAULT reply.
public enum FaultCode: UInt8, Hashable, Sendable, CaseIterable {
    /// The frame's CRC did not match.
    case badCRC = 1
    /// The payload length does not match the header, or a field overruns the payload.
    case badLength = 2
    /// The opcode is not one the board knows.
    case unknownOpcode = 3
    /// A field is outside the board's electrical limits; `limit` names which.
    case outOfLimits = 4
    /// The compliance current was reached and the operation was stopped.
    case complianceTrip = 5
    /// The board is running a program or read train; try again after it ends or ABORT.
    case busy = 6
    /// The board knows the operation but does not implement it (see IDENTIFY capabilities).
    case unsupported = 7
    /// A field is malformed or inconsistent (unknown tile, cell outside the tile, bad program).
    case badArgument = 8
    /// The frame's protocol version is not one the board speaks.
    case badVersion = 9
    /// The sequence number is behind the newest and not cached (older than the window, or sent
    /// before a RESET): the request was not executed.
    case staleSequence = 10
    /// The operation was stopped by ABORT.
    case aborted = 11
    /// The board failed internally.
    case internalError = 12
}

/// The electrical limit a request broke.
public enum LimitID: UInt8, Hashable, Sendable, CaseIterable, Codable {
    case none = 0
    case setVolts = 1
    case resetVolts = 2
    case readVolts = 3
    case minPulseWidth = 4
    case maxPulseWidth = 5
    case pulseEnergy = 6
    case complianceCurrent = 7
    case mvmVolts = 8
    case readAverages = 9
    case readTrainLength = 10
    case programLength = 11
    /// A SWEEP in forming mode above the forming limit.
    case formingVolts = 12

    /// The key of the limit in an instrument file.
    public var instrumentKey: String {
        switch self {
        case .none: return "none"
        case .setVolts: return "limits.max_set_volts"
        case .resetVolts: return "limits.max_reset_volts"
        case .readVolts: return "limits.max_read_volts"
        case .minPulseWidth: return "limits.min_pulse_width_seconds"
        case .maxPulseWidth: return "limits.max_pulse_width_seconds"
        case .pulseEnergy: return "limits.max_pulse_energy_joules"
        case .complianceCurrent: return "limits.compliance_amperes"
        case .mvmVolts: return "limits.max_mvm_volts"
        case .readAverages: return "limits.max_read_averages"
        case .readTrainLength: return "limits.max_read_train_length"
        case .programLength: return "limits.max_program_actions"
        case .formingVolts: return "limits.max_forming_volts"
        }
    }
}

/// The FAULT reply: a code, the limit concerned (for `.outOfLimits`), the offending value and
/// the limit's value (in the limit's SI unit), and a message for people.
public struct BoardFault: Error, Hashable, Sendable, CustomStringConvertible {
    public var code: FaultCode
    public var limit: LimitID
    public var value: Float
    public var limitValue: Float
    public var message: String

    public init(code: FaultCode, limit: LimitID = .none, value: Float = 0, limitValue: Float = 0, message: String) {
        self.code = code
        self.limit = limit
        self.value = value
        self.limitValue = limitValue
        self.message = message
    }

    public var description: String {
        if code == .outOfLimits {
            return "refused: \(message) (\(limit.instrumentKey) is \(limitValue), requested \(value))"
        }
        return "\(code): \(message)"
    }
}
