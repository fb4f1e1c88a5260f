/// Line settings of a serial port. The caller maps an instrument's serial settings onto it.
public struct SerialConfiguration: Hashable, Sendable, CustomStringConvertible {
    public enum Parity: String, Hashable, Sendable, CaseIterable {
        case none, odd, even
    }

    public enum FlowControl: String, Hashable, Sendable, CaseIterable {
        /// No flow control.
        case none
        /// Hardware flow control on the RTS/CTS lines.
        case rtscts
        /// Software flow control with XON/XOFF characters.
        case xonxoff
    }

    /// Line rate in bits per second (baud), e.g. 115200.
    public var baudRate: Int
    /// Data bits per character, 5 to 8.
    public var dataBits: Int
    public var parity: Parity
    /// Stop bits per character, 1 or 2.
    public var stopBits: Int
    public var flowControl: FlowControl

    public init(baudRate: Int, dataBits: Int = 8, parity: Parity = .none, stopBits: Int = 1,
                flowControl: FlowControl = .none) {
        self.baudRate = baudRate
        self.dataBits = dataBits
        self.parity = parity
        self.stopBits = stopBits
        self.flowControl = flowControl
    }

    /// "115200 8N1, no flow control".
    public var description: String {
        let parityLetter = switch parity { case .none: "N" case .odd: "O" case .even: "E" }
        let flow = switch flowControl {
        case .none: "no flow control"
        case .rtscts: "RTS/CTS flow control"
        case .xonxoff: "XON/XOFF flow control"
        }
        return "\(baudRate) \(dataBits)\(parityLetter)\(stopBits), \(flow)"
    }

    /// Refuses settings no serial port supports, naming the field.
    func validate(for port: String) throws(TransportError) {
        guard baudRate > 0 else {
            throw .invalidConfiguration(what: "\(port): baud rate", reason: "must be positive, got \(baudRate)")
        }
        guard (5...8).contains(dataBits) else {
            throw .invalidConfiguration(what: "\(port): data bits", reason: "must be 5 to 8, got \(dataBits)")
        }
        guard stopBits == 1 || stopBits == 2 else {
            throw .invalidConfiguration(what: "\(port): stop bits", reason: "must be 1 or 2, got \(stopBits)")
        }
    }
}
