import Logging
import XbarTransport
import XbarWire

/// Serves any ``Board`` over a byte-stream transport, speaking wire protocol v1.
///
/// The server owns exactly-once delivery on the board side: every executed request's reply is
/// kept in a ``ReplyCache``, and a request whose sequence number is cached is answered from
/// there without touching the board. Frames that fail their CRC or cannot be decoded are answered
/// with a FAULT and never executed; the receiver resynchronises on the next frame delimiter.
public final class BoardServer {
    private var board: any Board
    private let transport: any ByteTransport
    private var cache: ReplyCache
    private var receiver = FrameReceiver()
    /// Frames that arrived while a READ_TRAIN ran, served after it in arrival order.
    private var deferred: [Result<Frame, WireError>] = []
    private let logger: Logger
    /// Requests executed on the board (not replayed from the cache).
    public private(set) var executedCount = 0
    /// Requests answered from the reply cache.
    public private(set) var replayedCount = 0
    /// Frames answered (decoded or not), the count ``restartAfterRequests`` and
    /// ``unplugAfterRequests`` compare with.
    public private(set) var answeredCount = 0
    /// Restarts the board once this many requests have been answered (a power cycle: the
    /// board comes back from ``restartBoard`` with a new session and an empty reply cache).
    public var restartAfterRequests: Int?
    /// Builds the board after a restart; required with ``restartAfterRequests``.
    public var restartBoard: (() throws -> any Board)?
    /// Closes the link for good once this many requests have been answered, as a pulled cable.
    public var unplugAfterRequests: Int?
    /// True once the link was closed by ``unplugAfterRequests``; ``serve(pollSeconds:until:)``
    /// has returned and will not serve again.
    public private(set) var isUnplugged = false
    /// Told, for people, when the board restarts or the link is unplugged.
    public var announce: (String) -> Void = { _ in }

    public init(board: any Board, transport: any ByteTransport, replyCacheDepth: Int = 32,
                logger: Logger = Logger(label: "xbar.board-server")) {
        self.board = board
        self.transport = transport
        self.cache = ReplyCache(depth: replyCacheDepth)
        self.logger = logger
    }

    /// Serves until `shouldStop` returns true (checked at least every `pollSeconds`) or the
    /// peer closes the link.
    ///
    /// - Throws: ``TransportError`` when the link fails other than by the peer closing it.
    public func serve(pollSeconds: Double = 0.1, until shouldStop: () -> Bool = { false }) throws {
        while !shouldStop() {
            if isUnplugged { return }
            let bytes: [UInt8]
            do {
                bytes = try transport.read(upTo: 65536, timeoutSeconds: pollSeconds)
            } catch where error.isTimeout {
                continue
            } catch where error.isDisconnect {
                logger.info("peer closed the link")
                return
            }
            try handleFrames(in: bytes)
        }
    }

    private func handle(_ next: Result<Frame, WireError>) throws {
        switch next {
        case .failure(let error):
            logger.warning("malformed frame: \(error)")
            // Answer only when the sequence number could be read: the host matches replies by it.
            guard let sequence = error.sequence else { return }
            try send(WireCodec.encode(.fault(error.fault), sequence: sequence))
        case .success(let frame):
            let sequence = frame.header.sequence
            // A reply frame (the board's own, looped back, or another board's) is no request:
            // refused at frame level and not cached, so its sequence number stays free for the
            // host's real request.
            guard !frame.header.opcode.isReply else {
                logger.warning("reply frame \(frame.header.opcode.name) received as a request (sequence \(sequence))")
                try send(WireCodec.encode(.fault(BoardFault(
                    code: .unknownOpcode,
                    message: "opcode \(frame.header.opcode.name) is a reply, not a request; not executed")), sequence: sequence))
                return
            }
            // IDENTIFY and STATUS change nothing: executed every time, never cached, and they do
            // not move the window, which is what lets a new host learn where to start.
            if frame.header.opcode == .identify || frame.header.opcode == .status {
                var reply: Reply
                do {
                    reply = Self.execute(try WireCodec.decodeRequest(frame), on: board)
                } catch {
                    reply = .fault(error.fault)
                }
                if case .status(var status) = reply {
                    status.nextSequence = cache.nextSequence
                    reply = .status(status)
                }
                executedCount += 1
                try send(WireCodec.encode(reply, sequence: sequence))
                return
            }
            switch cache.verdict(for: sequence) {
            case .replay(let bytes):
                replayedCount += 1
                try send(bytes)
                return
            case .stale:
                try send(WireCodec.encode(.fault(BoardFault(
                    code: .staleSequence,
                    message: "sequence number \(sequence) is not ahead of the newest (\(cache.nextSequence &- 1)) and not in the reply cache: older than the window or sent before a RESET; not executed")),
                    sequence: sequence))
                return
            case .execute:
                break
            }
            // Whatever the reply, including a FAULT from decoding or checking, it is cached.
            let reply: Reply
            var isReset = false
            do {
                let request = try WireCodec.decodeRequest(frame)
                isReset = request == .reset
                if case .readTrain = request, let stoppable = board as? any StoppableBoard {
                    // A train runs for a while: listen meanwhile, so that ABORT can stop it (8.10).
                    reply = Self.execute(request, on: stoppable) { wait in self.stopArrived(waitingUpTo: wait) }
                } else {
                    reply = Self.execute(request, on: board)
                }
                executedCount += 1
            } catch {
                reply = .fault(error.fault)
            }
            let bytes = WireCodec.encode(reply, sequence: sequence)
            if isReset { cache.clear() }
            cache.store(bytes, for: sequence)
            try send(bytes)
        }
    }

    /// Answers every frame `bytes` complete, until the link is unplugged.
    private func handleFrames(in bytes: [UInt8]) throws {
        receiver.append(bytes)
        while !isUnplugged {
            guard let next = nextFrame() else { return }
            try handle(next)
            try afterAnswer()
        }
    }

    /// Counts an answered frame and carries out a planned restart or unplug.
    private func afterAnswer() throws {
        answeredCount += 1
        if let n = restartAfterRequests, answeredCount == n, let restartBoard {
            board = try restartBoard()
            cache.clear()
            receiver = FrameReceiver()
            announce("board restarted after \(n) requests (new session, empty reply cache)")
        }
        if let n = unplugAfterRequests, answeredCount >= n {
            isUnplugged = true
            transport.close()
            announce("link unplugged after \(n) requests")
        }
    }

    /// Runs a request on the board, turning every failure into a FAULT reply.
    static func execute(_ request: Request, on board: any Board) -> Reply {
        reply { () throws(BoardError) in try board.perform(request) }
    }

    /// Runs a request that may be stopped part-way, turning every failure into a FAULT reply.
    static func execute(_ request: Request, on board: any StoppableBoard, stopRequested: (Double) -> Bool) -> Reply {
        reply { () throws(BoardError) in try board.perform(request, stopRequested: stopRequested) }
    }

    private static func reply(_ work: () throws(BoardError) -> Reply) -> Reply {
        do {
            return try work()
        } catch .fault(let fault) {
            return .fault(fault)
        } catch {
            return .fault(BoardFault(code: .internalError, message: "\(error)"))
        }
    }

    /// The next frame to serve: those deferred during a READ_TRAIN first.
    private func nextFrame() -> Result<Frame, WireError>? {
        deferred.isEmpty ? receiver.next() : deferred.removeFirst()
    }

    /// Reads the link for up to `waitSeconds` while a READ_TRAIN runs; true when a new ABORT or
    /// RESET arrived. Every frame read is kept to be served after the train, in order, the
    /// ABORT or RESET included (it is then executed and answered like any request).
    private func stopArrived(waitingUpTo waitSeconds: Double) -> Bool {
        if let bytes = try? transport.read(upTo: 65536, timeoutSeconds: waitSeconds) {
            receiver.append(bytes)
        }
        var stop = false
        while let next = receiver.next() {
            deferred.append(next)
            if case .success(let frame) = next, frame.header.opcode == .abort || frame.header.opcode == .reset,
               cache.verdict(for: frame.header.sequence) == .execute {
                stop = true
            }
        }
        return stop
    }

    private func send(_ bytes: [UInt8]) throws {
        try transport.write(bytes, timeoutSeconds: 5)
    }
}
