import CLibSerialPort
import Glibc

extension LibraryError {
    /// The error a libserialport call returned. For `SP_ERR_FAIL` (the operating system refused)
    /// the code and name are the `errno` (e.g. 5, "EIO") and the message is the system's, so a
    /// caller reads the cause as for any other system call; the other results keep their
    /// `sp_return` value and name.
    static func libserialport(_ result: sp_return, _ operation: String) -> LibraryError {
        switch result {
        case SP_ERR_FAIL:
            let osCode = sp_last_error_code()
            var message = String(cString: strerror(osCode))
            if let text = sp_last_error_message() {
                message = String(cString: text).trimmingCharacters(in: [" ", "\n", "\r"])
                sp_free_error_message(text)
            }
            return LibraryError(library: .libserialport, code: osCode, name: errnoName(osCode),
                                message: message, operation: operation)
        case SP_ERR_ARG:
            return LibraryError(library: .libserialport, code: result.rawValue, name: "SP_ERR_ARG",
                                message: "invalid argument", operation: operation)
        case SP_ERR_MEM:
            return LibraryError(library: .libserialport, code: result.rawValue, name: "SP_ERR_MEM",
                                message: "memory allocation failed", operation: operation)
        case SP_ERR_SUPP:
            return LibraryError(library: .libserialport, code: result.rawValue, name: "SP_ERR_SUPP",
                                message: "not supported by this port or operating system", operation: operation)
        default:
            return LibraryError(library: .libserialport, code: result.rawValue, name: "sp_return \(result.rawValue)",
                                message: "unknown libserialport result", operation: operation)
        }
    }
}

extension TransportError {
    /// Sorts a failed libserialport call on an open port into the case a caller acts on.
    static func libserialport(_ result: sp_return, _ operation: String) -> TransportError {
        // Read the OS code before building the error: the message call may change errno.
        let osCode = result == SP_ERR_FAIL ? sp_last_error_code() : 0
        let error = LibraryError.libserialport(result, operation)
        switch osCode {
        case EIO, ENXIO, ENODEV, EPIPE, EBADF:
            return .disconnected(operation: operation, reason: "the device went away", cause: error)
        default:
            return .system(error)
        }
    }
}

extension String {
    fileprivate func trimmingCharacters(in characters: Set<Character>) -> String {
        var text = Substring(self)
        while let last = text.last, characters.contains(last) { text = text.dropLast() }
        while let first = text.first, characters.contains(first) { text = text.dropFirst() }
        return String(text)
    }
}
