import Foundation

/// How a run ended, or that it has not.
public enum RunStatus: String, Sendable, Hashable, Codable, CaseIterable {
    /// Started and not finished: still running, or killed (resumable).
    case running
    case completed
    /// Stopped by an error; resumable.
    case failed
    /// Stopped on request (Ctrl-C, SIGTERM) between two operations; resumable.
    case interrupted
}

/// Who and what a run is about, fixed when it starts.
public struct RunDraft: Sendable, Hashable {
    /// "program", "read", ...
    public var kind: String
    /// Who ran it (the login name).
    public var user: String
    /// Where results come from: "simulated (seed 1)", "serial:/dev/ttyUSB0", ...
    public var backend: String
    public var boardModel: String?
    public var boardSerial: String?
    public var boardFirmware: String?
    public var instrumentName: String?
    public var instrumentVersion: String?
    /// Digest of the instrument file's content, so a changed file is noticed.
    public var instrumentDigest: String?
    public var calibrationID: Int64?
    /// The command's arguments as JSON, enough to resume it.
    public var argumentsJSON: String
    /// The user's note on the run (`--note`).
    public var note: String?
    /// The chip or device under test (`--sample`), e.g. a wafer and die id.
    public var sample: String?

    public init(kind: String, user: String, backend: String, boardModel: String? = nil, boardSerial: String? = nil,
                boardFirmware: String? = nil, instrumentName: String? = nil, instrumentVersion: String? = nil,
                instrumentDigest: String? = nil, calibrationID: Int64? = nil, argumentsJSON: String,
                note: String? = nil, sample: String? = nil) {
        self.kind = kind
        self.user = user
        self.backend = backend
        self.boardModel = boardModel
        self.boardSerial = boardSerial
        self.boardFirmware = boardFirmware
        self.instrumentName = instrumentName
        self.instrumentVersion = instrumentVersion
        self.instrumentDigest = instrumentDigest
        self.calibrationID = calibrationID
        self.argumentsJSON = argumentsJSON
        self.note = note
        self.sample = sample
    }

    /// The login name of whoever runs this process (`$USER`, else the account of the user id).
    public static var currentUser: String {
        if let user = ProcessInfo.processInfo.environment["USER"], !user.isEmpty { return user }
        // Services and containers often run without USER; the account name is still known.
        if let entry = getpwuid(getuid()), let name = entry.pointee.pw_name { return String(cString: name) }
        return "uid \(getuid())"
    }
}

/// A run as stored.
public struct RunRecord: Sendable, Hashable {
    public var id: Int64
    public var draft: RunDraft
    public var startedAt: Date
    public var endedAt: Date?
    public var status: RunStatus
    /// Why it failed, or a note on how it ended.
    public var message: String?
}
