import Foundation
import Logging
import XbarInstrument
import XbarTransport
import XbarWire

/// A physical board (or the board emulator) behind a transport: the protocol client.
///
/// Every request gets a fresh sequence number. When no valid reply arrives before the deadline,
/// or the reply is corrupt, the request is sent again with the same sequence number and the
/// retry flag; the board answers a sequence number it has already executed from its reply cache,
/// so a pulse is applied exactly once however many times its frame is sent. Requests are checked
/// against the instrument's limits (and MVM inputs against its DAC's range) before they are sent:
/// the host refuses too, never clamps.
public final class RemoteBoard: SequencedBoard {
    public let instrument: Instrument
    public private(set) var identity: BoardIdentity
    public let backendDescription: String
    private let transport: any ByteTransport
    private var receiver = FrameReceiver()
    private var nextSequence: UInt16
    private let policy: RetryPolicy
    private let logger: Logger
    /// Frames sent again after a timeout or a corrupt reply.
    public private(set) var retryCount = 0
    /// Request and reply bytes on the wire, including framing.
    public private(set) var bytesSent = 0
    public private(set) var bytesReceived = 0
    public private(set) var roundTrips = 0

    /// How long to wait for a reply and how often to try.
    ///
    /// One attempt waits `replyTimeoutSeconds` beyond the operation's own duration on the board
    /// and, on a line of known speed, beyond the time the request and the largest reply it can
    /// draw take on the wire (see ``RemoteBoard/replyWaitSeconds(for:frameBytes:)``): a slow
    /// line or a large reply lengthens the wait by what it costs, no more. Before each resend
    /// the host pauses, `backoffSeconds` before the first and twice as long before each next one
    /// (at most `maxBackoffSeconds`), so that a link in trouble is not flooded.
    public struct RetryPolicy: Sendable {
        /// Wait for a reply beyond the operation's own duration and its modelled wire time, seconds.
        public var replyTimeoutSeconds: Double
        /// Sends of one request in all (the first one included): one more than the retries.
        public var attempts: Int
        /// Link speed used to model wire time, bits per second (nil: not modelled, a link whose
        /// bytes take no noticeable time, such as USB).
        public var bitsPerSecond: Double?
        /// Pause before the first resend, seconds; doubled before each further one.
        public var backoffSeconds: Double
        /// Longest pause before a resend, seconds.
        public var maxBackoffSeconds: Double

        public init(replyTimeoutSeconds: Double = 1.0, attempts: Int = 4, bitsPerSecond: Double? = nil,
                    backoffSeconds: Double = 0.05, maxBackoffSeconds: Double = 1.0) {
            self.replyTimeoutSeconds = replyTimeoutSeconds
            self.attempts = attempts
            self.bitsPerSecond = bitsPerSecond
            self.backoffSeconds = backoffSeconds
            self.maxBackoffSeconds = maxBackoffSeconds
        }

        /// The pause before send number `attempt` (0 is the first send, which has none), seconds.
        public func pauseSeconds(beforeAttempt attempt: Int) -> Double {
            guard attempt > 0 else { return 0 }
            return min(maxBackoffSeconds, backoffSeconds * Double(1 << min(attempt - 1, 30)))
        }
    }

    /// The board's session id as STATUS reported it when the link opened (nil for a board
    /// without ``XbarWire/Capabilities/boardSession``).
    public private(set) var sessionID: UInt64?

    /// Connects: sends IDENTIFY and checks the reply against the instrument.
    ///
    /// - Throws: ``BoardError/identityMismatch(_:)`` when the board is not of the instrument's type
    ///   (model, geometry, protocol version, limits); ``BoardError/timeout(operation:seconds:attempts:)``
    ///   when it does not answer.
    public init(transport: any ByteTransport, instrument: Instrument, description: String,
                policy: RetryPolicy = RetryPolicy(), logger: Logger = Logger(label: "xbar.remote-board")) throws(BoardError) {
        self.transport = transport
        self.instrument = instrument
        self.backendDescription = description
        self.policy = policy
        self.logger = logger
        self.nextSequence = 0
        self.identity = BoardIdentity(protocolVersion: 0, model: "", serialNumber: "", firmwareVersion: "",
                                      capabilities: [], maxPayloadBytes: 0, replyCacheDepth: 0,
                                      adc: instrument.adc, dac: instrument.dac, limits: instrument.limits, tiles: [])
        // A session opens with STATUS, which tells where the board's reply window stands (a
        // number still in its cache would be answered with an old reply and never executed) and
        // the board's session. A board without sessions refuses the one-byte STATUS with a FAULT
        // that is not cached; it is then asked the plain way.
        var reply = try exchange(.sessionStatus)
        if case .fault = reply { reply = try exchange(.status) }
        guard case .status(let status) = reply else {
            throw BoardError.unexpectedReply(operation: "STATUS", reply: "\(reply)")
        }
        self.nextSequence = status.nextSequence
        self.sessionID = status.sessionID
        // IDENTIFY the plain way, then with the sense ranges from a board that has them: one
        // request more for those boards, and none the others refuse (a refused payload byte
        // draws badLength, which a link cannot tell from a damaged frame and asks again).
        var identified = try exchange(.identify)
        if case .identity(let plain) = identified, plain.capabilities.contains(.senseRanges) {
            identified = try exchange(.identifyWithSenseRanges)
        }
        guard case .identity(let id) = identified else {
            throw BoardError.unexpectedReply(operation: "IDENTIFY", reply: "\(identified)")
        }
        let problems = instrument.mismatches(with: id)
        guard problems.isEmpty else {
            throw BoardError.identityMismatch("\(description) reports \(id.model) \(id.serialNumber), "
                + "instrument \(instrument.name) expects \(instrument.model): " + problems.joined(separator: "; "))
        }
        self.identity = id
    }

    public var upcomingSequence: UInt16 { nextSequence }

    public func resend(_ request: Request, sequence: UInt16) throws(BoardError) -> Reply {
        if let fault = instrument.limits.check(request) { throw BoardError.fault(fault) }
        // A number at or ahead of the next one is used once the board may have run it: the next
        // new request must not reuse it, or the board would answer that request with this one's
        // cached reply. A stale refusal used nothing.
        let reachesAhead = sequence &- nextSequence < 0x8000
        let reply: Reply
        do {
            reply = try exchange(request, resending: sequence)
        } catch {
            if reachesAhead { nextSequence = sequence &+ 1 }
            throw error
        }
        if case .fault(let fault) = reply, fault.code == .staleSequence { throw BoardError.fault(fault) }
        if reachesAhead { nextSequence = sequence &+ 1 }
        if case .fault(let fault) = reply { throw BoardError.fault(fault) }
        return reply
    }

    public func perform(_ request: Request) throws(BoardError) -> Reply {
        if let fault = instrument.limits.check(request) { throw BoardError.fault(fault) }
        if case .mvm(let m) = request, let fault = instrument.dac.checkInputs(of: m) { throw BoardError.fault(fault) }
        let reply = try exchange(request)
        if case .fault(let fault) = reply { throw BoardError.fault(fault) }
        return reply
    }

    /// Sends `request` until a reply comes: under the next sequence number, or again under
    /// `resending` (a number it was sent under before, every send flagged as a retry).
    private func exchange(_ request: Request, resending: UInt16? = nil) throws(BoardError) -> Reply {
        let sequence = resending ?? nextSequence
        // IDENTIFY and STATUS bypass the board's cache and do not consume a number.
        if resending == nil && !request.isReadOnly { nextSequence &+= 1 }
        var lastProblem = "no reply"
        var damagedAttempts = 0
        var wait = policy.replyTimeoutSeconds
        for attempt in 0..<policy.attempts {
            let frame = WireCodec.encode(request, sequence: sequence, flags: attempt == 0 && resending == nil ? [] : .retry)
            wait = replyWaitSeconds(for: request, frameBytes: frame.count)
            if attempt > 0 {
                retryCount += 1
                logger.warning("retrying \(request.opcode.name) seq \(sequence) (attempt \(attempt + 1)): \(lastProblem)")
                // Late replies to the earlier send are not ours to wait for again: the pause lets
                // a congested link drain before the frame goes out once more.
                Thread.sleep(forTimeInterval: policy.pauseSeconds(beforeAttempt: attempt))
            }
            do {
                try transport.write(frame, timeoutSeconds: wait)
            } catch {
                throw .transport(board: backendDescription, operation: "sending \(request.opcode.name)", error)
            }
            bytesSent += frame.count
            switch try awaitReply(sequence: sequence, expectedReply: Self.replyOpcode(request), timeoutSeconds: wait) {
            case .reply(.fault(let fault)) where Self.frameLevelCodes.contains(fault.code) && attempt + 1 < policy.attempts:
                // The board saw a damaged frame: nothing ran; send it again.
                roundTrips += 1
                lastProblem = "board reported \(fault.code): \(fault.message)"
                damagedAttempts += 1
            case .reply(.fault(let fault)) where fault.code == .badCRC:
                // The last attempt arrived damaged too: the request never ran, and the link,
                // not the request, is at fault. (A version or opcode the board does not know
                // is its answer to the request, returned as the FAULT it is.)
                roundTrips += 1
                throw .damagedFrames(operation: "\(request.opcode.name) on \(backendDescription)", fault: fault,
                                     attempts: damagedAttempts + 1)
            case .reply(let reply):
                roundTrips += 1
                return reply
            case .problem(let p):
                lastProblem = p
            }
        }
        throw .timeout(operation: "\(request.opcode.name) on \(backendDescription) (\(lastProblem))",
                       seconds: wait, attempts: policy.attempts)
    }

    private enum Outcome { case reply(Reply), problem(String) }

    /// FAULT codes a board sends for a frame it could not read; the request did not run.
    /// (`badLength` is also a payload-level code, cached: a retry then draws the same answer.)
    static let frameLevelCodes: Set<FaultCode> = [.badCRC, .badLength, .badVersion, .unknownOpcode]

    private func awaitReply(sequence: UInt16, expectedReply: Opcode, timeoutSeconds: Double) throws(BoardError) -> Outcome {
        let deadline = ContinuousClock.now.advanced(by: .seconds(timeoutSeconds))
        while true {
            while let next = receiver.next() {
                switch next {
                case .failure(let error):
                    // A corrupt reply: the request may or may not have run; retrying with the same
                    // sequence number is safe either way.
                    if error.sequence == nil || error.sequence == sequence { return .problem("corrupt reply: \(error)") }
                case .success(let frame):
                    // Replies to earlier requests (answered late) are not ours: drop them.
                    guard frame.header.sequence == sequence, frame.header.flags.contains(.reply),
                          frame.header.opcode == expectedReply || frame.header.opcode == .fault else { continue }
                    do {
                        return .reply(try WireCodec.decodeReply(frame))
                    } catch {
                        return .problem("undecodable reply: \(error)")
                    }
                }
            }
            let remaining = deadline - ContinuousClock.now
            if remaining <= .zero { return .problem("no reply within \(timeoutSeconds) s") }
            do {
                let bytes = try transport.read(upTo: 65536, timeoutSeconds: Self.seconds(remaining))
                bytesReceived += bytes.count
                receiver.append(bytes)
            } catch where error.isTimeout {
                continue
            } catch {
                throw .transport(board: backendDescription, operation: "waiting for a reply (sequence \(sequence))", error)
            }
        }
    }

    /// Board-side time an operation takes before it can reply, seconds.
    static func expectedDurationSeconds(_ request: Request) -> Double {
        switch request {
        case .readTrain(let t):
            return Double(t.intervalSeconds) * Double(t.readCount) + Double(t.pulse?.widthSeconds ?? 0)
        case .pulseBatch(let b):
            return b.pulses.reduce(0) { $0 + Double($1.widthSeconds) }
        case .sweep(let s):
            // Each step holds its width, then reads; a board's read takes microseconds, so
            // 10 us per read bounds it with room.
            let perStep = Double(s.stepWidthSeconds) + Double(s.readAverages) * 10e-6
            let cells: Int
            switch s.cells {
            case .cell: cells = 1
            case .list(_, let list): cells = list.count
            case .mask(_, let m): cells = m.bits.reduce(0) { $0 + $1.nonzeroBitCount }
            // Without the tile's size here, a row, a column or a tile counts as 65536 cells: a
            // longer wait than needed, never a shorter one.
            case .row, .column, .tile: cells = 65536
            }
            return perStep * Double(s.stepCount ?? 0) * Double(cells)
        default:
            return 0
        }
    }

    /// How long one attempt of `request` waits for its reply, seconds: the policy's margin, the
    /// operation's duration on the board, and at the policy's line speed the wire time of the
    /// request's frame (`frameBytes`) and of the largest reply it can draw, 10 bits per byte.
    public func replyWaitSeconds(for request: Request, frameBytes: Int) -> Double {
        let wire = policy.bitsPerSecond.map { Double(frameBytes + largestReplyFrameBytes(request)) * 10 / $0 } ?? 0
        return policy.replyTimeoutSeconds + Self.expectedDurationSeconds(request) + wire
    }

    /// The largest frame a reply to `request` can take on this board, bytes: its payload for the
    /// cells, vectors and reads asked for (within the board's largest payload), stuffing and framing.
    func largestReplyFrameBytes(_ request: Request) -> Int {
        // Before IDENTIFY answers, the board's geometry and payload are not known: the protocol's largest.
        let maxPayload = identity.maxPayloadBytes > 0 ? Int(identity.maxPayloadBytes) : 65536
        func tile(_ index: UInt8) -> TileInfo? { identity.tiles.first { $0.index == index } }
        func cellCount(_ set: CellSet) -> Int {
            guard let t = tile(set.tile) else { return maxPayload / 4 }
            // A set the tile cannot hold is refused in a short FAULT; the whole tile bounds the rest.
            return (try? set.cells(rows: Int(t.rows), columns: Int(t.columns)).count) ?? t.cellCount
        }
        let payload: Int
        switch request {
        // A ranged READ or MVM adds a flag bit per current.
        case .read(let r): payload = 16 + (r.senseRange == nil ? 32 : 33) * cellCount(r.cells) / 8
        case .mvm(let m):
            payload = 16 + (m.senseRange == nil ? 32 : 33) * m.vectorCount * Int(tile(m.tile)?.columns ?? UInt16(maxPayload / 4)) / 8
        case .readTrain(let t): payload = 32 + Int(t.readCount) * (8 + 4 * cellCount(t.cells))
        // A batch verified in ranges adds a flag bit per verify current.
        case .pulseBatch(let b): payload = 32 + (b.verify?.groups == nil ? 32 : 33) * b.pulses.count / 8
        case .sweep(let s): payload = 16 + cellCount(s.cells) * (3 + VoltageSweep.pointBytes * (s.stepCount ?? 0))
        case .playFetch: payload = maxPayload
        case .identify, .identifyWithSenseRanges: payload = 4096
        case .pulse, .status, .sessionStatus, .playLoad, .playStart, .abort, .reset: payload = 256
        }
        let bounded = min(payload, maxPayload)
        // COBS adds a byte per 254, the header, CRC and delimiter a few dozen.
        return bounded + bounded / 254 + 64
    }

    /// The reply opcode that answers a request (besides FAULT).
    static func replyOpcode(_ request: Request) -> Opcode {
        switch request {
        case .identify, .identifyWithSenseRanges: return .identity
        case .status, .sessionStatus: return .statusReport
        case .read, .mvm: return .currents
        case .pulse, .pulseBatch: return .pulsed
        case .readTrain: return .readTrainData
        case .playLoad: return .playLoaded
        case .playStart: return .playStarted
        case .playFetch: return .playData
        case .abort, .reset: return .done
        case .sweep: return .sweepData
        }
    }

    private static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }
}
