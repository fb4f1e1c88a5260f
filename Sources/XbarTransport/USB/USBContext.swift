import CLibUSB

/// A libusb session. Devices and handles opened through it keep it alive; it ends when the
/// last of them is gone.
public final class USBContext: @unchecked Sendable {
    // libusb contexts are thread-safe; the pointer itself is never changed.
    let pointer: OpaquePointer

    /// Starts a libusb session.
    ///
    /// - Throws: `.system` when libusb cannot start (for instance no usbfs and no udev).
    /// The corresponding C function is `libusb_init`.
    public init() throws(TransportError) {
        var context: OpaquePointer?
        let result = libusb_init(&context)
        guard result == 0, let context else { throw .libusb(result, "start libusb") }
        pointer = context
    }

    deinit { libusb_exit(pointer) }

    /// The USB devices present now, with their string descriptors where the device can be
    /// opened to read them.
    ///
    /// - Throws: `.system` when the device list cannot be read.
    /// The corresponding C functions are `libusb_get_device_list`, `libusb_get_device_descriptor`,
    /// `libusb_get_string_descriptor_ascii`.
    public func devices() throws(TransportError) -> [USBDeviceInfo] {
        try withDeviceList { devices in
            devices.compactMap { device in USBDeviceInfo(device, readingStrings: true) }
        }
    }

    /// Runs `body` with the devices of a fresh device list, freed afterwards.
    func withDeviceList<T>(_ body: ([OpaquePointer]) throws(TransportError) -> T) throws(TransportError) -> T {
        var list: UnsafeMutablePointer<OpaquePointer?>?
        let count = libusb_get_device_list(pointer, &list)
        guard count >= 0, let list else { throw .libusb(Int32(count), "list USB devices") }
        defer { libusb_free_device_list(list, 1) }
        let devices = (0..<count).compactMap { list[$0] }
        return try body(devices)
    }
}
