import ArgumentParser
import Foundation
import XbarInstrument
import XbarTransport

/// `xbar devices`: the serial ports and USB devices present, and which instruments they match.
struct DevicesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devices",
        abstract: "List serial ports and USB devices, marking those that match an instrument.",
        discussion: """
            Serial ports come from libserialport (pseudo-terminals of board emulators are not \
            listed; open them by path), USB devices from libusb. A device matches an instrument \
            when its USB vendor and product ID equal the instrument's USB IDs, or the IDs of \
            its USB serial adapter. IDs are hexadecimal, VID:PID.

            Examples:
              xbar devices
              xbar devices --match 1209:58BA --json
              xbar devices loopback --usb 1209:58BA --bytes 65536
            """,
        subcommands: [List.self, DevicesLoopbackCommand.self],
        defaultSubcommand: List.self)
}

extension DevicesCommand {
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List serial ports and USB devices with VID:PID, serial number and description.",
            discussion: """
                Exits with status 0 even when one kind of device cannot be listed (for instance \
                a machine without USB); the listing says why.

                Example:
                  xbar devices list --match 1209:58BA --match 0403:6001=serial-32x32
                """)

        @Option(name: .customLong("match"),
                help: "Mark devices with this USB VID:PID (hexadecimal), optionally labelled VID:PID=NAME. Repeatable.")
        var matches: [DeviceTarget] = []

        @Flag(help: "Print JSON instead of a table.")
        var json = false

        func run() throws {
            // INSTRUMENT CATALOG HOOK: once `InstrumentCatalog` is on main, add the instruments
            // folder option and append `catalog.loadAll()` successes mapped through
            // `DeviceTarget(instrument:)` to `matches`, so every instrument file is matched
            // without --match.
            let listing = DeviceListing.take(targets: matches)
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(listing), as: UTF8.self))
            } else {
                print(listing.table())
            }
        }
    }
}

/// A USB VID:PID to look for, with the name of the instrument it stands for.
struct DeviceTarget: ExpressibleByArgument, Hashable, Codable {
    var name: String
    var vendorID: UInt16
    var productID: UInt16

    init(name: String, vendorID: UInt16, productID: UInt16) {
        self.name = name
        self.vendorID = vendorID
        self.productID = productID
    }

    /// Parses "1209:58BA" or "1209:58BA=usb-4x64".
    init?(argument: String) {
        let labelled = argument.split(separator: "=", maxSplits: 1).map(String.init)
        let ids = labelled[0].split(separator: ":").map(String.init)
        guard ids.count == 2, let vendor = UInt16(ids[0], radix: 16), let product = UInt16(ids[1], radix: 16),
              labelled.count == 1 || !labelled[1].isEmpty
        else { return nil }
        self.init(name: labelled.count == 2 ? labelled[1] : labelled[0], vendorID: vendor, productID: product)
    }

    static var defaultCompletionKind: CompletionKind { .default }

    /// The USB IDs an instrument is reached by: its own for a USB board, its adapter's for a
    /// serial board that declares them; nil for a serial board without adapter IDs.
    init?(instrument: Instrument) {
        switch instrument.transport {
        case .usb(let usb):
            self.init(name: instrument.name, vendorID: usb.vendorID, productID: usb.productID)
        case .serial(let serial):
            guard let vendor = serial.usbVendorID, let product = serial.usbProductID else { return nil }
            self.init(name: instrument.name, vendorID: vendor, productID: product)
        }
    }
}
