import Foundation
import Glibc

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
        guard started.status == 0 else { throw Failure(description: "tmux new-session failed with status \(started.status)") }
    }

    /// Types `line` and presses Enter.
    func type(_ line: String) throws {
        try tmux(["send-keys", "-t", target, "-l", line])
        try tmux(["send-keys", "-t", target, "Enter"])
    }

    /// Presses a key, e.g. `C-c`.
    func press(_ key: String) throws { try tmux(["send-keys", "-t", target, key]) }

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

    /// Runs the tmux client and waits for it. Spawned directly, with every signal unblocked and
    /// SIGINT and SIGTERM at their default action: the tmux server it may start, and every program
    /// in the session, must not inherit a mask from the test runner (Ctrl-C must reach them).
    @discardableResult
    private func tmux(_ arguments: [String]) throws -> (status: Int32, standardOutput: String) {
        guard let executable = Self.executable else { throw Failure(description: "tmux is not installed") }
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("xbar-tmux-\(UUID().uuidString)").path
        defer { unlink(output) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signalNumber in [SIGINT, SIGTERM, SIGPIPE, SIGCHLD] { sigaddset(&defaults, signalNumber) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let words = [executable, "-L", socket, "-f", "/dev/null"] + arguments
        let environment = ProcessInfo.processInfo.environment.map { "\($0.key)=\($0.value)" }
        var argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        var envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, executable, &actions, &attributes, &argv, &envp)
        guard spawned == 0 else { throw Failure(description: "cannot start tmux: \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        // WIFEXITED/WEXITSTATUS are macros Swift does not import.
        let exited = status & 0x7f == 0
        return (exited ? (status >> 8) & 0xff : -1, text)
    }
}
