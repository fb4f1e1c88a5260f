import Foundation

/// Lets reads and writes run on several threads while `close()` waits for them to leave before
/// the handle underneath is freed, so no operation ever touches a closed handle.
final class OperationGate: @unchecked Sendable {
    private let state = NSCondition()
    private var closed = false
    private var inProgress = 0
    /// How an operation on the closed transport is explained, e.g. "the port was closed on this side".
    private let closedReason: String

    init(closedReason: String) {
        self.closedReason = closedReason
    }

    var isClosed: Bool { state.withLock { closed } }

    /// The error of an operation attempted after `close()`.
    func closedError(_ operation: String) -> TransportError {
        .disconnected(operation: operation, reason: closedReason, cause: nil)
    }

    /// Runs `body` unless the gate is closed, holding `close()` off until it returns.
    func run<T>(_ operation: String, _ body: () throws(TransportError) -> T) throws(TransportError) -> T {
        state.lock()
        if closed {
            state.unlock()
            throw closedError(operation)
        }
        inProgress += 1
        state.unlock()
        defer {
            state.lock()
            inProgress -= 1
            state.broadcast()
            state.unlock()
        }
        return try body()
    }

    /// Closes the gate: `wake` runs once (to interrupt operations blocked in the library), then
    /// the call waits for operations in progress to leave.
    ///
    /// - Returns: false when the gate was already closed (the caller frees nothing twice).
    func close(waking wake: () -> Void = {}) -> Bool {
        state.lock()
        defer { state.unlock() }
        if closed { return false }
        closed = true
        wake()
        while inProgress > 0 { state.wait() }
        return true
    }
}
