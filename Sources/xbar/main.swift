import ArgumentParser

struct Xbar: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "xbar",
        abstract: "Program, read, calibrate and run memristor crossbar test boards.",
        subcommands: [
            // Each subcommand lives in its own file under Commands/.
            InstrumentsCommand.self,
            DevicesCommand.self,
            IdentifyCommand.self,
            SimCommand.self,
            InferCommand.self,
            PulseCommand.self,
            CalibrateCommand.self,
            STMCommand.self,
        ])
}
Xbar.main()
