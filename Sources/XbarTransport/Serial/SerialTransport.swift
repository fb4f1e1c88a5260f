/// Opens serial ports, choosing the driver that can handle the device.
public enum SerialTransport {
    /// Opens the serial port at `path` with the given line settings.
    ///
    /// Pseudo-terminals (board emulators) are opened through termios, which libserialport cannot
    /// do. Other ports are opened through libserialport, falling back to termios for a device
    /// libserialport does not know (one without a `/sys/class/tty` entry). The returned
    /// transport's `description` names the driver used.
    ///
    /// - Throws: `.notFound`, `.inUse`, `.invalidConfiguration`, `.system`; see `SerialPort` and
    ///   `TermiosSerialPort`.
    public static func open(path: String, configuration: SerialConfiguration) throws(TransportError)
        -> any ByteTransport
    {
        if isPseudoTerminal(path) {
            return try TermiosSerialPort(path: path, configuration: configuration)
        }
        do {
            return try SerialPort(path: path, configuration: configuration)
        } catch .notFound {
            return try TermiosSerialPort(path: path, configuration: configuration)
        }
    }
}
