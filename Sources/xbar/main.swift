import ArgumentParser
// `stdout` is a C global; setting its buffering once, before anything runs, is safe.
#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
@preconcurrency import Darwin
#endif

struct Xbar: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "xbar",
        abstract: "Program, read, calibrate and run memristor crossbar test boards.",
        version: XbarVersion.current,
        subcommands: [
            // Each subcommand lives in its own file under Commands/. The lab's jobs come first.
            ProgramCommand.self,
            ReadCommand.self,
            InferCommand.self,
            CalibrateCommand.self,
            STMCommand.self,
            RetentionCommand.self,
            EnduranceCommand.self,
            DisturbCommand.self,
            RunsCommand.self,
            ReportCommand.self,
            PulseCommand.self,
            FormCommand.self,
            SweepCommand.self,
            IdentifyCommand.self,
            DevicesCommand.self,
            InstrumentsCommand.self,
            SimCommand.self,
        ])
}
// Results go out line by line even into a pipe or a file, so a run killed halfway has
// printed everything it finished (progress goes to standard error, which is not buffered).
setvbuf(stdout, nil, _IOLBF, 0)
LogVerbosity.bootstrap()
Xbar.main()
