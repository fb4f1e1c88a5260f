import ArgumentParser
import Foundation
import XbarTransport

/// `xbar devices loopback`: checks a link whose far end returns every byte it receives.
struct DevicesLoopbackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loopback",
        abstract: "Send bytes through a link wired back to itself and check they return unchanged.",
        discussion: """
            For a serial port with a loopback plug (TX to RX), or a board firmware in echo mode. \
            Writes blocks of --block bytes, reads each back, compares, and prints the bytes \
            moved, round trips, mean round-trip time (milliseconds) and throughput each way \
            (bytes per second). It stops after --bytes bytes or --seconds seconds, whichever \
            is first, and fails (exit status 1) on the first wrong byte, timeout or disconnection.

            Examples:
              xbar devices loopback --serial /dev/ttyUSB0 --baud 115200 --bytes 4096
              xbar devices loopback --usb 1209:58BA --serial-number XB0001 --seconds 2
            """)

    @Option(name: .customLong("serial"), help: "Serial port path (a pseudo-terminal works too).")
    var serialPath: String?

    @Option(help: "Baud rate of the serial port, bits per second.")
    var baud = 115_200

    @Option(name: .customLong("usb"), help: "USB device VID:PID, hexadecimal.")
    var usbDevice: DeviceTarget?

    @Option(name: .customLong("serial-number"), help: "USB serial number, when several devices share the VID:PID.")
    var serialNumber: String?

    @Option(help: "USB interface number.")
    var interface: UInt8 = 0

    @Option(name: .customLong("out-ep"), help: "USB bulk OUT endpoint address, e.g. 0x01.", transform: parseByte)
    var outEndpoint: UInt8 = 0x01

    @Option(name: .customLong("in-ep"), help: "USB bulk IN endpoint address, e.g. 0x81.", transform: parseByte)
    var inEndpoint: UInt8 = 0x81

    @Option(help: "Bytes to send in total.")
    var bytes = 65_536

    @Option(help: "Stop after this many seconds (60, 500ms) even if --bytes were not all sent. Default: 60.", transform: QuantityArgument.seconds)
    var seconds: Double = 60

    @Option(help: "Bytes per round trip.")
    var block = 4096

    @Option(help: "Seconds to wait for each block to come back (2, 500ms). Default: 2.", transform: QuantityArgument.seconds)
    var timeout: Double = 2

    func validate() throws {
        guard (serialPath == nil) != (usbDevice == nil) else {
            throw ValidationError("give exactly one of --serial PATH or --usb VID:PID")
        }
        try OptionCheck.require(bytes, "--bytes", in: 1...(1 << 40))
        try OptionCheck.require(block, "--block", in: 1...(1 << 24))
        try OptionCheck.require(baud, "--baud", in: 50...12_000_000)
        try OptionCheck.requireWait(seconds, "--seconds", positive: true)
        try OptionCheck.requireWait(timeout, "--timeout", positive: true)
    }

    func run() throws {
        let link: any ByteTransport
        do {
            if let serialPath {
                link = try SerialTransport.open(path: serialPath, configuration: SerialConfiguration(baudRate: baud))
            } else {
                let usb = usbDevice!
                link = try USBBulkTransport(vendorID: usb.vendorID, productID: usb.productID, serialNumber: serialNumber,
                                            interfaceNumber: interface, outEndpoint: outEndpoint, inEndpoint: inEndpoint)
            }
        } catch {
            FileHandle.standardError.write(Data("xbar devices loopback: \(error)\n".utf8))
            throw ExitCode.failure
        }
        defer { link.close() }
        print("link: \(link)")

        let start = ContinuousClock.now
        let stopAt = start + .seconds(seconds)
        var moved = 0
        var roundTrips = 0
        var mismatch: (offset: Int, sent: UInt8, received: UInt8)?
        do throws(TransportError) {
            while moved < bytes && ContinuousClock.now < stopAt {
                let size = min(block, bytes - moved)
                // A counter pattern so a dropped, repeated or reordered byte shows at its offset.
                let sent = (0..<size).map { UInt8(truncatingIfNeeded: (moved + $0) &* 7 &+ roundTrips) }
                let deadline = ContinuousClock.now + .seconds(timeout)
                try link.write(sent, deadline: deadline)
                let received = try link.read(exactly: size, deadline: deadline)
                if let offset = sent.indices.first(where: { sent[$0] != received[$0] }) {
                    mismatch = (moved + offset, sent[offset], received[offset])
                    break
                }
                moved += size
                roundTrips += 1
            }
        } catch {
            FileHandle.standardError.write(Data(
                "xbar devices loopback: after \(moved) bytes in \(roundTrips) round trips: \(error)\n".utf8))
            throw ExitCode.failure
        }
        if let mismatch {
            FileHandle.standardError.write(Data(
                "xbar devices loopback: byte \(mismatch.offset) came back as \(mismatch.received), sent \(mismatch.sent)\n".utf8))
            throw ExitCode.failure
        }
        let elapsed = (ContinuousClock.now - start) / .seconds(1)
        print("bytes: \(moved)")
        print("round trips: \(roundTrips)")
        print(String(format: "mean round trip: %.3f ms", elapsed * 1000 / Double(max(roundTrips, 1))))
        print(String(format: "throughput each way: %.0f bytes/s", Double(moved) / max(elapsed, 1e-9)))
    }
}

/// Parses "0x81" or "129" as a byte.
private func parseByte(_ text: String) throws -> UInt8 {
    let value = text.lowercased().hasPrefix("0x") ? UInt8(text.dropFirst(2), radix: 16) : UInt8(text)
    guard let value else { throw ValidationError("expected a byte such as 0x81 or 129, got \"\(text)\"") }
    return value
}
