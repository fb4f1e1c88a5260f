import CLibSerialPort

/// A serial port the operating system knows, as libserialport discovers it. Pseudo-terminals
/// are not listed (libserialport finds ports through `/sys/class/tty` device links).
public struct SerialPortInfo: Hashable, Sendable, CustomStringConvertible {
    /// How the port is attached.
    public enum Kind: String, Hashable, Sendable {
        /// A port on the machine itself (a UART, a PCI card).
        case native
        /// A USB serial adapter or a USB CDC-ACM device.
        case usb
        case bluetooth
    }

    /// The device path, e.g. "/dev/ttyUSB0".
    public var name: String
    /// libserialport's human description, e.g. "FT232R USB UART - FT232R USB UART".
    public var description: String
    public var kind: Kind
    /// USB bus number and device address, for USB ports.
    public var usbBus: Int?
    public var usbAddress: Int?
    /// USB vendor and product IDs of the adapter, for USB ports.
    public var usbVendorID: UInt16?
    public var usbProductID: UInt16?
    /// USB string descriptors, when the adapter has them.
    public var manufacturer: String?
    public var product: String?
    public var serialNumber: String?
    /// Bluetooth MAC address, for Bluetooth ports.
    public var bluetoothAddress: String?

    public init(name: String, description: String, kind: Kind, usbBus: Int? = nil, usbAddress: Int? = nil,
                usbVendorID: UInt16? = nil, usbProductID: UInt16? = nil, manufacturer: String? = nil,
                product: String? = nil, serialNumber: String? = nil, bluetoothAddress: String? = nil) {
        self.name = name
        self.description = description
        self.kind = kind
        self.usbBus = usbBus
        self.usbAddress = usbAddress
        self.usbVendorID = usbVendorID
        self.usbProductID = usbProductID
        self.manufacturer = manufacturer
        self.product = product
        self.serialNumber = serialNumber
        self.bluetoothAddress = bluetoothAddress
    }

    /// The serial ports present now.
    ///
    /// - Throws: `.system` when libserialport cannot enumerate (e.g. `/sys` is unreadable).
    /// The corresponding C function is `sp_list_ports`.
    public static func list() throws(TransportError) -> [SerialPortInfo] {
        var list: UnsafeMutablePointer<OpaquePointer?>?
        let result = sp_list_ports(&list)
        guard result == SP_OK, let list else {
            throw .system(.libserialport(result, "list serial ports"))
        }
        defer { sp_free_port_list(list) }
        var ports: [SerialPortInfo] = []
        var index = 0
        while let port = list[index] {
            ports.append(SerialPortInfo(port))
            index += 1
        }
        return ports.sorted { $0.name < $1.name }
    }

    /// Reads what libserialport knows of `port`; USB and Bluetooth fields stay nil when absent.
    init(_ port: OpaquePointer) {
        func text(_ pointer: UnsafeMutablePointer<CChar>?) -> String? {
            guard let pointer else { return nil }
            let value = String(cString: pointer)
            return value.isEmpty ? nil : value
        }
        name = text(sp_get_port_name(port)) ?? "?"
        description = text(sp_get_port_description(port)) ?? name
        switch sp_get_port_transport(port) {
        case SP_TRANSPORT_USB: kind = .usb
        case SP_TRANSPORT_BLUETOOTH: kind = .bluetooth
        default: kind = .native
        }
        if kind == .usb {
            var bus: Int32 = 0, address: Int32 = 0
            if sp_get_port_usb_bus_address(port, &bus, &address) == SP_OK {
                usbBus = Int(bus)
                usbAddress = Int(address)
            }
            var vendor: Int32 = 0, productID: Int32 = 0
            if sp_get_port_usb_vid_pid(port, &vendor, &productID) == SP_OK {
                usbVendorID = UInt16(truncatingIfNeeded: vendor)
                usbProductID = UInt16(truncatingIfNeeded: productID)
            }
            manufacturer = text(sp_get_port_usb_manufacturer(port))
            product = text(sp_get_port_usb_product(port))
            serialNumber = text(sp_get_port_usb_serial(port))
        }
        if kind == .bluetooth {
            bluetoothAddress = text(sp_get_port_bluetooth_address(port))
        }
    }
}

extension SerialPortInfo {
    /// Whether `path` (after following links) is a pseudo-terminal, such as the board
    /// emulator's: one that ignores baud rate, parity and flow control.
    public static func isPseudoTerminal(path: String) -> Bool { XbarTransport.isPseudoTerminal(path) }
}
