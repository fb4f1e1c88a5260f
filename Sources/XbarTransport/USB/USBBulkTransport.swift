import CLibUSB
import Foundation

/// A byte stream over a pair of USB bulk endpoints of one claimed interface.
///
/// An IN transfer returns whatever the device has sent, up to a buffer of `inBufferSize` bytes
/// (a multiple of every bulk packet size, so a device never overflows it); bytes beyond what a
/// caller asked for are kept for the next read. Transfers wait in slices of at most 100 ms so
/// `close()` from another thread takes effect within one slice; an unplug ends a transfer at once
/// with `.disconnected`.
public final class USBBulkTransport: ByteTransport, @unchecked Sendable {
    /// The open device, used only through this transport.
    private let device: USBDeviceHandle
    /// What enumeration showed of the device.
    public var deviceInfo: USBDeviceInfo { device.info }
    public let interfaceNumber: UInt8
    /// Endpoint addresses, e.g. 0x01 (OUT) and 0x81 (IN).
    public let outEndpoint: UInt8
    public let inEndpoint: UInt8
    private let gate = OperationGate(closedReason: "the transport was closed on this side")
    /// Bytes received but not yet returned; touched only under `readLock`.
    private var pending: [UInt8] = []
    private let readLock = NSLock()
    private let writeLock = NSLock()
    static let inBufferSize = 16_384
    private static let waitSlice: Duration = .milliseconds(100)

    /// Opens the device with this vendor and product ID (and serial number, when given), claims
    /// the interface and uses the two bulk endpoints.
    ///
    /// - Throws: `.notFound`, `.inUse`, `.disconnected`, `.system`; see `USBDeviceHandle`.
    public convenience init(context: USBContext? = nil, vendorID: UInt16, productID: UInt16,
                            serialNumber: String? = nil, interfaceNumber: UInt8 = 0,
                            outEndpoint: UInt8, inEndpoint: UInt8) throws(TransportError) {
        let session: USBContext
        if let context { session = context } else { session = try USBContext() }
        let device = try USBDeviceHandle(context: session, vendorID: vendorID,
                                         productID: productID, serialNumber: serialNumber)
        try self.init(device: device, interfaceNumber: interfaceNumber, outEndpoint: outEndpoint, inEndpoint: inEndpoint)
    }

    /// Claims `interfaceNumber` of an open device and uses the two bulk endpoints. The transport
    /// owns the device from here: closing it releases the interface and closes the device.
    init(device: USBDeviceHandle, interfaceNumber: UInt8, outEndpoint: UInt8, inEndpoint: UInt8)
        throws(TransportError)
    {
        guard outEndpoint & 0x80 == 0, inEndpoint & 0x80 != 0 else {
            throw .invalidConfiguration(
                what: "USB endpoints of \(device.info)",
                reason: "OUT endpoint must have bit 7 clear and IN endpoint bit 7 set, got OUT \(hexByte(outEndpoint)) IN \(hexByte(inEndpoint))")
        }
        do throws(TransportError) {
            try device.claimInterface(interfaceNumber)
        } catch {
            device.close()
            throw error
        }
        self.device = device
        self.interfaceNumber = interfaceNumber
        self.outEndpoint = outEndpoint
        self.inEndpoint = inEndpoint
    }

    deinit { close() }

    public var description: String {
        "\(device.info) interface \(interfaceNumber), bulk OUT \(hexByte(outEndpoint))"
            + " IN \(hexByte(inEndpoint)) (libusb)"
    }

    private func withDevice<T>(_ operation: String, _ body: () throws(TransportError) -> T) throws(TransportError) -> T {
        try gate.run(operation, body)
    }

    private func checkOpen(_ operation: String) throws(TransportError) {
        if gate.isClosed {
            throw gate.closedError(operation)
        }
    }

    private func nextWait(until deadline: ContinuousClock.Instant) -> UInt32 {
        let slice = (ContinuousClock.now + Self.waitSlice).millisecondsFromNow
        return UInt32(max(1, min(deadline.millisecondsFromNow, slice)))
    }

    /// The corresponding C function is `libusb_bulk_transfer` on the OUT endpoint.
    public func write(_ bytes: [UInt8], deadline: ContinuousClock.Instant) throws(TransportError) {
        let operation = "write to \(device.info) endpoint \(hexByte(outEndpoint))"
        writeLock.lock()
        defer { writeLock.unlock() }
        try withDevice(operation) { () throws(TransportError) in
            // A mutable copy: libusb takes a non-const buffer even for OUT transfers.
            var data = bytes
            var written = 0
            while written < data.count {
                try checkOpen(operation)
                let remaining = data.count - written
                let (result, moved) = data.withUnsafeMutableBytes {
                    device.bulkTransfer(endpoint: outEndpoint, UnsafeMutableRawBufferPointer(rebasing: $0[written...]),
                                        timeoutMilliseconds: nextWait(until: deadline))
                }
                written += min(moved, remaining)
                switch result {
                case 0:
                    continue
                case LIBUSB_ERROR_TIMEOUT.rawValue:
                    if ContinuousClock.now >= deadline, written < data.count {
                        throw .timedOut(operation: operation, transferred: written)
                    }
                default:
                    throw .libusb(result, operation)
                }
            }
        }
    }

    /// The corresponding C function is `libusb_bulk_transfer` on the IN endpoint.
    public func read(upTo maxBytes: Int, deadline: ContinuousClock.Instant) throws(TransportError) -> [UInt8] {
        precondition(maxBytes > 0, "read(upTo:) needs room for at least one byte")
        let operation = "read from \(device.info) endpoint \(hexByte(inEndpoint))"
        readLock.lock()
        defer { readLock.unlock() }
        return try withDevice(operation) { () throws(TransportError) -> [UInt8] in
            while pending.isEmpty {
                try checkOpen(operation)
                var buffer = [UInt8](repeating: 0, count: Self.inBufferSize)
                let (result, moved) = buffer.withUnsafeMutableBytes {
                    device.bulkTransfer(endpoint: inEndpoint, $0, timeoutMilliseconds: nextWait(until: deadline))
                }
                pending += buffer[..<moved]
                switch result {
                case 0:
                    continue
                case LIBUSB_ERROR_TIMEOUT.rawValue:
                    if pending.isEmpty, ContinuousClock.now >= deadline {
                        throw .timedOut(operation: operation, transferred: 0)
                    }
                default:
                    if pending.isEmpty { throw .libusb(result, operation) }
                }
            }
            let count = min(maxBytes, pending.count)
            defer { pending.removeFirst(count) }
            return Array(pending[..<count])
        }
    }

    /// Waits for transfers in progress to end (at most one wait slice), releases the interface
    /// and closes the device.
    public func close() {
        guard gate.close() else { return }
        device.releaseInterface(interfaceNumber)
        device.close()
    }
}

/// "0x81".
func hexByte(_ value: UInt8) -> String {
    let digits = String(value, radix: 16, uppercase: true)
    return "0x" + (digits.count == 1 ? "0" : "") + digits
}
