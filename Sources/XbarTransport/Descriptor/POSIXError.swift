import Glibc

extension LibraryError {
    /// The error `errno` describes, for `operation`.
    static func posix(_ code: Int32, _ operation: String) -> LibraryError {
        LibraryError(library: .posix, code: code, name: errnoName(code),
                     message: String(cString: strerror(code)), operation: operation)
    }
}

extension TransportError {
    /// Sorts an `errno` from a call on an open port into the case a caller acts on.
    static func posix(_ code: Int32, _ operation: String) -> TransportError {
        switch code {
        case EIO, ENXIO, ENODEV, EPIPE, ECONNRESET, EBADF:
            return .disconnected(operation: operation, reason: "the other end went away",
                                 cause: .posix(code, operation))
        default:
            return .system(.posix(code, operation))
        }
    }
}

/// The symbolic name of an `errno` value; glibc's `strerrorname_np` is not visible to Swift.
func errnoName(_ code: Int32) -> String {
    let names: [Int32: String] = [
        EPERM: "EPERM", ENOENT: "ENOENT", ESRCH: "ESRCH", EINTR: "EINTR", EIO: "EIO",
        ENXIO: "ENXIO", E2BIG: "E2BIG", EBADF: "EBADF", EAGAIN: "EAGAIN", ENOMEM: "ENOMEM",
        EACCES: "EACCES", EFAULT: "EFAULT", EBUSY: "EBUSY", EEXIST: "EEXIST", ENODEV: "ENODEV",
        ENOTDIR: "ENOTDIR", EISDIR: "EISDIR", EINVAL: "EINVAL", ENFILE: "ENFILE", EMFILE: "EMFILE",
        ENOTTY: "ENOTTY", ENOSPC: "ENOSPC", EPIPE: "EPIPE", ERANGE: "ERANGE", ENAMETOOLONG: "ENAMETOOLONG",
        ENOSYS: "ENOSYS", ELOOP: "ELOOP", ETIMEDOUT: "ETIMEDOUT", ECONNRESET: "ECONNRESET",
        EOVERFLOW: "EOVERFLOW", EPROTO: "EPROTO", ESHUTDOWN: "ESHUTDOWN", EROFS: "EROFS",
    ]
    return names[code] ?? "errno \(code)"
}
