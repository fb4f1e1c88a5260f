import Dispatch
import Foundation

/// Ctrl-C (SIGINT) and SIGTERM during a job: the first one asks the job to stop at the next
/// operation boundary (so nothing is half logged and the run can be marked `interrupted`); a
/// second one ends the process at once, for a job stuck waiting on a board.
///
/// The signals are taken from their default action and delivered to a dispatch source, so the
/// flag is set on an ordinary thread rather than inside a signal handler.
final class Interruption: @unchecked Sendable {
    /// The exit status of a run stopped by a signal, as shells report Ctrl-C (128 + SIGINT).
    static let exitStatus: Int32 = 130

    private let lock = NSLock()
    private var received: Int32?
    private var sources: [any DispatchSourceSignal] = []
    private var abandon: (@Sendable () -> Void)?

    /// Starts listening for SIGINT and SIGTERM; ``stop()`` gives them back their default action.
    init() {
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { [weak self] in self?.deliver(signalNumber) }
            source.resume()
            sources.append(source)
        }
    }

    /// The signal that asked to stop (SIGINT or SIGTERM), if one did.
    var signalReceived: Int32? { lock.withLock { received } }

    /// Whether the job should stop before its next operation.
    var isRequested: Bool { signalReceived != nil }

    /// `SIGINT` or `SIGTERM`, for messages.
    var signalName: String { signalReceived == SIGTERM ? "SIGTERM" : "SIGINT" }

    /// From now on a signal does not wait for an operation boundary: `action` runs at once (it
    /// marks the run and says how to resume) and the process exits with 130. For a stage with
    /// nothing to lose, such as fitting measurements that are already saved. A signal that
    /// arrived before runs it now.
    func abandonAtOnce(_ action: @escaping @Sendable () -> Void) {
        let pending = lock.withLock { () -> Bool in
            abandon = action
            return received != nil
        }
        if pending {
            action()
            _exit(Self.exitStatus)
        }
    }

    /// Back to stopping at the next operation boundary after ``abandonAtOnce(_:)``: for the
    /// step that saves what the abandonable stage produced.
    func waitForBoundary() {
        lock.withLock { abandon = nil }
    }

    private func deliver(_ signalNumber: Int32) {
        let (first, action) = lock.withLock { () -> (Bool, (@Sendable () -> Void)?) in
            if received != nil { return (false, abandon) }
            received = signalNumber
            return (true, abandon)
        }
        if let action {
            action()
            _exit(Self.exitStatus)
        }
        if first {
            FileHandle.standardError.write(Data("\nxbar: stopping after the operation in flight (again to quit at once)\n".utf8))
        } else {
            FileHandle.standardError.write(Data("\nxbar: quitting at once; the run stays `running` and resumes with --resume\n".utf8))
            _exit(Self.exitStatus)
        }
    }

    /// Gives SIGINT and SIGTERM back their default action.
    func stop() {
        for source in sources { source.cancel() }
        sources = []
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}
