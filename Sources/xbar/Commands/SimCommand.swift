import ArgumentParser
import Foundation
import Synchronization
import XbarBoard
import XbarInstrument
import XbarTransport

/// Set by SIGINT/SIGTERM; the serve loop polls it.
private let stopRequested = Atomic<Bool>(false)

struct SimCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sim",
        abstract: "Run the simulated board as a board emulator behind a pseudo-terminal.",
        discussion: """
            The emulator speaks wire protocol v1 on the pseudo-terminal exactly as a physical \
            board speaks it on its serial port, so any command can reach it with \
            --board serial:PATH. It prints the device path on the first line of standard \
            output (and places a symlink at --link PATH if given), then serves until SIGINT \
            or SIGTERM.

            Example:
              xbar sim --instrument usb-4x64 --pty --link /tmp/xbar-board &
              xbar identify --board serial:/tmp/xbar-board --instrument usb-4x64
            """)

    @OptionGroup var simulation: SimulationOptions

    @Flag(help: "Serve on a new pseudo-terminal (the only link the emulator offers).")
    var pty = false

    @Option(help: "Also make this path a symlink to the pseudo-terminal; removed on exit.")
    var link: String?

    @Flag(help: "Pace board time with wall-clock time instead of the virtual clock.")
    var realTime = false

    func validate() throws {
        try simulation.requireInstrument()
    }

    func run() throws {
        guard pty else {
            throw ValidationError("xbar sim serves on a pseudo-terminal: add --pty")
        }
        let instrument = try simulation.loadInstrument()
        let board = try simulation.makeSimulatedBoard(instrument: instrument, realTime: realTime)
        let terminal = try PseudoTerminal(linkPath: link)
        defer { terminal.close() }
        // A parent may have started us with these signals blocked; we rely on them to stop cleanly.
        var stopSignals = sigset_t()
        sigemptyset(&stopSignals)
        sigaddset(&stopSignals, SIGINT)
        sigaddset(&stopSignals, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &stopSignals, nil)
        signal(SIGINT) { _ in stopRequested.store(true, ordering: .relaxed) }
        signal(SIGTERM) { _ in stopRequested.store(true, ordering: .relaxed) }
        FileHandle.standardOutput.write(Data((terminal.slavePath + "\n").utf8))
        FileHandle.standardError.write(Data("xbar sim: \(instrument.name) simulated board on \(terminal.slavePath)\(link.map { " (link \($0))" } ?? ""); stop with SIGINT or SIGTERM\n".utf8))
        let server = BoardServer(board: board, transport: terminal)
        // A host closing the device is not the end: the next one may open it.
        while !stopRequested.load(ordering: .relaxed) {
            try server.serve(until: { stopRequested.load(ordering: .relaxed) })
            usleep(20_000)
        }
        FileHandle.standardError.write(Data("xbar sim: stopped after \(server.executedCount) requests (\(server.replayedCount) answered from the reply cache)\n".utf8))
    }
}
