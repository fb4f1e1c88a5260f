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
            file when its USB vendor and product ID equal the instrument's USB IDs, or the IDs \
            of its USB serial adapter. The instrument files are those of --instruments-dir, \
            else $XBAR_INSTRUMENTS, else ./instruments, else an instruments folder above the \
            xbar executable. IDs are hexadecimal, VID:PID.

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
                  xbar devices list --instruments-dir instruments --match 0403:6015=my-adapter
                """)

        @OptionGroup var folder: InstrumentsFolderOptions

        @Option(name: .customLong("match"),
                help: "Also mark devices with this USB VID:PID (hexadecimal), optionally labelled VID:PID=NAME. Repeatable.")
        var matches: [DeviceTarget] = []

        @Flag(help: "Print JSON instead of a table.")
        var json = false

        func run() throws {
            let listing = DeviceListing.take(targets: try instrumentTargets() + matches)
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(listing), as: UTF8.self))
            } else {
                print(listing.table())
            }
        }

        /// The USB IDs of every instrument file in the folder. Listing devices must work without
        /// instrument files, so a folder that is not found, or a file that does not load, is
        /// reported on standard error and skipped, unless the folder was named explicitly.
        private func instrumentTargets() throws -> [DeviceTarget] {
            let catalog: InstrumentCatalog
            do {
                catalog = try folder.catalog()
            } catch {
                if folder.instrumentsDirectory != nil { throw ValidationError(error.description) }
                warn("no instruments folder, devices are matched only against --match: \(error)")
                return []
            }
            return catalog.loadAll().compactMap { entry in
                switch entry.result {
                case .success(let instrument):
                    return DeviceTarget(instrument: instrument)
                case .failure(let error):
                    warn("\(entry.path): skipped, it does not load: \(error)")
                    return nil
                }
            }
        }

        private func warn(_ message: String) {
            FileHandle.standardError.write(Data("xbar devices: \(message)\n".utf8))
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
