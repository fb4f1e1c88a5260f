import Foundation
import Testing
import XbarStore

@Suite("xbar at a terminal: progress bar, Ctrl-C and resume", .serialized)
struct TerminalSessionTests {
    @Test("program over the emulator shows an advancing bar; Ctrl-C marks the run interrupted and the printed command completes it",
          .enabled(if: TmuxSession.executable != nil, "tmux is not installed (apt-get install tmux): no terminal to script"))
    func progressBarAndControlC() throws {
        let emulator = try BoardEmulatorProcess(instrument: "usb-4x64", extraArguments: ["--seed", "4"])
        defer { _ = emulator.stop() }
        let lab = try LabFolder()
        defer { lab.cleanup() }
        let targets = try lab.python("""
            import numpy
            numpy.save('all.npy', numpy.random.default_rng(2).uniform(5e-6, 60e-6, (256, 64)))
            """)
        try #require(targets.status == 0, "python3 with numpy writes the targets: \(targets)")
        let binFolder = try XbarExecutable.url().deletingLastPathComponent().path
        let session = try TmuxSession(directory: lab.url, environment: [
            "PATH": binFolder + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"),
            "XBAR_INSTRUMENTS": XbarExecutable.instrumentsFolder, "XBAR_STORE": lab.storePath,
        ])
        defer { session.kill() }

        // ISPP at a 0.3 % tolerance takes about 150 round trips per tile over the serial line:
        // seconds per tile, long enough to watch the bar move.
        try session.type("xbar program --board serial:\(emulator.devicePath) --instrument usb-4x64 --target all.npy "
                         + "--algorithm ispp --tolerance 0.3%; echo \"exit status $?\"")
        let bar = /tile (\d+)  \[[#.]+\]  (\d+)\/4096 cells  [0-9.e+]+ cells\/s  (\S+) left/
        func position(_ screen: String) -> (tile: Int, cells: Int)? {
            guard let match = screen.matches(of: bar).last, let tile = Int(match.1), let cells = Int(match.2) else { return nil }
            return (tile, cells)
        }
        let first = try session.wait(seconds: 60, for: "a progress bar with cells done") { position($0).map { $0.cells > 0 } ?? false }
        let start = try #require(position(first))
        let later = try session.wait(seconds: 60, for: "the bar to advance past tile \(start.tile), \(start.cells) cells") { screen in
            guard let now = position(screen) else { return false }
            return (now.tile, now.cells) > (start.tile, start.cells)
        }
        let advanced = try #require(position(later))
        #expect((advanced.tile, advanced.cells) > (start.tile, start.cells))
        // The bar redraws one line in place: never one line per update.
        #expect(later.matches(of: bar).count == 1, "one live bar line: \(later)")

        try session.press("C-c")
        // The typed line shows `exit status $?`; the printed one has the number.
        let stopped = try session.wait(seconds: 30, for: "the exit status after Ctrl-C") { $0.contains(/exit status \d+/) }
        #expect(stopped.contains("exit status 130"), "\(stopped)")
        #expect(stopped.contains("run 1 interrupted; resume it with:"), "\(stopped)")
        let store = try RunStore(path: lab.storePath)
        #expect(try store.run(1).status == .interrupted)
        let list = try lab.run(["runs", "list"])
        let row = try #require(list.standardOutput.split(separator: "\n").first { $0.hasPrefix("1 ") }, "\(list)")
        #expect(row.contains("interrupted"), "\(list)")
        // Nothing half logged: every operation sent has its result.
        #expect(try store.journal(run: 1).allSatisfy { $0.state == .done }, "no operation awaits a result after Ctrl-C")

        // Type the resume command exactly as printed.
        let lines = stopped.split(separator: "\n").map(String.init)
        let announce = try #require(lines.lastIndex { $0.contains("resume it with:") })
        let command = lines[announce + 1].trimmingCharacters(in: .whitespaces)
        #expect(command == "xbar program --resume 1 --store \(lab.storePath)")
        try session.type("clear; " + command + "; echo \"resumed status $?\"")
        let finished = try session.wait(seconds: 420, for: "the resumed run to finish") { $0.contains(/resumed status \d+/) }
        #expect(finished.contains("resumed status 0"), "\(finished)")
        #expect(finished.contains("run 1 completed"), "\(finished)")
        #expect(try store.run(1).status == .completed)
        #expect(try store.outcomes(run: 1).count == 4 * 4096)
    }
}
