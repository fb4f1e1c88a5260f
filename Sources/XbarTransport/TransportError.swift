/// Why moving bytes to or from a board failed.
///
/// The cases are the ones a caller can act on: retry after `.timedOut`, reconnect or fall back
/// after `.disconnected`, tell the user who holds the port after `.inUse`, check the name after
/// `.notFound`, fix the settings after `.invalidConfiguration`. Everything else is `.system`,
/// which keeps the C library's error code, name and message.
public enum TransportError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The deadline passed first. `transferred` bytes of the operation had moved by then
    /// (for a read always 0: a read that got anything returns it).
    case timedOut(operation: String, transferred: Int)
    /// The other end went away: end of file, hang-up, the USB device was unplugged, or the
    /// transport was closed on this side. `cause` is the C error that showed it, when there was one.
    case disconnected(operation: String, reason: String, cause: LibraryError?)
    /// Another open file holds the port exclusively. `holder` names the process when it can be found.
    case inUse(path: String, holder: PortHolder?)
    /// No port or device matched what was asked for.
    case notFound(what: String)
    /// The settings are not possible on this port (a baud rate the driver lacks, 9 data bits).
    case invalidConfiguration(what: String, reason: String)
    /// Any other failure of the underlying C library.
    case system(LibraryError)

    /// True for `.timedOut`: nothing is wrong with the link, the other end was silent.
    public var isTimeout: Bool {
        if case .timedOut = self { return true }
        return false
    }

    /// True for `.disconnected`: the link is gone and must be reopened.
    public var isDisconnect: Bool {
        if case .disconnected = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case let .timedOut(operation, transferred):
            return "\(operation): timed out" + (transferred > 0 ? " after \(transferred) bytes" : "")
        case let .disconnected(operation, reason, cause):
            return "\(operation): disconnected (\(reason))" + (cause.map { "; \($0.codeDescription)" } ?? "")
        case let .inUse(path, holder):
            if let holder {
                return "\(path) is in use by \(holder); close that program or choose another port"
            }
            return "\(path) is in use by another program; close it or choose another port"
        case let .notFound(what):
            return "\(what) not found"
        case let .invalidConfiguration(what, reason):
            return "\(what): \(reason)"
        case let .system(error):
            return error.description
        }
    }
}

/// A failure reported by a C library, kept with its numeric code, symbolic name and message.
public struct LibraryError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Which C library reported the error; it says how to read `code`.
    public enum Library: String, Sendable, Hashable {
        /// The C library and kernel: `code` is an `errno` value.
        case posix
        /// libserialport: `code` is an `sp_return` value (and `errno` when it is `SP_ERR_FAIL`).
        case libserialport
        /// libusb-1.0: `code` is a `libusb_error` value.
        case libusb
    }

    public var library: Library
    /// The numeric code, e.g. 5 for `EIO` or -4 for `LIBUSB_ERROR_NO_DEVICE`.
    public var code: Int32
    /// The code's symbolic name, e.g. "EIO", "LIBUSB_ERROR_NO_DEVICE".
    public var name: String
    /// The library's human message, e.g. "Input/output error".
    public var message: String
    /// What was being done, with the port or device it was done to, e.g. "open /dev/ttyUSB0".
    public var operation: String

    public init(library: Library, code: Int32, name: String, message: String, operation: String) {
        self.library = library
        self.code = code
        self.name = name
        self.message = message
        self.operation = operation
    }

    /// "EIO (5): Input/output error".
    public var codeDescription: String { "\(name) (\(code)): \(message)" }

    public var description: String { "\(operation): \(codeDescription)" }
}

/// A process that holds a port open, found through `/proc`.
public struct PortHolder: Sendable, Hashable, CustomStringConvertible {
    /// Process ID.
    public var pid: Int32
    /// The process's command name (`/proc/<pid>/comm`), when readable.
    public var command: String?

    public init(pid: Int32, command: String?) {
        self.pid = pid
        self.command = command
    }

    public var description: String {
        command.map { "\($0) (pid \(pid))" } ?? "pid \(pid)"
    }
}
