import Foundation
import XbarInstrument
import XbarTransport

/// A simulated board reached the way a remote one is: served on its own thread over an
/// in-process link that injects ``LinkFaults``, with a ``RemoteBoard`` as the host side. Lets
/// `--board sim --faults ...` exercise retries, the reply cache and board restarts without an
/// emulator process or a device.
enum FaultySimulatedLink {
    /// Starts the board's thread and connects to it.
    ///
    /// - Parameter makeBoard: builds the board, at the start and again after a restart that
    ///   `faults.resetAfterRequests` plans (a power cycle: the in-process chip keeps nothing).
    /// - Throws: ``BoardError`` when connecting fails (every IDENTIFY or STATUS lost).
    static func open(instrument: Instrument, faults: LinkFaults, policy: RemoteBoard.RetryPolicy,
                     makeBoard: @escaping @Sendable () -> SimulatedBoard) throws(BoardError) -> RemoteBoard {
        let (hostEnd, boardEnd) = InMemoryTransport.pair(name: "in-process link")
        let boardSide = FaultInjectingTransport(boardEnd, faults: faults)
        Thread.detachNewThread {
            let server = BoardServer(board: makeBoard(), transport: boardSide)
            server.restartAfterRequests = faults.resetAfterRequests
            server.restartBoard = { makeBoard() }
            server.unplugAfterRequests = faults.unplugAfterRequests
            server.announce = { FileHandle.standardError.write(Data("xbar: simulated board: \($0)\n".utf8)) }
            // Ends when the host closes its end (or the process exits).
            try? server.serve(pollSeconds: 0.05)
        }
        do {
            return try RemoteBoard(transport: hostEnd, instrument: instrument, description: "simulated (faults \(faults))", policy: policy)
        } catch {
            hostEnd.close()
            throw error
        }
    }
}
