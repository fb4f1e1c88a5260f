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
    ///   `faults.resetAfterRequests` plans (a power cycle: a plain simulated chip keeps nothing,
    ///   one kept in a chip state file comes back from it).
    /// - Throws: ``BoardError`` when connecting fails (every IDENTIFY or STATUS lost).
    static func open(instrument: Instrument, faults: LinkFaults, policy: RemoteBoard.RetryPolicy,
                     makeBoard: @escaping @Sendable () throws -> any Board) throws(BoardError) -> RemoteBoard {
        let (hostEnd, boardEnd) = InMemoryTransport.pair(name: "in-process link")
        let boardSide = FaultInjectingTransport(boardEnd, faults: faults)
        Thread.detachNewThread {
            // A board that cannot be built leaves the link silent: the host's connect times out.
            guard let first = try? makeBoard() else { return }
            let server = BoardServer(board: first, transport: boardSide)
            server.restartAfterRequests = faults.resetAfterRequests
            server.restartBoard = { try makeBoard() }
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
