import CLibUSB

extension LibraryError {
    /// The error a libusb call returned, with `libusb_error_name` and `libusb_strerror`.
    static func libusb(_ code: Int32, _ operation: String) -> LibraryError {
        LibraryError(library: .libusb, code: code, name: String(cString: libusb_error_name(code)),
                     message: String(cString: libusb_strerror(code)), operation: operation)
    }
}

extension TransportError {
    /// Sorts a failed libusb call into the case a caller acts on.
    static func libusb(_ code: Int32, _ operation: String) -> TransportError {
        switch code {
        case LIBUSB_ERROR_NO_DEVICE.rawValue:
            return .disconnected(operation: operation, reason: "the USB device was unplugged or reset",
                                 cause: .libusb(code, operation))
        case LIBUSB_ERROR_TIMEOUT.rawValue:
            return .timedOut(operation: operation, transferred: 0)
        default:
            return .system(.libusb(code, operation))
        }
    }
}
