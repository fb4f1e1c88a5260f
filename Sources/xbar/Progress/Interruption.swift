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

    private func deliver(_ signalNumber: Int32) {
        let first = lock.withLock { () -> Bool in
            if received != nil { return false }
            received = signalNumber
            return true
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
