import CLibUSB
import Glibc

/// An open USB device, owned by the transport that opened it and closed by `close()` (or
/// when the last reference goes).
///
/// libusb handles are thread-safe: bulk transfers on different endpoints may run at once. What
/// is not safe is freeing the handle under a transfer, so every use of the handle runs inside
/// `gate`, and `close()` shuts the gate and waits for transfers in progress to leave (at most
/// one transfer timeout) before `libusb_close`. The handle pointer itself never changes, which
/// is why the class may be shared between threads (`@unchecked Sendable`: C pointers are not
/// `Sendable` by type).
final class USBDeviceHandle: @unchecked Sendable {
    /// What enumeration showed of the device (strings read when it was opened).
    let info: USBDeviceInfo
    private let context: USBContext
    private let pointer: OpaquePointer
    private let gate = OperationGate(closedReason: "the USB device was closed on this side")

    /// Opens the first device with this vendor and product ID, and with this serial number
    /// when one is given.
    ///
    /// - Throws: `.notFound` when no such device is present; `.inUse` when another program has
    ///   it open exclusively; `.system` otherwise (`LIBUSB_ERROR_ACCESS`: no permission on
    ///   `/dev/bus/usb/...`, which a udev rule grants).
    /// The corresponding C functions are `libusb_get_device_list` and `libusb_open`.
    init(context: USBContext, vendorID: UInt16, productID: UInt16, serialNumber: String? = nil)
        throws(TransportError)
    {
        let wanted = hex4(vendorID) + ":" + hex4(productID) + (serialNumber.map { " with serial \($0)" } ?? "")
        let opened = try context.withDeviceList { devices throws(TransportError) -> (OpaquePointer, USBDeviceInfo)? in
            var lastError: TransportError?
            for device in devices {
                guard let summary = USBDeviceInfo(device, readingStrings: false),
                      summary.vendorID == vendorID, summary.productID == productID
                else { continue }
                var handle: OpaquePointer?
                let result = libusb_open(device, &handle)
                guard result == 0, let handle else {
                    lastError = result == LIBUSB_ERROR_BUSY.rawValue
                        ? .inUse(path: devicePath(summary), holder: PortHolder.holding(devicePath(summary)))
                        : .libusb(result, "open USB device \(summary)")
                    continue
                }
                var info = summary
                var descriptor = libusb_device_descriptor()
                if libusb_get_device_descriptor(device, &descriptor) == 0 {
                    info.manufacturer = readString(handle, descriptor.iManufacturer)
                    info.product = readString(handle, descriptor.iProduct)
                    info.serialNumber = readString(handle, descriptor.iSerialNumber)
                }
                if let serialNumber, info.serialNumber != serialNumber {
                    libusb_close(handle)
                    continue
                }
                return (handle, info)
            }
            if let lastError { throw lastError }
            return nil
        }
        guard let (handle, info) = opened else { throw .notFound(what: "USB device \(wanted)") }
        self.context = context
        self.pointer = handle
        self.info = info
    }

    deinit { close() }

    /// Claims an interface for this program, detaching a kernel driver bound to it first.
    ///
    /// - Throws: `.inUse` when another program claimed it; `.disconnected` when the device is gone;
    ///   `.system` otherwise (`LIBUSB_ERROR_NOT_FOUND`: the device has no such interface).
    /// The corresponding C functions are `libusb_set_auto_detach_kernel_driver` and `libusb_claim_interface`.
    func claimInterface(_ number: UInt8) throws(TransportError) {
        try gate.run("claim interface \(number)") { () throws(TransportError) in
            // Not every platform can detach drivers; a claim then fails with a clear error itself.
            _ = libusb_set_auto_detach_kernel_driver(pointer, 1)
            let result = libusb_claim_interface(pointer, Int32(number))
            if result == LIBUSB_ERROR_BUSY.rawValue {
                throw .inUse(path: "\(devicePath(info)) interface \(number)", holder: PortHolder.holding(devicePath(info)))
            }
            guard result == 0 else { throw .libusb(result, "claim interface \(number) of \(info)") }
        }
    }

    /// Releases a claimed interface; errors are ignored because the device may already be gone.
    /// The corresponding C function is `libusb_release_interface`.
    func releaseInterface(_ number: UInt8) {
        _ = try? gate.run("release interface \(number)") { () throws(TransportError) in
            _ = libusb_release_interface(pointer, Int32(number))
        }
    }

    /// One bulk transfer on `endpoint` (IN when bit 7 is set), waiting at most `timeoutMilliseconds`
    /// (at least 1: libusb reads 0 as "wait forever"). Returns libusb's result code and the bytes
    /// moved, which may be non-zero even on `LIBUSB_ERROR_TIMEOUT`; `LIBUSB_ERROR_NO_DEVICE` once
    /// the handle is closed.
    /// The corresponding C function is `libusb_bulk_transfer`.
    func bulkTransfer(endpoint: UInt8, _ buffer: UnsafeMutableRawBufferPointer, timeoutMilliseconds: UInt32)
        -> (result: Int32, transferred: Int)
    {
        let outcome = try? gate.run("bulk transfer") { () throws(TransportError) -> (Int32, Int) in
            var transferred: Int32 = 0
            let result = libusb_bulk_transfer(
                pointer, endpoint, buffer.baseAddress?.assumingMemoryBound(to: UInt8.self), Int32(buffer.count),
                &transferred, max(1, timeoutMilliseconds))
            return (result, Int(transferred))
        }
        return outcome ?? (LIBUSB_ERROR_NO_DEVICE.rawValue, 0)
    }

    /// Closes the device: later transfers fail with `LIBUSB_ERROR_NO_DEVICE`, transfers in
    /// progress end (within their timeout) before the handle is freed. Calling it again does nothing.
    /// The corresponding C function is `libusb_close`.
    func close() {
        guard gate.close() else { return }
        libusb_close(pointer)
    }
}

/// The usbfs node of a device, where other programs would hold it open.
func devicePath(_ info: USBDeviceInfo) -> String {
    func pad(_ value: UInt8) -> String {
        let digits = String(value)
        return String(repeating: "0", count: 3 - digits.count) + digits
    }
    return "/dev/bus/usb/\(pad(info.bus))/\(pad(info.address))"
}
