import Foundation
import XbarStore

/// Where a job logs what it sends: intent before, result after.
public protocol OperationJournal: AnyObject {
    /// Logs an operation before it is sent; returns its sequence number in the run.
    func logIntent(_ operation: JournalOperation) throws -> Int
    /// Logs an operation before it is sent, with the wire sequence number its request will
    /// carry and the board session it goes to (nil where the link has none); returns its
    /// sequence number in the run.
    func logIntent(_ operation: JournalOperation, wireSequence: Int?, boardSession: UInt64?) throws -> Int
    /// Logs an operation's result (measured conductances in its cell order, siemens).
    func logResult(seq: Int, measuredSiemens: [Double], at date: Date) throws
}

/// A journal in the run store, for one run.
public final class StoreJournal: OperationJournal {
    public let store: RunStore
    public let runID: Int64

    public init(store: RunStore, runID: Int64) {
        self.store = store
        self.runID = runID
    }

    public func logIntent(_ operation: JournalOperation) throws -> Int {
        try store.logIntent(run: runID, operation)
    }

    public func logIntent(_ operation: JournalOperation, wireSequence: Int?, boardSession: UInt64?) throws -> Int {
        try store.logIntent(run: runID, operation, wireSequence: wireSequence, boardSession: boardSession)
    }

    public func logResult(seq: Int, measuredSiemens: [Double], at date: Date) throws {
        try store.logResult(run: runID, seq: seq, measuredSiemens: measuredSiemens, at: date)
    }
}

/// A journal that keeps nothing: for benchmarks and throw-away runs.
public final class DiscardingJournal: OperationJournal {
    var next = 0
    public init() {}
    public func logIntent(_ operation: JournalOperation) throws -> Int {
        defer { next += 1 }
        return next
    }
    public func logResult(seq: Int, measuredSiemens: [Double], at date: Date) throws {}
}

extension OperationJournal {
    /// A journal that keeps no link details logs the operation alone.
    public func logIntent(_ operation: JournalOperation, wireSequence: Int?, boardSession: UInt64?) throws -> Int {
        try logIntent(operation)
    }
}
