import ArgumentParser
import XbarBoard
import XbarWire

struct PulseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pulse",
        abstract: "Apply one pulse to selected cells.",
        discussion: """
            Positive amplitudes SET (raise conductance), negative ones RESET (--volts -1.8). The pulse is checked \
            against the instrument's limits before it is sent and refused, never clamped, when \
            outside them. Units: volts and seconds, with SI prefixes if wanted (--width 1us, --volts -1.8V).

            Examples:
              xbar pulse --board sim --instrument usb-4x64 --tile 0 --cells 3,5 --volts 2.0 --width 1e-6
              xbar pulse --board serial:/dev/ttyUSB0 --instrument serial-32x32 --cells row:4 --volts -1.8V --width 500ns --scheme half-voltage
            """)

    @OptionGroup var boardOptions: BoardOptions
    @OptionGroup var selection: CellSelection

    @Option(parsing: .unconditional, help: "Pulse amplitude, volts (negative to RESET): -1.8, 2V, 800mV.",
            transform: QuantityArgument.volts)
    var volts: Double

    @Option(parsing: .unconditional, help: "Pulse width, seconds: 1e-6, 1us, 500ns.", transform: QuantityArgument.seconds)
    var width: Double

    @Option(help: "Bias scheme: grounded, half-voltage or third-voltage (default: the instrument's).")
    var scheme: BiasSchemeArgument?

    func validate() throws {
        try boardOptions.simulation.requireInstrument()
    }

    func run() throws {
        let (board, instrument) = try boardOptions.openBoard()
        let bias = scheme?.scheme ?? instrument.defaultBiasScheme
        let receipt = try board.pulse(try selection.cellSet(), amplitudeVolts: volts, widthSeconds: width, scheme: bias)
        print("applied \(receipt.appliedCount) cell-pulses of \(volts) V, \(width) s on \(board.backendDescription) (board time \(Double(receipt.boardTimeNanoseconds) * 1e-9) s, compliance hits \(receipt.complianceHits))")
    }
}
