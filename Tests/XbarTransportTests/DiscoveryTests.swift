import Foundation
import Testing
@testable import XbarTransport

@Suite("device discovery")
struct DiscoveryTests {
    @Test("libserialport lists the machine's serial ports as device paths, sorted, without pseudo-terminals")
    func serialPorts() throws {
        let board = try PseudoTerminal()
        defer { board.close() }
        let ports = try SerialPortInfo.list()
        #expect(ports.map(\.name) == ports.map(\.name).sorted())
        #expect(Set(ports.map(\.name)).count == ports.count)
        for port in ports {
            #expect(port.name.hasPrefix("/dev/"), "\(port.name)")
            #expect(FileManager.default.fileExists(atPath: port.name), "\(port.name)")
            if port.kind != .usb {
                #expect(port.usbVendorID == nil && port.usbProductID == nil)
            }
        }
        #expect(!ports.contains { $0.name == board.slavePath })
    }

    @Test("libserialport cannot open a pseudo-terminal, so SerialPort reports it not found and SerialTransport uses termios")
    func pseudoTerminalNeedsTermios() throws {
        let board = try PseudoTerminal()
        defer { board.close() }
        #expect {
            _ = try SerialPort(path: board.slavePath, configuration: SerialConfiguration(baudRate: 9600))
        } throws: { error in
            guard case .notFound? = error as? TransportError else { return false }
            return true
        }
        let port = try SerialTransport.open(path: board.slavePath, configuration: SerialConfiguration(baudRate: 9600))
        defer { port.close() }
        #expect(port is TermiosSerialPort)
    }

    @Test("libusb enumerates without error and opening an absent device is notFound naming its IDs")
    func usbAbsent() throws {
        let context = try USBContext()
        let devices = try context.devices()
        #expect(!devices.contains { $0.vendorID == 0x1209 && $0.productID == 0x0001 })
        #expect {
            _ = try USBBulkTransport(context: context, vendorID: 0x1209, productID: 0x0001,
                                     outEndpoint: 0x01, inEndpoint: 0x81)
        } throws: { error in
            guard case .notFound(let what)? = error as? TransportError else { return false }
            return what.contains("1209:0001")
        }
    }

    @Test("libusb errors keep their code, name and message")
    func usbErrorNames() {
        let error = LibraryError.libusb(-4, "read from USB 1209:58BA")
        #expect(error.name == "LIBUSB_ERROR_NO_DEVICE")
        #expect(error.code == -4)
        #expect(error.message.lowercased().contains("no such device"))
        guard case .disconnected = TransportError.libusb(-4, "read") else {
            Issue.record("LIBUSB_ERROR_NO_DEVICE must map to disconnected")
            return
        }
    }
}
