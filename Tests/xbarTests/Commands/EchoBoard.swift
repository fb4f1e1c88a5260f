import Foundation
import XbarTransport

/// A board that returns every byte it receives, on a pseudo-terminal, served by a thread of the
/// test process; or, when not `echoing`, a board that never answers. `stop()` closes the
/// terminal; the serving thread ends with it.
final class EchoBoard: Sendable {
    let terminal: PseudoTerminal
    private let served = DispatchSemaphore(value: 0)

    init(echoing: Bool = true) throws {
        terminal = try PseudoTerminal()
        let terminal = self.terminal
        let served = self.served
        guard echoing else {
            served.signal()
            return
        }
        Thread {
            defer { served.signal() }
            while true {
                do {
                    let bytes = try terminal.read(upTo: 65_536, timeout: .seconds(3600))
                    try terminal.write(bytes, timeout: .seconds(10))
                } catch TransportError.timedOut {
                    continue
                } catch {
                    return
                }
            }
        }.start()
    }

    var path: String { terminal.slavePath }

    func stop() {
        terminal.close()
        served.wait()
    }
}
