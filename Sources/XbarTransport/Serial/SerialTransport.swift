/// Opens serial ports, choosing the driver that can handle the device.
public enum SerialTransport {
    /// Opens the serial port at `path` with the given line settings.
    ///
    /// Pseudo-terminals (board emulators) are opened through termios, which libserialport cannot
    /// do; the returned transport's `description` names the driver used.
    ///
    /// - Throws: `.notFound`, `.inUse`, `.invalidConfiguration`, `.system`; see `TermiosSerialPort`.
    public static func open(path: String, configuration: SerialConfiguration) throws(TransportError)
        -> any ByteTransport
    {
        try TermiosSerialPort(path: path, configuration: configuration)
    }
}
