/// A reply from a board to the host. Every request gets exactly one reply frame, carrying the
/// request's sequence number.
public enum Reply: Hashable, Sendable {
    /// To IDENTIFY.
    case identity(BoardIdentity)
    /// To STATUS.
    case status(BoardStatus)
    /// To READ and MVM: currents in amperes, in the request's cell or column order
    /// (for MVM: vector after vector, `columns` values each).
    case currents(Currents)
    /// To PULSE and PULSE_BATCH.
    case pulsed(PulseReceipt)
    /// To READ_TRAIN.
    case readTrain(ReadTrainData)
    /// To PLAY_LOAD: how many chunks of the program the board holds now.
    case playLoaded(programID: UInt16, chunksReceived: UInt16)
    /// To PLAY_START.
    case playStarted(PlayStarted)
    /// To PLAY_FETCH.
    case playData(PlayData)
    /// To SWEEP.
    case sweep(SweepData)
    /// To ABORT and RESET.
    case done
    /// The request was not carried out (or, for a compliance trip, stopped part-way).
    case fault(BoardFault)
}

public struct Currents: Hashable, Sendable {
    /// Board clock when the measurement ended, nanoseconds since the board's last reset.
    public var boardTimeNanoseconds: UInt64
    /// Amperes.
    public var amperes: [Float]
    /// Per value, whether its current was beyond the sense range's full scale (it then reads full
    /// scale, of its sign for an MVM). Present only in the reply to a request that chose a sense
    /// range; nil otherwise.
    public var saturated: [Bool]?

    public init(boardTimeNanoseconds: UInt64, amperes: [Float], saturated: [Bool]? = nil) {
        self.boardTimeNanoseconds = boardTimeNanoseconds
        self.saturated = saturated
        self.amperes = amperes
    }
}

public struct PulseReceipt: Hashable, Sendable {
    /// Board clock after the last pulse (and verify read), nanoseconds.
    public var boardTimeNanoseconds: UInt64
    /// Cell-pulses applied.
    public var appliedCount: UInt32
    /// Cell-pulses whose current reached the compliance limit (the board limited them).
    public var complianceHits: UInt32
    /// Verify-read currents in amperes, one per listed pulse, empty without a verify read.
    public var verifyAmperes: [Float]
    /// Per verify current, whether a conversion of it saturated (it then reads its range's full
    /// scale). Present only in the reply to a batch verified in sense ranges; nil otherwise.
    public var verifySaturated: [Bool]?

    public init(boardTimeNanoseconds: UInt64, appliedCount: UInt32, complianceHits: UInt32, verifyAmperes: [Float],
                verifySaturated: [Bool]? = nil) {
        self.boardTimeNanoseconds = boardTimeNanoseconds
        self.appliedCount = appliedCount
        self.complianceHits = complianceHits
        self.verifyAmperes = verifyAmperes
        self.verifySaturated = verifySaturated
    }
}

public struct ReadTrainData: Hashable, Sendable {
    /// Board time of each read, nanoseconds; `readCount` values.
    public var timestampsNanoseconds: [UInt64]
    /// Amperes, read after read: `readCount * cellCount` values.
    public var amperes: [Float]

    public init(timestampsNanoseconds: [UInt64], amperes: [Float]) {
        self.timestampsNanoseconds = timestampsNanoseconds
        self.amperes = amperes
    }
}

public struct PlayStarted: Hashable, Sendable {
    public var programID: UInt16
    public var actionCount: UInt32
    /// Number of read results the program will produce.
    public var resultCount: UInt32
    /// Board time at which the program started, nanoseconds.
    public var startNanoseconds: UInt64
    /// Offset of the last action, nanoseconds.
    public var durationNanoseconds: UInt64

    public init(programID: UInt16, actionCount: UInt32, resultCount: UInt32, startNanoseconds: UInt64, durationNanoseconds: UInt64) {
        self.programID = programID
        self.actionCount = actionCount
        self.resultCount = resultCount
        self.startNanoseconds = startNanoseconds
        self.durationNanoseconds = durationNanoseconds
    }
}

/// The result of one read action of a program.
public struct PlayResult: Hashable, Sendable {
    /// Index of the read action in the program.
    public var actionIndex: UInt32
    /// Board time of the read, nanoseconds.
    public var timestampNanoseconds: UInt64
    public var amperes: Float

    public init(actionIndex: UInt32, timestampNanoseconds: UInt64, amperes: Float) {
        self.actionIndex = actionIndex
        self.timestampNanoseconds = timestampNanoseconds
        self.amperes = amperes
    }
}

public struct PlayData: Hashable, Sendable {
    public var programID: UInt16
    public var firstResult: UInt32
    public var results: [PlayResult]
    /// True when the program has finished and `firstResult + results.count` is its result count.
    public var complete: Bool

    public init(programID: UInt16, firstResult: UInt32, results: [PlayResult], complete: Bool) {
        self.programID = programID
        self.firstResult = firstResult
        self.results = results
        self.complete = complete
    }
}
