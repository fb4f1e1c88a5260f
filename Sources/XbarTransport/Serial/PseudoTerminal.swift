import Glibc

/// A pseudo-terminal pair for the board side of a serial link: this object reads and writes the
/// master; the host opens `slavePath` (or `linkPath`) as its serial port, like a real board's.
///
/// The slave side is put in raw mode and kept open by this object as well, so the master does
/// not see a hang-up between host sessions: a host may close the port and reopen it. Closing this
/// object closes the master, which the host sees as `.disconnected`.
public final class PseudoTerminal: ByteTransport {
    /// The slave device, e.g. "/dev/pts/3".
    public let slavePath: String
    /// A symbolic link to the slave, when one was asked for; removed on close.
    public let linkPath: String?
    private let stream: DescriptorStream

    /// Opens a new pseudo-terminal pair in raw mode, and links `linkPath` to the slave if given
    /// (replacing a stale link there, never a regular file).
    ///
    /// - Throws: `.system` when no pseudo-terminal can be allocated; `.invalidConfiguration` when
    ///   `linkPath` exists and is not a symbolic link.
    /// The corresponding C functions are `openpty`, `cfmakeraw`, `ttyname_r`, `symlink`.
    public init(linkPath: String? = nil) throws(TransportError) {
        var master: Int32 = -1
        var slave: Int32 = -1
        guard openpty(&master, &slave, nil, nil, nil) == 0 else {
            throw .system(.posix(errno, "open a pseudo-terminal"))
        }
        func fail(_ error: TransportError) -> TransportError {
            Glibc.close(master)
            Glibc.close(slave)
            return error
        }
        _ = fcntl(slave, F_SETFD, FD_CLOEXEC)
        var settings = termios()
        guard tcgetattr(slave, &settings) == 0 else {
            throw fail(.system(.posix(errno, "read the line settings of a new pseudo-terminal")))
        }
        cfmakeraw(&settings)
        guard tcsetattr(slave, TCSANOW, &settings) == 0 else {
            throw fail(.system(.posix(errno, "set raw mode on a new pseudo-terminal")))
        }
        var name = [CChar](repeating: 0, count: 256)
        let nameStatus = ttyname_r(slave, &name, name.count)
        guard nameStatus == 0 else {
            throw fail(.system(.posix(nameStatus, "find the name of a new pseudo-terminal")))
        }
        let slavePath = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if let linkPath {
            var existing = stat()
            if lstat(linkPath, &existing) == 0 {
                guard existing.st_mode & S_IFMT == S_IFLNK else {
                    throw fail(.invalidConfiguration(
                        what: linkPath,
                        reason: "exists and is not a symbolic link; remove it or choose another link path"))
                }
                unlink(linkPath)
            }
            guard symlink(slavePath, linkPath) == 0 else {
                throw fail(.system(.posix(errno, "link \(linkPath) to \(slavePath)")))
            }
        }
        self.slavePath = slavePath
        self.linkPath = linkPath
        let heldSlave = slave
        let removeLink: @Sendable () -> Void = {
            if let linkPath, linkTarget(linkPath) == slavePath { unlink(linkPath) }
        }
        do throws(TransportError) {
            self.stream = try DescriptorStream(fd: master, name: "pseudo-terminal master of \(slavePath)") { _ in
                Glibc.close(heldSlave)
                removeLink()
            }
        } catch {
            // The stream closed the master already.
            Glibc.close(heldSlave)
            removeLink()
            throw error
        }
    }

    /// The path a host should open: the link when there is one, otherwise the slave device.
    public var hostPath: String { linkPath ?? slavePath }

    public var description: String {
        "pseudo-terminal \(slavePath)" + (linkPath.map { " (linked from \($0))" } ?? "")
    }

    public func write(_ bytes: [UInt8], deadline: ContinuousClock.Instant) throws(TransportError) {
        try stream.write(bytes, deadline: deadline)
    }

    public func read(upTo maxBytes: Int, deadline: ContinuousClock.Instant) throws(TransportError) -> [UInt8] {
        try stream.read(upTo: maxBytes, deadline: deadline)
    }

    /// Closes the master (the host sees a hang-up), the slave held here, and removes the link.
    public func close() { stream.close() }
}

private func linkTarget(_ path: String) -> String? {
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let length = readlink(path, &buffer, buffer.count - 1)
    guard length >= 0 else { return nil }
    return String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
