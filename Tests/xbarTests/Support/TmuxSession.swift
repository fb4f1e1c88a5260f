import Foundation

/// A terminal session in tmux that a test types into and reads, as a person at a terminal
/// would: the programs it runs see a real terminal (a pseudo-terminal with a size). Each session
/// has its own tmux server (its own socket), killed by ``kill()``, so tests never meet.
struct TmuxSession {
    /// tmux's path, or nil when it is not installed.
    static let executable: String? = ["/usr/bin/tmux", "/usr/local/bin/tmux", "/opt/homebrew/bin/tmux"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    let socket = "xbar-test-\(UUID().uuidString.prefix(8))"
    let target = "lab"

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Starts a shell (bash without start-up files, prompt `$ `) in `directory`, `columns` wide,
    /// with `environment` set.
    init(directory: URL, environment: [String: String], columns: Int = 200, rows: Int = 50) throws {
        let variables = environment.merging(["PS1": "$ ", "TERM": "xterm-256color"]) { $1 }
            .map { "\($0.key)=\($0.value)" }.sorted()
        let started = try tmux(["new-session", "-d", "-s", target, "-x", String(columns), "-y", String(rows), "-c", directory.path,
                                "env"] + variables + ["bash", "--norc", "--noprofile"])
        guard started.status == 0 else { throw Failure(description: "tmux new-session failed: \(started)") }
    }

    /// Types `line` and presses Enter.
    func type(_ line: String) throws {
        _ = try tmux(["send-keys", "-t", target, "-l", line])
        _ = try tmux(["send-keys", "-t", target, "Enter"])
    }

    /// Presses a key, e.g. `C-c`.
    func press(_ key: String) throws { _ = try tmux(["send-keys", "-t", target, key]) }

    /// What the terminal shows, with its scroll-back.
    func screen() throws -> String { try tmux(["capture-pane", "-p", "-J", "-t", target, "-S", "-500"]).standardOutput }

    /// Reads the screen every 50 ms until `condition` holds; returns that screen.
    ///
    /// - Throws: ``Failure`` with the last screen when it does not within `seconds`.
    func wait(seconds: Double, for what: String, until condition: (String) -> Bool) throws -> String {
        let deadline = Date().addingTimeInterval(seconds)
        var last = ""
        while Date() < deadline {
            last = try screen()
            if condition(last) { return last }
            usleep(50_000)
        }
        throw Failure(description: "waited \(seconds) s for \(what); the terminal shows:\n\(last)")
    }

    /// Ends the session and its server, and whatever still runs in it.
    func kill() { _ = try? tmux(["kill-server"]) }

    private func tmux(_ arguments: [String]) throws -> ChildRun {
        guard let executable = Self.executable else { throw Failure(description: "tmux is not installed") }
        return try runChild(executable, ["-L", socket, "-f", "/dev/null"] + arguments, limit: .seconds(20))
    }
}
