import Foundation
import XbarTransport

/// What `xbar devices` found: serial ports, USB devices, and why a kind could not be listed.
struct DeviceListing: Codable {
    struct SerialPortEntry: Codable {
        var name: String
        var description: String
        var kind: String
        var vendorID: String?
        var productID: String?
        var manufacturer: String?
        var product: String?
        var serialNumber: String?
        /// Names of the instruments this port's USB adapter matches.
        var matches: [String]

        var vendorProduct: String? {
            guard let vendorID, let productID else { return nil }
            return "\(vendorID):\(productID)"
        }
    }

    struct USBDeviceEntry: Codable {
        var bus: Int
        var address: Int
        var vendorID: String
        var productID: String
        var manufacturer: String?
        var product: String?
        var serialNumber: String?
        var matches: [String]
    }

    var serialPorts: [SerialPortEntry] = []
    var usbDevices: [USBDeviceEntry] = []
    /// Set when serial ports could not be listed, with the reason.
    var serialError: String?
    /// Set when USB devices could not be listed, with the reason.
    var usbError: String?

    /// Lists both kinds now, marking entries whose USB IDs equal a target's.
    static func take(targets: [DeviceTarget]) -> DeviceListing {
        func matches(_ vendor: UInt16?, _ product: UInt16?) -> [String] {
            targets.filter { $0.vendorID == vendor && $0.productID == product }.map(\.name)
        }
        var listing = DeviceListing()
        do {
            listing.serialPorts = try SerialPortInfo.list().map { port in
                SerialPortEntry(
                    name: port.name, description: port.description, kind: port.kind.rawValue,
                    vendorID: port.usbVendorID.map(hex4), productID: port.usbProductID.map(hex4),
                    manufacturer: port.manufacturer, product: port.product, serialNumber: port.serialNumber,
                    matches: matches(port.usbVendorID, port.usbProductID))
            }
        } catch {
            listing.serialError = error.description
        }
        do {
            listing.usbDevices = try USBContext().devices().map { device in
                USBDeviceEntry(
                    bus: Int(device.bus), address: Int(device.address),
                    vendorID: hex4(device.vendorID), productID: hex4(device.productID),
                    manufacturer: device.manufacturer, product: device.product, serialNumber: device.serialNumber,
                    matches: matches(device.vendorID, device.productID))
            }
        } catch {
            listing.usbError = error.description
        }
        return listing
    }

    /// Two aligned tables, serial ports then USB devices.
    func table() -> String {
        var lines = ["Serial ports:"]
        if let serialError {
            lines.append("  cannot list serial ports: \(serialError)")
        } else if serialPorts.isEmpty {
            lines.append("  none")
        } else {
            lines += aligned([["PORT", "KIND", "VID:PID", "SERIAL", "DESCRIPTION", "INSTRUMENT"]] + serialPorts.map {
                [$0.name, $0.kind, $0.vendorProduct ?? "-",
                 $0.serialNumber ?? "-", $0.description, $0.matches.isEmpty ? "-" : $0.matches.joined(separator: ",")]
            })
        }
        lines.append("USB devices:")
        if let usbError {
            lines.append("  cannot list USB devices: \(usbError)")
        } else if usbDevices.isEmpty {
            lines.append("  none")
        } else {
            lines += aligned([["BUS", "ADDR", "VID:PID", "SERIAL", "DESCRIPTION", "INSTRUMENT"]] + usbDevices.map {
                [String($0.bus), String($0.address), "\($0.vendorID):\($0.productID)", $0.serialNumber ?? "-",
                 [$0.manufacturer, $0.product].compactMap { $0 }.joined(separator: " ").nonEmpty ?? "-",
                 $0.matches.isEmpty ? "-" : $0.matches.joined(separator: ",")]
            })
        }
        return lines.joined(separator: "\n")
    }

    private func aligned(_ rows: [[String]]) -> [String] {
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            "  " + row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
    }
}

private extension String {
    var nonEmpty: String? { isEmpty ? nil : self }
}

func hex4(_ value: UInt16) -> String {
    let digits = String(value, radix: 16, uppercase: true)
    return String(repeating: "0", count: 4 - digits.count) + digits
}
