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

            Each start is a new board session (a random id STATUS reports): the reply cache and \
            the pulse counter (cell-pulses since power-up) start empty. With --state FILE the \
            chip's non-volatile conductances are saved to FILE after every request that pulsed \
            and restored from it at the next start, as a real chip keeps them across a power \
            cycle; without it every start is a fresh chip drawn from --seed. --pristine starts \
            with unformed cells (form them with `xbar form`); a chip is formed otherwise. \
            --faults damages the link both ways and can restart the board or close the link \
            after N requests.

            Examples:
              xbar sim --instrument usb-4x64 --pty --link /tmp/xbar-board &
              xbar identify --board serial:/tmp/xbar-board --instrument usb-4x64
              xbar sim --instrument usb-4x64 --pty --link /tmp/xbar-board --state chip.state --faults drop=0.05,corrupt=0.02
              xbar sim --instrument usb-4x64 --pty --link /tmp/xbar-board --state chip.state --pristine
            """)

    @OptionGroup var simulation: SimulationOptions

    @Flag(help: "Serve on a new pseudo-terminal (the only link the emulator offers).")
    var pty = false

    @Option(help: "Also make this path a symlink to the pseudo-terminal; removed on exit.")
    var link: String?

    @Flag(help: "Pace board time with wall-clock time instead of the virtual clock.")
    var realTime = false

    @Option(help: ArgumentHelp("Keep the chip's non-volatile conductances in this file across emulator restarts (created at the first start).", valueName: "path"))
    var state: String?

    func validate() throws {
        try simulation.requireInstrument()
        _ = try simulation.linkFaults()
    }

    func run() throws {
        guard pty else {
            throw ValidationError("xbar sim serves on a pseudo-terminal: add --pty")
        }
        let instrument = try simulation.loadInstrument()
        let faults = try simulation.linkFaults()
        let stateFile = state.map(ChipStateFile.init(path:))
        // A power-up: a fresh chip from the seed, or the saved one.
        let powerUp: () throws -> any Board = {
            // A saved chip keeps its own forming: --pristine makes only a new chip pristine.
            let chip = try simulation.makeSimulatedBoard(instrument: instrument, realTime: realTime,
                                                         pristine: simulation.pristine && !(stateFile?.exists ?? false))
            guard let stateFile else { return chip }
            if stateFile.exists {
                try stateFile.restore(into: chip)
                FileHandle.standardError.write(Data("xbar sim: chip state restored from \(stateFile.path)\n".utf8))
            } else {
                try stateFile.save(chip)
            }
            return ChipStateKeeper(board: chip, file: stateFile) { error in
                FileHandle.standardError.write(Data("xbar sim: ERROR: \(error); the chip state on disk is stale\n".utf8))
            }
        }
        let board = try powerUp()
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
        let transport: any ByteTransport = faults.map { FaultInjectingTransport(terminal, faults: $0) } ?? terminal
        let server = BoardServer(board: board, transport: transport)
        if let faults {
            server.restartAfterRequests = faults.resetAfterRequests
            server.restartBoard = powerUp
            server.unplugAfterRequests = faults.unplugAfterRequests
            server.announce = { FileHandle.standardError.write(Data("xbar sim: \($0)\n".utf8)) }
            FileHandle.standardError.write(Data("xbar sim: link faults \(faults)\n".utf8))
        }
        // A host closing the device is not the end: the next one may open it.
        while !stopRequested.load(ordering: .relaxed) && !server.isUnplugged {
            try server.serve(until: { stopRequested.load(ordering: .relaxed) })
            usleep(20_000)
        }
        FileHandle.standardError.write(Data("xbar sim: stopped after \(server.executedCount) requests (\(server.replayedCount) answered from the reply cache)\n".utf8))
    }
}
