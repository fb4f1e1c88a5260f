import XbarBoard
import XbarInstrument
import XbarTransport

extension BoardEmulatorProcess {
    /// A remote board over the emulator's pseudo-terminal, through the serial transport, the
    /// codec and the board server, as `xbar --board serial:PATH` connects.
    func remoteBoard(instrument: Instrument) throws -> RemoteBoard {
        let transport = try SerialTransport.open(path: devicePath, configuration: SerialConfiguration(baudRate: 921_600))
        return try RemoteBoard(transport: transport, instrument: instrument, description: "serial:\(devicePath)")
    }
}
