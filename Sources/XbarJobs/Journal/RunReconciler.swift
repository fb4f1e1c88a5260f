import Foundation
import XbarBoard
import XbarStore
import XbarWire

/// Keeps a run's ledger and the board in step: it records each board session the run reaches
/// with the board's pulse counter, settles the operations a killed run left in doubt, and
/// compares the counter with the ledger.
///
/// The board's counter counts cell-pulses since it powered up; the ledger counts the run's
/// cell-pulses that were applied (operations `done`, or settled `applied`). Within one board
/// session, what the counter gained since the run reached the session must equal what the
/// ledger gained: anything else means a pulse was applied that the ledger does not hold, or the
/// ledger holds one the board never applied (or another program pulsed the board meanwhile).
public struct RunReconciler {
    public let store: RunStore
    public let runID: Int64
    public let board: any Board
    public let identity: BoardIdentity

    public init(store: RunStore, runID: Int64, board: any Board, identity: BoardIdentity) {
        self.store = store
        self.runID = runID
        self.board = board
        self.identity = identity
    }

    /// What resuming found and did.
    public struct Resumption: Sendable {
        /// The session the run last reached and the one the board reports now (nil: none).
        public var previousSession: UInt64?
        public var currentSession: UInt64?
        /// The board restarted since the run last reached it: its records must be read back.
        public var boardRestarted: Bool
        /// How each operation found as intent was settled, by its sequence number in the run.
        public var settled: [(seq: Int, state: OperationState)]
        /// For people: what was found and done.
        public var notes: [String]
    }

    /// Records the board session a new run starts in, with the board's counter.
    ///
    /// - Throws: ``BoardError`` when STATUS fails; store errors.
    @discardableResult
    public func begin() throws -> BoardSessionRecord {
        let status = try board.sessionStatus(identity)
        let record = BoardSessionRecord(session: status.sessionID, counterStart: status.pulsesApplied, ledgerStart: 0, openedAt: Date())
        try store.openBoardSession(run: runID, record)
        return record
    }

    /// Settles every operation of `journal` still logged as intent, then compares the board's
    /// counter with the ledger.
    ///
    /// - Same session (the board has not restarted): each is sent again under its own sequence
    ///   number; the board's reply cache answers if it ran (recorded `done` with the cached
    ///   result), the board runs it if it never arrived (`done` too). A number the board no
    ///   longer holds is settled by the counter: no gap → `not_applied`, a gap of exactly the
    ///   batch's pulses → `applied`; anything else stays `in_doubt`.
    /// - Different session: the board restarted; whether the operation ran before is lost with
    ///   the old counter: `in_doubt`, and ``Resumption/boardRestarted`` asks the job to read
    ///   back what the records claim. The run's accounting continues in the new session.
    /// - A board without sessions: settled by the counter as above.
    /// - `boardRebuilt`: the board is a simulated one rebuilt from the journal's `done`
    ///   operations: it never ran the others (`not_applied`).
    ///
    /// - Throws: ``ReconciliationError/counterMismatch(run:when:session:boardPulses:ledgerPulses:)``
    ///   when the counter and the ledger still differ; ``BoardError``; store errors.
    public func resume(journal: [JournalEntry], boardRebuilt: Bool) throws -> Resumption {
        let status = try board.sessionStatus(identity)
        let sessions = try store.boardSessions(run: runID)
        let last = sessions.last
        var result = Resumption(previousSession: last?.session, currentSession: status.sessionID,
                                boardRestarted: false, settled: [], notes: [])
        let pending = journal.filter { $0.state == .intent }
        func settle(_ entry: JournalEntry, _ state: OperationState) throws {
            try store.settle(run: runID, seq: entry.seq, as: state)
            result.settled.append((entry.seq, state))
        }

        if boardRebuilt || last == nil {
            for entry in pending { try settle(entry, boardRebuilt ? .notApplied : .inDoubt) }
            try openSession(status)
            return result
        }
        guard let last else { return result }
        let sameSession = last.session == status.sessionID
        if last.session != nil && !sameSession {
            result.boardRestarted = true
            result.notes.append("board session changed (was \(last.session.map(BoardSessionRecord.text) ?? "none"), now "
                                + "\(status.sessionID.map(BoardSessionRecord.text) ?? "none")): the board restarted since run \(runID) "
                                + "last reached it; its reply cache and pulse counter are new, so what the records claim is read back before it is trusted")
            for entry in pending { try settle(entry, .inDoubt) }
            if !pending.isEmpty {
                result.notes.append("\(pending.count) operation(s) in doubt: whether they ran before the restart cannot be known")
            }
            try openSession(status)
            return result
        }

        let link = board as? SequencedBoard
        for entry in pending {
            if sameSession, last.session != nil, let link, let wire = entry.wireSequence, entry.boardSession == last.session,
               let number = UInt16(exactly: wire), let request = try OperationRunner.request(for: entry.operation) {
                do {
                    let reply = try link.resend(request, sequence: number)
                    let measured = try OperationRunner.measurements(reply, for: entry.operation)
                    try store.logResult(run: runID, seq: entry.seq, measuredSiemens: measured)
                    result.settled.append((entry.seq, .done))
                    result.notes.append("operation \(entry.seq) (\(entry.operation.kindName), wire sequence \(wire)) settled by the board's reply cache")
                    continue
                } catch BoardError.fault(let fault) where fault.code != .staleSequence {
                    // The board answered the request itself with a refusal: it was not carried out.
                    try settle(entry, .notApplied)
                    result.notes.append("operation \(entry.seq) was refused by the board (\(fault)); nothing was applied")
                    continue
                } catch BoardError.fault {
                    // Fell out of the reply window: the counter settles it below.
                }
            }
            let state = try settledByCounter(entry, status: try board.sessionStatus(identity), session: last)
            try settle(entry, state)
            result.notes.append("operation \(entry.seq) (\(entry.operation.kindName)) settled by the pulse counter: \(state.rawValue)")
        }
        // Settling may have run a request: the counter is read again.
        try compare(status: try board.sessionStatus(identity), session: last, when: "at the start of the resumed run")
        return result
    }

    /// Compares the board's counter with the ledger in the run's latest session (at the end of
    /// a run).
    ///
    /// - Throws: ``ReconciliationError`` when the board restarted during the run or the counter
    ///   and the ledger differ; ``BoardError``; store errors.
    public func check(when: String) throws {
        let status = try board.sessionStatus(identity)
        guard let last = try store.boardSessions(run: runID).last else {
            throw ReconciliationError.noSession(run: runID)
        }
        if last.session != status.sessionID {
            throw ReconciliationError.boardRestarted(run: runID, was: last.session, now: status.sessionID)
        }
        try compare(status: status, session: last, when: when)
    }

    private func openSession(_ status: BoardStatus) throws {
        try store.openBoardSession(run: runID, BoardSessionRecord(session: status.sessionID, counterStart: status.pulsesApplied,
                                                                  ledgerStart: try store.appliedPulses(run: runID), openedAt: Date()))
    }

    /// The counter's gain and the ledger's gain since the run reached `session`.
    private func gains(status: BoardStatus, session: BoardSessionRecord) throws -> (board: Int64, ledger: Int64) {
        let board = Int64(bitPattern: status.pulsesApplied &- session.counterStart)
        let ledger = Int64(try store.appliedPulses(run: runID) - session.ledgerStart)
        return (board, ledger)
    }

    private func settledByCounter(_ entry: JournalEntry, status: BoardStatus, session: BoardSessionRecord) throws -> OperationState {
        guard case .pulseBatch(_, _, _, _, let pulses) = entry.operation else {
            // A read or a wait applies nothing; its lost result is simply not used.
            return .notApplied
        }
        let (board, ledger) = try gains(status: status, session: session)
        if board == ledger { return .notApplied }
        if board == ledger + Int64(pulses.count) { return .applied }
        return .inDoubt
    }

    private func compare(status: BoardStatus, session: BoardSessionRecord, when: String) throws {
        let (board, ledger) = try gains(status: status, session: session)
        guard board == ledger else {
            throw ReconciliationError.counterMismatch(run: runID, when: when, session: session.session,
                                                      boardPulses: board, ledgerPulses: ledger)
        }
    }
}

/// The board and a run's ledger do not agree.
public enum ReconciliationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Since the run reached the board session, the board's counter gained `boardPulses`
    /// cell-pulses and the ledger `ledgerPulses`.
    case counterMismatch(run: Int64, when: String, session: UInt64?, boardPulses: Int64, ledgerPulses: Int64)
    /// The board reports another session than the one the run started in: it restarted.
    case boardRestarted(run: Int64, was: UInt64?, now: UInt64?)
    /// The run has no recorded board session to compare with.
    case noSession(run: Int64)

    public var description: String {
        switch self {
        case let .counterMismatch(run, when, session, board, ledger):
            return "run \(run) \(when): the board's pulse counter gained \(board) cell-pulses in session "
                + "\(session.map(BoardSessionRecord.text) ?? "(none)") and the ledger records \(ledger) applied "
                + "(difference \(board - ledger)); stopped: a pulse was applied that the ledger does not hold, or the "
                + "reverse, or another program pulsed the board"
        case let .boardRestarted(run, was, now):
            return "run \(run): the board restarted during the run (session \(was.map(BoardSessionRecord.text) ?? "none") → "
                + "\(now.map(BoardSessionRecord.text) ?? "none")); resume it to read back what the records claim"
        case .noSession(let run):
            return "run \(run) has no recorded board session to compare the pulse counter with"
        }
    }
}
