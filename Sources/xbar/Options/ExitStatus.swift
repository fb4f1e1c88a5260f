import ArgumentParser

/// The exit statuses `xbar` documents (README, "Exit status").
enum ExitStatus {
    /// A program run ended with fewer cells in tolerance than `--min-yield` asked for.
    static let yieldBelowMinimum = ExitCode(3)
    /// The run was stopped by Ctrl-C or SIGTERM and marked `interrupted`.
    static let interrupted = ExitCode(Interruption.exitStatus)
}

/// A run that stopped on an error at run time (a board that stopped answering, a store that
/// could not be written): not a usage error, so no usage text is printed; it says how to resume.
struct RunStopped: Error, CustomStringConvertible {
    var description: String
}
