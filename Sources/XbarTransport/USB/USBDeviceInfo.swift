import CLibUSB

/// A USB device as enumeration shows it.
public struct USBDeviceInfo: Hashable, Sendable, CustomStringConvertible {
    /// Bus number and device address, e.g. 1 and 2 for `/dev/bus/usb/001/002`.
    public var bus: UInt8
    public var address: UInt8
    public var vendorID: UInt16
    public var productID: UInt16
    /// String descriptors; nil when the device has none or could not be opened to read them
    /// (most often for lack of permission on its device node).
    public var manufacturer: String?
    public var product: String?
    public var serialNumber: String?

    public init(bus: UInt8, address: UInt8, vendorID: UInt16, productID: UInt16,
                manufacturer: String? = nil, product: String? = nil, serialNumber: String? = nil) {
        self.bus = bus
        self.address = address
        self.vendorID = vendorID
        self.productID = productID
        self.manufacturer = manufacturer
        self.product = product
        self.serialNumber = serialNumber
    }

    /// "1209:58BA", the form people and instrument files use.
    public var vendorProduct: String { hex4(vendorID) + ":" + hex4(productID) }

    public var description: String {
        var text = "USB \(vendorProduct) on bus \(bus) address \(address)"
        if let serialNumber { text += ", serial \(serialNumber)" }
        return text
    }

    /// Reads the device descriptor of `device`, and its strings when `readingStrings`.
    init?(_ device: OpaquePointer, readingStrings: Bool) {
        var descriptor = libusb_device_descriptor()
        guard libusb_get_device_descriptor(device, &descriptor) == 0 else { return nil }
        bus = libusb_get_bus_number(device)
        address = libusb_get_device_address(device)
        vendorID = descriptor.idVendor
        productID = descriptor.idProduct
        guard readingStrings else { return }
        var handle: OpaquePointer?
        guard libusb_open(device, &handle) == 0, let handle else { return }
        defer { libusb_close(handle) }
        manufacturer = readString(handle, descriptor.iManufacturer)
        product = readString(handle, descriptor.iProduct)
        serialNumber = readString(handle, descriptor.iSerialNumber)
    }
}

/// A string descriptor as ASCII, nil when the index is 0 (none) or the read fails.
/// The corresponding C function is `libusb_get_string_descriptor_ascii`.
func readString(_ handle: OpaquePointer, _ index: UInt8) -> String? {
    guard index != 0 else { return nil }
    var buffer = [UInt8](repeating: 0, count: 256)
    let length = libusb_get_string_descriptor_ascii(handle, index, &buffer, Int32(buffer.count))
    guard length > 0 else { return nil }
    return String(decoding: buffer[..<Int(length)], as: UTF8.self)
}

func hex4(_ value: UInt16) -> String {
    let digits = String(value, radix: 16, uppercase: true)
    return String(repeating: "0", count: 4 - digits.count) + digits
}
