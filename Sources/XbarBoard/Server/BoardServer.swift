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
    private let board: any Board
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
            let bytes: [UInt8]
            do {
                bytes = try transport.read(upTo: 65536, timeoutSeconds: pollSeconds)
            } catch where error.isTimeout {
                continue
            } catch where error.isDisconnect {
                logger.info("peer closed the link")
                return
            }
            receiver.append(bytes)
            while let next = nextFrame() {
                try handle(next)
            }
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
                    message: "sequence number \(sequence) is older than the reply cache; not executed")), sequence: sequence))
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
