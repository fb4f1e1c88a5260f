import Foundation
import Testing
import XbarBoard
import XbarJobs
import XbarStore
import XbarTransport
import XbarWire

/// A run's journal and a board reached over a link with sequence numbers (the simulated board
/// served over an in-process link), settled and compared by ``RunReconciler``.
@Suite("reconciling a run's ledger with the board", .serialized)
struct ReconciliationTests {
    let setup: SimulatedProgramming
    let folder: URL
    let store: RunStore

    init() throws {
        setup = try SimulatedProgramming()
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("xbar-reconcile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        store = try RunStore(path: folder.appendingPathComponent("lab.sqlite").path)
    }

    func served(_ faults: String = "") throws -> RemoteBoard {
        let board = try BoardConnector.open(.simulated, instrument: setup.instrument, seed: 3,
                                            policy: .init(replyTimeoutSeconds: 0.2, attempts: 3),
                                            simulatedFaults: try LinkFaults(parsing: faults))
        return try #require(board as? RemoteBoard)
    }

    func startRun(_ board: RemoteBoard) throws -> (Int64, RunReconciler) {
        let id = try store.startRun(RunDraft(kind: "program", user: "tester", backend: board.backendDescription, argumentsJSON: "{}"))
        let reconciler = RunReconciler(store: store, runID: id, board: board, identity: board.identity)
        try reconciler.begin()
        return (id, reconciler)
    }

    /// A batch of one pulse on each of the first `count` cells of tile 0, verified.
    func batch(_ count: Int) -> JournalOperation {
        .pulseBatch(tile: 0, scheme: 0, verifyReadVolts: 0.2, averages: 1,
                    pulses: (0..<count).map { LedgerPulse(row: $0 / 16, column: $0 % 16, amplitudeVolts: 1.6, widthSeconds: 1e-6) })
    }

    @Test("a batch that ran but whose reply was never logged is settled from the reply cache with its verify reads; counter = ledger")
    func ranButUnlogged() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let board = try served()
        let (id, reconciler) = try startRun(board)
        let runner = OperationRunner(board: board, journal: StoreJournal(store: store, runID: id))
        try runner.perform(batch(5))
        // Logged as intent with its number, sent and executed, then the process "died".
        let operation = batch(7)
        let seq = try store.logIntent(run: id, operation, wireSequence: Int(board.upcomingSequence), boardSession: board.sessionID)
        let sent = try board.perform(try #require(try OperationRunner.request(for: operation)))
        let found = try reconciler.resume(journal: try store.journal(run: id), boardRebuilt: false)
        #expect(!found.boardRestarted)
        #expect(found.settled.map(\.state) == [.done])
        let entry = try #require(try store.journal(run: id).first { $0.seq == seq })
        #expect(entry.state == .done)
        #expect(entry.measuredSiemens == (try OperationRunner.measurements(sent, for: operation)))
        #expect(try store.appliedPulses(run: id) == 12)
        #expect(try board.status().pulsesApplied == 12)
        try reconciler.check(when: "at the end")
    }

    @Test("a batch logged but never sent runs once when settled, and the next request still runs")
    func loggedNeverSent() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let board = try served()
        let (id, reconciler) = try startRun(board)
        _ = try store.logIntent(run: id, batch(4), wireSequence: Int(board.upcomingSequence), boardSession: board.sessionID)
        let found = try reconciler.resume(journal: try store.journal(run: id), boardRebuilt: false)
        #expect(found.settled.map(\.state) == [.done])
        #expect(try board.status().pulsesApplied == 4)
        let runner = OperationRunner(board: board, journal: StoreJournal(store: store, runID: id))
        try runner.perform(batch(3))
        #expect(try board.status().pulsesApplied == 7)
        #expect(try store.appliedPulses(run: id) == 7)
        try reconciler.check(when: "at the end")
    }

    @Test("after the board restarts, an unanswered batch is in doubt, the resumption asks for a read-back and the counter is compared in the new session")
    func boardRestarted() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        // Connecting takes IDENTIFY and STATUS, the run's start STATUS, then one batch: the board restarts after that.
        let board = try served("reset-after=4")
        let (id, reconciler) = try startRun(board)
        let runner = OperationRunner(board: board, journal: StoreJournal(store: store, runID: id))
        try runner.perform(batch(5))
        _ = try store.logIntent(run: id, batch(2), wireSequence: Int(board.upcomingSequence), boardSession: board.sessionID)
        #expect(throws: ReconciliationError.self) { try reconciler.check(when: "at the end") }
        let found = try reconciler.resume(journal: try store.journal(run: id), boardRebuilt: false)
        #expect(found.boardRestarted)
        #expect(found.previousSession == board.sessionID && found.currentSession != board.sessionID)
        #expect(found.settled.map(\.state) == [.inDoubt])
        #expect(try store.boardSessions(run: id).count == 2)
        try runner.perform(batch(3))
        try reconciler.check(when: "at the end")
    }

    @Test("a pulse the ledger does not hold stops the run with both numbers")
    func counterMismatch() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let board = try served()
        let (_, reconciler) = try startRun(board)
        try board.pulse(.cell(tile: 0, CellIndex(row: 0, column: 0)), amplitudeVolts: 1.6, widthSeconds: 1e-6, scheme: .grounded)
        #expect {
            try reconciler.check(when: "at the end of the run")
        } throws: { error in
            guard case let .counterMismatch(_, _, _, boardPulses, ledgerPulses)? = error as? ReconciliationError else { return false }
            return boardPulses == 1 && ledgerPulses == 0 && "\(error)".contains("gained 1 cell-pulses") && "\(error)".contains("records 0 applied")
        }
    }
}

/// A board of before sessions (and sense ranges): no capability bits 8 and 9, and a STATUS or
/// IDENTIFY with a payload refused as a frame of the wrong length, as such a board's decoder
/// refuses trailing bytes.
final class SessionlessBoard: Board {
    let inner: SimulatedBoard
    init(_ inner: SimulatedBoard) { self.inner = inner }
    var backendDescription: String { inner.backendDescription }
    func perform(_ request: Request) throws(BoardError) -> Reply {
        switch request {
        case .sessionStatus, .identifyWithSenseRanges:
            throw .fault(BoardFault(code: .badLength, message: "payload: 1 bytes left after the last field"))
        case .identify:
            guard case .identity(var id) = try inner.perform(request) else { throw .fault(BoardFault(code: .internalError, message: "no identity")) }
            id.capabilities.remove(.boardSession)
            id.capabilities.remove(.senseRanges)
            return .identity(id)
        default:
            return try inner.perform(request)
        }
    }
}

@Suite("reconciling with a board that has no sessions", .serialized)
struct SessionlessReconciliationTests {
    @Test("the host falls back to a plain STATUS, and a batch left in doubt is settled by the pulse counter: applied when it ran, not applied when it never arrived")
    func settledByCounter() throws {
        let setup = try SimulatedProgramming()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("xbar-sessionless-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try RunStore(path: folder.appendingPathComponent("lab.sqlite").path)
        let (hostEnd, boardEnd) = InMemoryTransport.pair()
        let instrument = setup.instrument
        Thread.detachNewThread {
            let server = BoardServer(board: SessionlessBoard(SimulatedBoard(instrument: instrument, seed: 3)), transport: boardEnd)
            try? server.serve(pollSeconds: 0.02)
        }
        defer { hostEnd.close() }
        let board = try RemoteBoard(transport: hostEnd, instrument: instrument, description: "old board",
                                    policy: .init(replyTimeoutSeconds: 0.2, attempts: 3))
        #expect(board.sessionID == nil)
        let id = try store.startRun(RunDraft(kind: "program", user: "tester", backend: "old board", argumentsJSON: "{}"))
        let reconciler = RunReconciler(store: store, runID: id, board: board, identity: board.identity)
        try reconciler.begin()
        let batch = JournalOperation.pulseBatch(tile: 0, scheme: 0, verifyReadVolts: 0.2, averages: 1,
                                                pulses: (0..<6).map { LedgerPulse(row: 0, column: $0, amplitudeVolts: 1.6, widthSeconds: 1e-6) })
        // One batch sent and executed, its result lost; then one logged and never sent.
        let ran = try store.logIntent(run: id, batch, wireSequence: Int(board.upcomingSequence))
        _ = try board.perform(try #require(try OperationRunner.request(for: batch)))
        var found = try reconciler.resume(journal: try store.journal(run: id), boardRebuilt: false)
        #expect(found.settled.map(\.seq) == [ran] && found.settled.map(\.state) == [.applied])
        let never = try store.logIntent(run: id, batch, wireSequence: Int(board.upcomingSequence))
        found = try reconciler.resume(journal: try store.journal(run: id), boardRebuilt: false)
        #expect(found.settled.map(\.seq) == [never] && found.settled.map(\.state) == [.notApplied])
        #expect(try store.appliedPulses(run: id) == 6)
        #expect(try board.status().pulsesApplied == 6)
        try reconciler.check(when: "at the end")
    }
}
