/// A request from a host to a board. One request is one frame on the wire.
///
/// Physical quantities are IEEE-754 single precision in SI units (volts, seconds);
/// board times are integer nanoseconds.
public enum Request: Hashable, Sendable {
    /// Asks for the board's identity, geometry, limits and capabilities.
    case identify
    /// IDENTIFY asking also for the board's sense ranges (a payload of one byte, 1): only to a
    /// board whose IDENTIFY reports ``Capabilities/senseRanges``. The reply is an IDENTITY whose
    /// ``BoardIdentity/senseRanges`` is set.
    case identifyWithSenseRanges
    /// Asks for the board's state and clock.
    case status
    /// STATUS asking also for the board's session id (a payload of one byte, 1): only to a board
    /// whose IDENTIFY reports ``Capabilities/boardSession``. The reply is a STATUS_REPORT whose
    /// ``BoardStatus/sessionID`` is set.
    case sessionStatus
    /// Reads the conductance of cells with a small read pulse.
    case read(ReadCells)
    /// Applies one pulse, the same to every selected cell.
    case pulse(PulseCells)
    /// Applies a list of per-cell pulses in order, then optionally reads every pulsed cell.
    case pulseBatch(PulseBatch)
    /// Multiplies input vectors by a tile's conductance matrix.
    case mvm(MatrixVectorProduct)
    /// An optional pulse, then a board-timed train of reads.
    case readTrain(ReadTrain)
    /// Uploads one chunk of a timed program.
    case playLoad(PlayLoad)
    /// Starts a loaded program.
    case playStart(programID: UInt16)
    /// Fetches results of a running or finished program.
    case playFetch(PlayFetch)
    /// Stops a running program or read train.
    case abort
    /// A board-timed voltage staircase with a current at every step: I–V curves, or forming
    /// by a ramp that stops at a read threshold. Only to a board whose IDENTIFY reports
    /// ``Capabilities/voltageSweep``.
    case sweep(VoltageSweep)
    /// Returns the board to its idle state: clears programs and the reply cache, restarts its clock.
    /// Non-volatile conductances are not changed.
    case reset
}

public struct ReadCells: Hashable, Sendable {
    public var cells: CellSet
    /// Read pulse amplitude, volts; positive, at most the read voltage limit.
    public var readVolts: Float
    /// How many reads the board averages per cell, at least 1.
    public var averages: UInt16
    /// The sense range to convert in, an index into the board's ``BoardIdentity/senseRanges``;
    /// nil converts at the ADC's read full scale, without saturation flags.
    public var senseRange: UInt8?

    public init(cells: CellSet, readVolts: Float, averages: UInt16 = 1, senseRange: UInt8? = nil) {
        self.cells = cells
        self.senseRange = senseRange
        self.readVolts = readVolts
        self.averages = averages
    }
}

public struct PulseCells: Hashable, Sendable {
    public var cells: CellSet
    /// Pulse amplitude, volts: positive SETs (raises conductance), negative RESETs.
    public var amplitudeVolts: Float
    /// Pulse width, seconds.
    public var widthSeconds: Float
    public var scheme: BiasScheme

    public init(cells: CellSet, amplitudeVolts: Float, widthSeconds: Float, scheme: BiasScheme) {
        self.cells = cells
        self.amplitudeVolts = amplitudeVolts
        self.widthSeconds = widthSeconds
        self.scheme = scheme
    }
}

/// One pulse of a batch.
public struct CellPulse: Hashable, Sendable {
    public var cell: CellIndex
    /// Volts: positive SETs, negative RESETs.
    public var amplitudeVolts: Float
    /// Seconds.
    public var widthSeconds: Float

    public init(cell: CellIndex, amplitudeVolts: Float, widthSeconds: Float) {
        self.cell = cell
        self.amplitudeVolts = amplitudeVolts
        self.widthSeconds = widthSeconds
    }
}

/// The verify read that may follow a pulse batch.
public struct VerifyRead: Hashable, Sendable {
    /// Volts, positive.
    public var readVolts: Float
    /// Reads averaged per pulsed cell at the ADC's read full scale; 0 when ``groups`` name the
    /// averages instead.
    public var averages: UInt16
    /// Verify reads in sense ranges (only to a board whose IDENTIFY reports
    /// ``Capabilities/rangedVerify``): runs of consecutive pulses, each run's cells converted in
    /// its own range with its own averages and flagged when saturated. nil: every cell at the
    /// ADC's read full scale, `averages` times, without flags.
    public var groups: [VerifyGroup]?

    public init(readVolts: Float, averages: UInt16 = 1) {
        self.readVolts = readVolts
        self.averages = averages
        self.groups = nil
    }

    /// A verify in sense ranges: `groups` cover the batch's pulses in list order.
    public init(readVolts: Float, groups: [VerifyGroup]) {
        self.readVolts = readVolts
        self.averages = 0
        self.groups = groups
    }
}

/// The verify reads of a run of consecutive pulses of a batch: one sense range, one averaging.
public struct VerifyGroup: Hashable, Sendable {
    /// On the wire, the range index that names the ADC's read full scale.
    public static let readFullScaleIndex: UInt8 = 0xFF

    /// Pulses in the run, at least 1.
    public var pulseCount: UInt16
    /// An index into the board's ``BoardIdentity/senseRanges``; nil converts at the ADC's read
    /// full scale (flagged all the same).
    public var senseRange: UInt8?
    /// Reads averaged per cell of the run, 1 to the board's maximum.
    public var averages: UInt16

    public init(pulseCount: UInt16, senseRange: UInt8?, averages: UInt16) {
        self.pulseCount = pulseCount
        self.senseRange = senseRange
        self.averages = averages
    }
}

/// Per-cell pulses on one tile, applied in order; with `verify`, every listed cell is then
/// read once more (in list order) and the currents come back in the receipt.
/// This is what lets write-verify carry a whole array's pulses in one round trip.
public struct PulseBatch: Hashable, Sendable {
    public var tile: UInt8
    public var scheme: BiasScheme
    public var verify: VerifyRead?
    public var pulses: [CellPulse]

    public init(tile: UInt8, scheme: BiasScheme, verify: VerifyRead?, pulses: [CellPulse]) {
        self.tile = tile
        self.scheme = scheme
        self.verify = verify
        self.pulses = pulses
    }
}

/// How MVM inputs are applied to the rows.
public enum InputEncoding: UInt8, Hashable, Sendable, CaseIterable {
    /// Each input is a row voltage in volts, applied for the read window.
    case voltage = 0
    /// Each input is a pulse width in seconds at the read voltage; outputs are the mean
    /// column current over the longest width of the vector.
    case pulseWidth = 1
}

public struct MatrixVectorProduct: Hashable, Sendable {
    public var tile: UInt8
    public var encoding: InputEncoding
    /// Read amplitude in volts for `.pulseWidth`; ignored (zero) for `.voltage`.
    public var readVolts: Float
    /// Number of inputs per vector; must equal the tile's row count.
    public var inputLength: UInt16
    /// `vectorCount * inputLength` values, vector after vector.
    public var inputs: [Float]
    /// The sense range the column currents are converted in, an index into the board's
    /// ``BoardIdentity/senseRanges``; nil converts at the ADC's MVM full scale, without
    /// saturation flags.
    public var senseRange: UInt8?

    public init(tile: UInt8, encoding: InputEncoding, readVolts: Float, inputLength: UInt16, inputs: [Float],
                senseRange: UInt8? = nil) {
        self.tile = tile
        self.senseRange = senseRange
        self.encoding = encoding
        self.readVolts = readVolts
        self.inputLength = inputLength
        self.inputs = inputs
    }

    public var vectorCount: Int { inputLength == 0 ? 0 : inputs.count / Int(inputLength) }
}

/// A pulse before a read train.
public struct TrainPulse: Hashable, Sendable {
    /// Volts: positive potentiates.
    public var amplitudeVolts: Float
    /// Seconds.
    public var widthSeconds: Float

    public init(amplitudeVolts: Float, widthSeconds: Float) {
        self.amplitudeVolts = amplitudeVolts
        self.widthSeconds = widthSeconds
    }
}

/// An optional pulse on every selected cell, then `readCount` reads of all of them, the first
/// `intervalSeconds` after the end of the pulse (or after the start without one) and each next
/// one `intervalSeconds` later, timed by the board's clock.
public struct ReadTrain: Hashable, Sendable {
    public var cells: CellSet
    public var pulse: TrainPulse?
    public var readVolts: Float
    public var readCount: UInt16
    public var intervalSeconds: Float

    public init(cells: CellSet, pulse: TrainPulse?, readVolts: Float, readCount: UInt16, intervalSeconds: Float) {
        self.cells = cells
        self.pulse = pulse
        self.readVolts = readVolts
        self.readCount = readCount
        self.intervalSeconds = intervalSeconds
    }
}

/// What one step of a timed program does.
public enum PlayOperation: Hashable, Sendable {
    /// A pulse: volts (positive potentiates), seconds.
    case pulse(amplitudeVolts: Float, widthSeconds: Float)
    /// A read at the given voltage; produces one result. With `senseRange` (an index into the
    /// board's ``BoardIdentity/senseRanges``; only to a board with
    /// ``Capabilities/rangedPlayReads``) the read converts in that range; nil converts at the
    /// ADC's read full scale.
    case read(readVolts: Float, senseRange: UInt8? = nil)
}

/// One step of a timed program: what to do to which cell, when.
public struct PlayAction: Hashable, Sendable {
    /// Nanoseconds after the program starts; non-decreasing along the program.
    public var offsetNanoseconds: UInt64
    public var tile: UInt8
    public var cell: CellIndex
    public var operation: PlayOperation

    public init(offsetNanoseconds: UInt64, tile: UInt8, cell: CellIndex, operation: PlayOperation) {
        self.offsetNanoseconds = offsetNanoseconds
        self.tile = tile
        self.cell = cell
        self.operation = operation
    }
}

/// One chunk of a program upload. Chunks of one program arrive in order, from 0 to `chunkCount - 1`.
public struct PlayLoad: Hashable, Sendable {
    public var programID: UInt16
    public var chunkIndex: UInt16
    public var chunkCount: UInt16
    public var actions: [PlayAction]

    public init(programID: UInt16, chunkIndex: UInt16, chunkCount: UInt16, actions: [PlayAction]) {
        self.programID = programID
        self.chunkIndex = chunkIndex
        self.chunkCount = chunkCount
        self.actions = actions
    }
}

public struct PlayFetch: Hashable, Sendable {
    public var programID: UInt16
    /// Index of the first result wanted (results are numbered in program order of the reads).
    public var firstResult: UInt32
    public var maxResults: UInt16

    public init(programID: UInt16, firstResult: UInt32, maxResults: UInt16) {
        self.programID = programID
        self.firstResult = firstResult
        self.maxResults = maxResults
    }
}
