#if os(Linux)
import Glibc
#else
#error("XbarTransport drives serial lines through Linux termios, /dev/pts and /sys: XbarLab builds on Linux only")
#endif

/// A serial port driven directly through termios: the transport for pseudo-terminals (which
/// libserialport cannot open) and the fallback for ports libserialport does not know.
///
/// Opening takes an exclusive `flock` on the device, so a second opener, in this process or
/// another, gets `.inUse` naming the holder. On a real tty it also sets `TIOCEXCL`; not on a
/// pseudo-terminal, where the flag would outlive a crashed holder (the board emulator keeps the
/// terminal open) and lock every later opener out.
public final class TermiosSerialPort: ByteTransport {
    /// The path the port was opened with.
    public let path: String
    public let configuration: SerialConfiguration
    private let stream: DescriptorStream

    /// Opens `path` in raw mode with the given line settings, flushing anything already queued.
    ///
    /// - Throws: `.notFound` when no such device exists; `.inUse` when another open file holds it;
    ///   `.invalidConfiguration` for a baud rate termios lacks or impossible settings; `.system`
    ///   for other failures (`EACCES`: the user may not open it).
    /// The corresponding C functions are `open`, `flock`, `cfmakeraw`, `cfsetspeed`, `tcsetattr`.
    public init(path: String, configuration: SerialConfiguration) throws(TransportError) {
        try configuration.validate(for: path)
        guard let speed = termiosSpeed(forBaudRate: configuration.baudRate) else {
            throw .invalidConfiguration(
                what: "\(path): baud rate",
                reason: "\(configuration.baudRate) is not a standard rate; use one of \(standardBaudRates.map(String.init).joined(separator: ", "))")
        }
        let fd = Glibc.open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            switch code {
            case ENOENT, ENXIO, ENODEV:
                throw .notFound(what: "serial port \(path)")
            case EBUSY:
                throw .inUse(path: path, holder: PortHolder.holding(path))
            default:
                throw .system(.posix(code, "open \(path)"))
            }
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            Glibc.close(fd)
            if code == EWOULDBLOCK { throw .inUse(path: path, holder: PortHolder.holding(path)) }
            throw .system(.posix(code, "lock \(path)"))
        }
        let exclusive = !isPseudoTerminal(path) && ioctl(fd, UInt(TIOCEXCL)) == 0
        do throws(TransportError) {
            try applyLineSettings(fd: fd, path: path, configuration: configuration, speed: speed)
        } catch {
            Glibc.close(fd)
            throw error
        }
        self.path = path
        self.configuration = configuration
        self.stream = try DescriptorStream(fd: fd, name: path) { fd in
            if exclusive { _ = ioctl(fd, UInt(TIOCNXCL)) }
            _ = flock(fd, LOCK_UN)
        }
    }

    public var description: String { "serial port \(path) (termios, \(configuration))" }

    public func write(_ bytes: [UInt8], deadline: ContinuousClock.Instant) throws(TransportError) {
        try stream.write(bytes, deadline: deadline)
    }

    public func read(upTo maxBytes: Int, deadline: ContinuousClock.Instant) throws(TransportError) -> [UInt8] {
        try stream.read(upTo: maxBytes, deadline: deadline)
    }

    public func close() { stream.close() }
}

/// Raw mode with the given character format, speed and flow control; receiver on, modem lines ignored.
private func applyLineSettings(fd: Int32, path: String, configuration: SerialConfiguration, speed: speed_t)
    throws(TransportError)
{
    var settings = termios()
    guard tcgetattr(fd, &settings) == 0 else {
        throw .system(.posix(errno, "read the line settings of \(path)"))
    }
    cfmakeraw(&settings)
    settings.c_cflag |= tcflag_t(CLOCAL | CREAD)
    settings.c_cflag &= ~(tcflag_t(CSIZE | PARENB | PARODD | CSTOPB) | tcflag_t(CRTSCTS))
    settings.c_cflag |= tcflag_t([5: CS5, 6: CS6, 7: CS7, 8: CS8][configuration.dataBits]!)
    switch configuration.parity {
    case .none: break
    case .odd: settings.c_cflag |= tcflag_t(PARENB | PARODD)
    case .even: settings.c_cflag |= tcflag_t(PARENB)
    }
    if configuration.stopBits == 2 { settings.c_cflag |= tcflag_t(CSTOPB) }
    settings.c_iflag &= ~tcflag_t(IXON | IXOFF | IXANY)
    switch configuration.flowControl {
    case .none: break
    case .rtscts: settings.c_cflag |= tcflag_t(CRTSCTS)
    case .xonxoff: settings.c_iflag |= tcflag_t(IXON | IXOFF)
    }
    // Reads never block in the kernel (the descriptor is non-blocking and polled), so VMIN and
    // VTIME only need to let a read return whatever is queued.
    withUnsafeMutableBytes(of: &settings.c_cc) { cc in
        cc[Int(VMIN)] = 1
        cc[Int(VTIME)] = 0
    }
    guard cfsetspeed(&settings, speed) == 0 else {
        throw .invalidConfiguration(what: "\(path): baud rate", reason: "\(configuration.baudRate) refused by cfsetspeed")
    }
    guard tcsetattr(fd, TCSANOW, &settings) == 0 else {
        let code = errno
        if code == EINVAL {
            throw .invalidConfiguration(what: "\(path): line settings",
                                        reason: "\(configuration) refused by the driver")
        }
        throw .system(.posix(code, "set the line settings of \(path)"))
    }
    _ = tcflush(fd, TCIOFLUSH)
}

/// True when `path` names a Unix98 pseudo-terminal slave (after following links).
func isPseudoTerminal(_ path: String) -> Bool {
    guard let resolved = realpath(path, nil) else { return false }
    defer { free(resolved) }
    let name = String(cString: resolved)
    // Linux names pseudo-terminals /dev/pts/N, macOS /dev/ttysNNN.
    return name.hasPrefix("/dev/pts/") || name.range(of: #"^/dev/ttys[0-9]+$"#, options: .regularExpression) != nil
}

let standardBaudRates = [
    50, 75, 110, 134, 150, 200, 300, 600, 1200, 1800, 2400, 4800, 9600, 19200, 38400, 57600,
    115200, 230400, 460800, 500000, 576000, 921600, 1000000, 1152000, 1500000, 2000000,
    2500000, 3000000, 3500000, 4000000,
]

/// The termios speed constant for a standard baud rate.
func termiosSpeed(forBaudRate rate: Int) -> speed_t? {
    let speeds: [Int: Int32] = [
        50: B50, 75: B75, 110: B110, 134: B134, 150: B150, 200: B200, 300: B300, 600: B600,
        1200: B1200, 1800: B1800, 2400: B2400, 4800: B4800, 9600: B9600, 19200: B19200,
        38400: B38400, 57600: B57600, 115200: B115200, 230400: B230400, 460800: B460800,
        500000: B500000, 576000: B576000, 921600: B921600, 1000000: B1000000, 1152000: B1152000,
        1500000: B1500000, 2000000: B2000000, 2500000: B2500000, 3000000: B3000000,
        3500000: B3500000, 4000000: B4000000,
    ]
    return speeds[rate].map { speed_t($0) }
}
