import ArgumentParser

struct Xbar: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "xbar",
        abstract: "Program, read, calibrate and run memristor crossbar test boards.",
        subcommands: [
            // Each subcommand lives in its own file under Commands/. The lab's jobs come first.
            ProgramCommand.self,
            ReadCommand.self,
            InferCommand.self,
            CalibrateCommand.self,
            STMCommand.self,
            RunsCommand.self,
            ReportCommand.self,
            PulseCommand.self,
            IdentifyCommand.self,
            DevicesCommand.self,
            InstrumentsCommand.self,
            SimCommand.self,
        ])
}
Xbar.main()
