import ArgumentParser

/// `-q/--quiet`: whether a long job shows its progress (on standard error).
struct ProgressOptions: ParsableArguments {
    @Flag(name: [.short, .long], help: "Show no progress (results and errors are still printed).")
    var quiet = false

    /// The display for this command: silent with `--quiet`, a live bar on a terminal, else one
    /// line per finished stage.
    func display() -> ProgressDisplay { ProgressDisplay(mode: quiet ? .silent : .forStandardError()) }
}
