import CLibSerialPort
import Glibc

/// Applies `configuration` to a port libserialport has open, then reads back what the driver
/// kept: a driver may refuse a setting, or accept the call and apply something else (a
/// pseudo-terminal drops parity; some adapters lack 5 or 6 data bits), and a board would then
/// see garbage instead of an error.
///
/// - Throws: `.invalidConfiguration` naming the setting when the driver refuses it (`EINVAL`) or
///   applies something else; `.system` when a call fails otherwise.
/// The corresponding C functions are `sp_set_baudrate`, `sp_set_bits`, `sp_set_parity`,
/// `sp_set_stopbits`, `sp_set_flowcontrol`, `tcsetattr` and `sp_get_config`.
func applyLineSettings(_ configuration: SerialConfiguration, to port: OpaquePointer, descriptor: Int32,
                       path: String) throws(TransportError)
{
    func check(_ result: sp_return, _ setting: String) throws(TransportError) {
        guard result == SP_OK else {
            let osCode = result == SP_ERR_FAIL ? sp_last_error_code() : 0
            if result == SP_ERR_ARG || result == SP_ERR_SUPP || osCode == EINVAL {
                throw .invalidConfiguration(what: "\(path): \(setting)",
                                            reason: "refused by the port driver" + (osCode == EINVAL ? " (EINVAL)" : ""))
            }
            throw .system(.libserialport(result, "set \(setting) on \(path)"))
        }
    }
    try check(sp_set_baudrate(port, Int32(configuration.baudRate)), "baud rate \(configuration.baudRate)")
    try check(sp_set_bits(port, Int32(configuration.dataBits)), "\(configuration.dataBits) data bits")
    let parity: sp_parity = switch configuration.parity {
    case .none: SP_PARITY_NONE
    case .odd: SP_PARITY_ODD
    case .even: SP_PARITY_EVEN
    }
    try check(sp_set_parity(port, parity), "parity \(configuration.parity.rawValue)")
    try check(sp_set_stopbits(port, Int32(configuration.stopBits)), "\(configuration.stopBits) stop bits")
    let flow: sp_flowcontrol = switch configuration.flowControl {
    case .none: SP_FLOWCONTROL_NONE
    case .rtscts: SP_FLOWCONTROL_RTSCTS
    case .xonxoff: SP_FLOWCONTROL_XONXOFF
    }
    try check(sp_set_flowcontrol(port, flow), "flow control \(configuration.flowControl.rawValue)")
    try setHardwareFlowControl(configuration.flowControl == .rtscts, descriptor: descriptor, path: path)
    try verify(configuration, on: port, descriptor: descriptor, path: path)
}

/// libserialport (0.1.1 and later) records RTS/CTS flow control in `c_iflag`, where the kernel
/// does not look for it: asked for, the line never gets it; not asked for, a line another program
/// left with it keeps it, and every write then waits on a CTS the board may never raise. So the
/// flag is set where the kernel reads it, in `c_cflag`, and the stray bit is taken out.
private func setHardwareFlowControl(_ enabled: Bool, descriptor: Int32, path: String) throws(TransportError) {
    var settings = termios()
    guard tcgetattr(descriptor, &settings) == 0 else {
        throw .system(.posix(errno, "read the line settings of \(path)"))
    }
    settings.c_iflag &= ~tcflag_t(CRTSCTS)
    if enabled {
        settings.c_cflag |= tcflag_t(CRTSCTS)
    } else {
        settings.c_cflag &= ~tcflag_t(CRTSCTS)
    }
    guard tcsetattr(descriptor, TCSANOW, &settings) == 0 else {
        let code = errno
        if code == EINVAL {
            throw .invalidConfiguration(what: "\(path): flow control \(enabled ? "rtscts" : "none")",
                                        reason: "refused by the port driver (EINVAL)")
        }
        throw .system(.posix(code, "set RTS/CTS flow control on \(path)"))
    }
}

/// Refuses a line whose settings, read back, differ from those asked for.
///
/// The baud rate is read through libserialport, which also reads rates set as `BOTHER`; the rest
/// straight from the kernel's termios, because libserialport reads "no parity" only when `IGNPAR`
/// is set too, and so reports a parity the driver dropped as still there.
private func verify(_ wanted: SerialConfiguration, on port: OpaquePointer, descriptor: Int32,
                    path: String) throws(TransportError)
{
    func differs(_ setting: String, applied: String, wanted: String) -> TransportError {
        .invalidConfiguration(what: "\(path): \(setting)",
                              reason: "the port driver applied \(applied) instead of \(wanted)")
    }
    var created: OpaquePointer?
    let made = sp_new_config(&created)
    guard made == SP_OK, let applied = created else {
        throw .system(.libserialport(made, "read back the line settings of \(path)"))
    }
    defer { sp_free_config(applied) }
    let read = sp_get_config(port, applied)
    guard read == SP_OK else {
        throw .system(.libserialport(read, "read back the line settings of \(path)"))
    }
    var baudRate: Int32 = -1
    // A driver may round the rate to what its clock divides to; a receiver samples each bit in its
    // middle, so 10 bits (8N1) still frame correctly up to about 2 % off. Beyond that it is refused.
    if sp_get_config_baudrate(applied, &baudRate) == SP_OK, baudRate > 0,
       abs(Double(baudRate) - Double(wanted.baudRate)) > 0.02 * Double(wanted.baudRate) {
        throw differs("baud rate", applied: "\(baudRate)", wanted: "\(wanted.baudRate)")
    }

    var line = termios()
    guard tcgetattr(descriptor, &line) == 0 else {
        throw .system(.posix(errno, "read back the line settings of \(path)"))
    }
    let sizes: [tcflag_t: Int] = [tcflag_t(CS5): 5, tcflag_t(CS6): 6, tcflag_t(CS7): 7, tcflag_t(CS8): 8]
    let dataBits = sizes[line.c_cflag & tcflag_t(CSIZE)] ?? 0
    if dataBits != wanted.dataBits {
        throw differs("data bits", applied: "\(dataBits)", wanted: "\(wanted.dataBits)")
    }
    let parity: String
    if line.c_cflag & tcflag_t(PARENB) == 0 {
        parity = SerialConfiguration.Parity.none.rawValue
    } else if line.c_cflag & tcflag_t(CMSPAR) != 0 {
        parity = line.c_cflag & tcflag_t(PARODD) != 0 ? "mark" : "space"
    } else {
        parity = (line.c_cflag & tcflag_t(PARODD) != 0 ? SerialConfiguration.Parity.odd : .even).rawValue
    }
    if parity != wanted.parity.rawValue {
        throw differs("parity", applied: parity, wanted: wanted.parity.rawValue)
    }
    let stopBits = line.c_cflag & tcflag_t(CSTOPB) != 0 ? 2 : 1
    if stopBits != wanted.stopBits {
        throw differs("stop bits", applied: "\(stopBits)", wanted: "\(wanted.stopBits)")
    }
    let hardware = line.c_cflag & tcflag_t(CRTSCTS) != 0
    let software = line.c_iflag & tcflag_t(IXON | IXOFF) == tcflag_t(IXON | IXOFF)
    let flow = switch (hardware, software) {
    case (false, false): SerialConfiguration.FlowControl.none.rawValue
    case (true, false): SerialConfiguration.FlowControl.rtscts.rawValue
    case (false, true): SerialConfiguration.FlowControl.xonxoff.rawValue
    case (true, true): "both rtscts and xonxoff"
    }
    if flow != wanted.flowControl.rawValue {
        throw differs("flow control", applied: flow, wanted: wanted.flowControl.rawValue)
    }
}
