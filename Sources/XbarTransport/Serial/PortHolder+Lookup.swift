import Foundation
import Glibc

extension PortHolder {
    /// The process holding `path` open, found through `/proc`: first the holder of an `flock`
    /// on it (`/proc/locks`), otherwise any process with a descriptor open on it
    /// (`/proc/<pid>/fd`). Nil when neither names one (another user's process we may not inspect).
    public static func holding(_ path: String) -> PortHolder? {
        guard let target = fileIdentity(path) else { return nil }
        if let pid = flockHolder(of: target) ?? openerPID(of: target) {
            return PortHolder(pid: pid, command: commandName(of: pid))
        }
        return nil
    }

    private struct FileIdentity: Equatable {
        var major: UInt64
        var minor: UInt64
        var inode: UInt64
    }

    private static func fileIdentity(_ path: String) -> FileIdentity? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        let dev = UInt64(info.st_dev)
        // The glibc encoding of dev_t; `major()`/`minor()` are macros Swift does not import.
        let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & ~UInt64(0xfff))
        let minor = (dev & 0xff) | ((dev >> 12) & ~UInt64(0xff))
        return FileIdentity(major: major, minor: minor, inode: UInt64(info.st_ino))
    }

    /// Lines of `/proc/locks` look like `1: FLOCK  ADVISORY  WRITE 4242 00:19:5 0 EOF`
    /// (blocked waiters have a `->` before the type); the device is hexadecimal major:minor.
    private static func flockHolder(of target: FileIdentity) -> Int32? {
        guard let text = try? String(contentsOfFile: "/proc/locks", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 6, fields[1] != "->" else { continue }
            guard let pid = Int32(fields[4]) else { continue }
            let parts = fields[5].split(separator: ":")
            guard parts.count == 3,
                  let major = UInt64(parts[0], radix: 16),
                  let minor = UInt64(parts[1], radix: 16),
                  let inode = UInt64(parts[2])
            else { continue }
            if FileIdentity(major: major, minor: minor, inode: inode) == target { return pid }
        }
        return nil
    }

    private static func openerPID(of target: FileIdentity) -> Int32? {
        let own = getpid()
        guard let processes = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return nil }
        for entry in processes {
            guard let pid = Int32(entry), pid != own else { continue }
            let fdDirectory = "/proc/\(entry)/fd"
            guard let descriptors = try? FileManager.default.contentsOfDirectory(atPath: fdDirectory) else {
                continue
            }
            for descriptor in descriptors where fileIdentity("\(fdDirectory)/\(descriptor)") == target {
                return pid
            }
        }
        return nil
    }

    private static func commandName(of pid: Int32) -> String? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8) else { return nil }
        let name = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return name.isEmpty ? nil : name
    }
}
