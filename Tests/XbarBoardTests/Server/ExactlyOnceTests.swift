import Synchronization
import Foundation
import Testing
import XbarBoard
import XbarInstrument
import XbarTransport
import XbarWire

/// A link that damages chosen frames on the way, as a noisy cable or a dropped USB packet would.
/// Frames are counted per direction at their 0x00 delimiters.
final class DamagingLink: ByteTransport, Sendable {
    enum Damage: Sendable { case drop, flipBit }
    private let inner: any ByteTransport
    private let plan: Mutex<[Int: Damage]>
    private let framesWritten = Mutex(0)

    /// `plan` maps the index of a frame this side writes (0 is the first) to what happens to it.
    init(_ inner: any ByteTransport, damaging plan: [Int: Damage]) {
        self.inner = inner
        self.plan = Mutex(plan)
    }

    func write(_ bytes: [UInt8], deadline: ContinuousClock.Instant) throws(TransportError) {
        let index = framesWritten.withLock { n in defer { n += 1 }; return n }
        switch plan.withLock({ $0[index] }) {
        case .drop?: return
        case .flipBit?:
            var damaged = bytes
            damaged[damaged.count / 2] ^= 0x04
            if damaged[damaged.count / 2] == 0 { damaged[damaged.count / 2] = 0x40 }
            try inner.write(damaged, deadline: deadline)
        case nil:
            try inner.write(bytes, deadline: deadline)
        }
    }

    func read(upTo maxBytes: Int, deadline: ContinuousClock.Instant) throws(TransportError) -> [UInt8] {
        try inner.read(upTo: maxBytes, deadline: deadline)
    }

    func close() { inner.close() }
    var description: String { "damaging \(inner)" }
}

final class StopFlag: Sendable {
    let raised = Atomic(false)
}

/// A simulated board served over an in-memory link on its own thread, and the host side of it.
struct ServedBoard {
    let host: any ByteTransport
    let stop = StopFlag()

    /// - Parameters:
    ///   - boardDamage: frames the board writes (its replies) that the link damages.
    ///   - hostDamage: frames the host writes (its requests) that the link damages.
    init(instrument: Instrument, boardDamage: [Int: DamagingLink.Damage] = [:], hostDamage: [Int: DamagingLink.Damage] = [:]) {
        let (hostEnd, boardEnd) = InMemoryTransport.pair()
        host = hostDamage.isEmpty ? hostEnd : DamagingLink(hostEnd, damaging: hostDamage)
        let link = DamagingLink(boardEnd, damaging: boardDamage)
        let stop = self.stop
        Thread.detachNewThread {
            let server = BoardServer(board: SimulatedBoard(instrument: instrument, seed: 3), transport: link)
            try? server.serve(pollSeconds: 0.02) { stop.raised.load(ordering: .relaxed) }
        }
    }

    func shutDown() {
        stop.raised.store(true, ordering: .relaxed)
        host.close()
    }
}

@Suite("exactly-once delivery between the remote board and the board server")
struct ExactlyOnceTests {
    let instrument = TestInstrument.usb4x64()
    let fast = RemoteBoard.RetryPolicy(replyTimeoutSeconds: 0.2, attempts: 4)
    let cell = CellSet.cell(tile: 0, CellIndex(row: 1, column: 2))

    // The board writes: 0 STATUS_REPORT, 1 IDENTITY (the session opening), then one reply per request.

    @Test("a PULSE whose reply is lost is retried with the same sequence number and applied once")
    func lostReply() throws {
        let served = ServedBoard(instrument: instrument, boardDamage: [2: .drop])
        defer { served.shutDown() }
        let board = try RemoteBoard(transport: served.host, instrument: instrument, description: "link", policy: fast)
        let receipt = try board.pulse(cell, amplitudeVolts: 2.0, widthSeconds: 1e-6, scheme: .grounded)
        #expect(receipt.appliedCount == 1)
        #expect(board.retryCount == 1)
        #expect(try board.status().pulsesApplied == 1)
    }

    @Test("a PULSE whose reply arrives corrupt is retried and answered from the cache, not applied twice")
    func corruptReply() throws {
        let served = ServedBoard(instrument: instrument, boardDamage: [2: .flipBit, 3: .drop])
        defer { served.shutDown() }
        let board = try RemoteBoard(transport: served.host, instrument: instrument, description: "link", policy: fast)
        let receipt = try board.pulse(cell, amplitudeVolts: 2.0, widthSeconds: 1e-6, scheme: .grounded)
        #expect(receipt.appliedCount == 1)
        #expect(board.retryCount == 2)
        #expect(try board.status().pulsesApplied == 1)
    }

    @Test("a PULSE frame damaged on the way to the board is refused with badCRC, retried, and applied once")
    func corruptRequest() throws {
        // The host writes: 0 STATUS, 1 IDENTIFY, 2 PULSE (damaged), 3 PULSE again.
        let served = ServedBoard(instrument: instrument, hostDamage: [2: .flipBit])
        defer { served.shutDown() }
        let board = try RemoteBoard(transport: served.host, instrument: instrument, description: "link", policy: fast)
        let receipt = try board.pulse(cell, amplitudeVolts: 2.0, widthSeconds: 1e-6, scheme: .grounded)
        #expect(receipt.appliedCount == 1)
        #expect(board.retryCount == 1)
        #expect(try board.status().pulsesApplied == 1)
    }

    @Test("a new host session continues the board's sequence numbers instead of replaying old replies")
    func secondSession() throws {
        let served = ServedBoard(instrument: instrument)
        defer { served.shutDown() }
        let first = try RemoteBoard(transport: served.host, instrument: instrument, description: "link", policy: fast)
        for _ in 0..<5 { try first.pulse(cell, amplitudeVolts: 2.0, widthSeconds: 1e-6, scheme: .grounded) }
        let second = try RemoteBoard(transport: served.host, instrument: instrument, description: "link", policy: fast)
        try second.pulse(cell, amplitudeVolts: 2.0, widthSeconds: 1e-6, scheme: .grounded)
        #expect(try second.status().pulsesApplied == 6)
    }

    @Test("garbage on the line before a frame is skipped and the request still runs")
    func garbageResync() throws {
        let served = ServedBoard(instrument: instrument)
        defer { served.shutDown() }
        let board = try RemoteBoard(transport: served.host, instrument: instrument, description: "link", policy: fast)
        try served.host.write([0x13, 0x37, 0xFF, 0x00, 0x42, 0x00], timeoutSeconds: 1)
        let row = try board.readConductances(.row(tile: 0, row: 0), readVolts: 0.2)
        #expect(row.count == 64)
    }

    @Test("a board that never answers is reported as a timeout after every attempt, naming the operation")
    func silentBoard() throws {
        let (hostEnd, _boardEnd) = InMemoryTransport.pair()
        defer { _ = _boardEnd; hostEnd.close() }
        let started = ContinuousClock.now
        let error = #expect(throws: BoardError.self) {
            _ = try RemoteBoard(transport: hostEnd, instrument: instrument, description: "link", policy: fast)
        }
        guard case .timeout(let operation, _, let attempts)? = error else {
            Issue.record("expected a timeout, got \(String(describing: error))"); return
        }
        #expect(operation.contains("STATUS"))
        #expect(attempts == 4)
        #expect(ContinuousClock.now - started < .seconds(3))
    }
}

@Suite("board sessions and numbers behind a RESET, through the board server")
struct BoardSessionTests {
    let instrument = TestInstrument.usb4x64()
    let fast = RemoteBoard.RetryPolicy(replyTimeoutSeconds: 0.2, attempts: 4)
    let cell = CellSet.cell(tile: 0, CellIndex(row: 1, column: 2))

    @Test("the board reports capability bit 8 and a session id; a plain STATUS carries none, as an old host expects")
    func sessionReported() throws {
        let served = ServedBoard(instrument: instrument)
        defer { served.shutDown() }
        let board = try RemoteBoard(transport: served.host, instrument: instrument, description: "link", policy: fast)
        #expect(board.identity.capabilities.rawValue & (1 << 8) != 0)
        let session = try #require(board.sessionID)
        #expect(session != 0)
        #expect(try board.status().sessionID == nil)
        #expect(try board.sessionStatus(board.identity).sessionID == session)
        // A second host sees the same session: the board did not restart.
        let second = try RemoteBoard(transport: served.host, instrument: instrument, description: "link", policy: fast)
        #expect(second.sessionID == session)
    }

    @Test("a pulse re-sent under its number after a RESET is refused as stale and not applied again")
    func oldNumberAfterReset() throws {
        let served = ServedBoard(instrument: instrument)
        defer { served.shutDown() }
        let board = try RemoteBoard(transport: served.host, instrument: instrument, description: "link", policy: fast)
        let number = board.upcomingSequence
        let pulse = Request.pulse(PulseCells(cells: cell, amplitudeVolts: 2.0, widthSeconds: 1e-6, scheme: .grounded))
        _ = try board.perform(pulse)
        try board.reset()
        #expect(throws: BoardError.self) { _ = try board.resend(pulse, sequence: number) }
        do {
            _ = try board.resend(pulse, sequence: number)
        } catch BoardError.fault(let fault) {
            #expect(fault.code == .staleSequence)
        }
        #expect(try board.status().pulsesApplied == 1)
    }

    @Test("a request re-sent under its own number is answered from the cache if it ran, and runs once if it never arrived")
    func resendSettles() throws {
        let served = ServedBoard(instrument: instrument)
        defer { served.shutDown() }
        let board = try RemoteBoard(transport: served.host, instrument: instrument, description: "link", policy: fast)
        let pulse = Request.pulse(PulseCells(cells: cell, amplitudeVolts: 2.0, widthSeconds: 1e-6, scheme: .grounded))
        let ran = board.upcomingSequence
        let first = try board.perform(pulse)
        #expect(try board.resend(pulse, sequence: ran) == first)
        #expect(try board.status().pulsesApplied == 1)
        // A number the board never saw, ahead of the newest: the request runs now.
        let never = board.upcomingSequence
        _ = try board.resend(pulse, sequence: never)
        #expect(try board.status().pulsesApplied == 2)
        // The next new request takes a fresh number: it runs, not answered with the resent reply.
        _ = try board.perform(pulse)
        #expect(try board.status().pulsesApplied == 3)
    }
}

@Suite("the in-process board's planned faults and the reply window's far side")
struct PlannedFaultTests {
    let instrument = TestInstrument.usb4x64()
    let fast = RemoteBoard.RetryPolicy(replyTimeoutSeconds: 0.2, attempts: 2)
    let pulse = Request.pulse(PulseCells(cells: .cell(tile: 0, CellIndex(row: 1, column: 2)), amplitudeVolts: 2.0,
                                         widthSeconds: 1e-6, scheme: .grounded))

    func open(_ faults: String) throws -> RemoteBoard {
        let board = try BoardConnector.open(.simulated, instrument: instrument, seed: 3, policy: fast,
                                            simulatedFaults: try LinkFaults(parsing: faults))
        return try #require(board as? RemoteBoard)
    }

    @Test("a pulse sent exactly 32768 numbers ahead of the newest is refused as stale and applies nothing")
    func halfWayAhead() throws {
        let board = try open("")
        _ = try board.perform(pulse)
        let newest = board.upcomingSequence &- 1
        #expect {
            _ = try board.resend(pulse, sequence: newest &+ 0x8000)
        } throws: { error in
            guard case .fault(let fault)? = error as? BoardError else { return false }
            return fault.code == .staleSequence
        }
        #expect(try board.status().pulsesApplied == 1)
        // The window did not move: the next number still runs.
        _ = try board.perform(pulse)
        #expect(try board.status().pulsesApplied == 2)
    }

    @Test("unplug-after=N closes the link after N requests: the next one finds the board lost")
    func unplug() throws {
        // Connecting takes STATUS and two IDENTIFYs (plain, then the sense ranges the board
        // reports); the fourth request is answered, then the link closes.
        let board = try open("unplug-after=4")
        _ = try board.perform(pulse)
        let error = #expect(throws: BoardError.self) { _ = try board.perform(pulse) }
        #expect(error?.isBoardLost == true)
    }

    @Test("delay=S holds every reply back by S seconds")
    func delay() throws {
        let board = try open("delay=0.15")
        let start = ContinuousClock.now
        _ = try board.status()
        #expect(ContinuousClock.now - start >= .milliseconds(150))
    }

    @Test("a retry pauses 0.05 s before the first resend, doubling up to 1 s")
    func backoff() {
        let policy = RemoteBoard.RetryPolicy()
        #expect((0...6).map { policy.pauseSeconds(beforeAttempt: $0) } == [0, 0.05, 0.1, 0.2, 0.4, 0.8, 1.0])
    }
}
