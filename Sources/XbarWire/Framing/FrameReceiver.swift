/// Cuts a byte stream into checked frames at each 0x00 delimiter.
///
/// Feed it whatever the link delivers (partial frames, several frames, garbage) with
/// ``append(_:)`` and take frames with ``next()`` until it returns nil. After garbage or a
/// damaged frame it reports one error and resumes at the next delimiter. Consecutive
/// delimiters (empty frames) are skipped silently, so a sender may start with 0x00 to
/// flush a half-received frame on the other side.
public struct FrameReceiver: Sendable {
    /// The longest stuffed frame accepted, bytes without the delimiter; longer frames are
    /// dropped up to their delimiter and reported as `.oversized`.
    public let maxFrameBytes: Int
    private var inbox: [UInt8] = []
    private var readIndex = 0
    /// Stuffed bytes of the frame being received, at most `maxFrameBytes`.
    private var current: [UInt8] = []
    /// Bytes of the current frame dropped beyond `maxFrameBytes`.
    private var dropped = 0

    /// - Parameter maxFrameBytes: the longest stuffed frame accepted, bytes without the
    ///   delimiter; by default that of a 64 KiB payload (``FrameLayout/stuffedFrameBytes(payloadBytes:)``
    ///   gives it for a board's smaller `maxPayloadBytes`).
    public init(maxFrameBytes: Int = FrameLayout.stuffedFrameBytes(payloadBytes: FrameLayout.maxPayloadBytes)) {
        self.maxFrameBytes = max(maxFrameBytes, 1)
    }

    /// Adds received bytes.
    public mutating func append<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        if readIndex > 0 && readIndex >= inbox.count / 2 {
            inbox.removeSubrange(..<readIndex)
            readIndex = 0
        }
        inbox.append(contentsOf: bytes)
    }

    /// The next whole frame, or the error of the next damaged one; nil when more bytes are needed.
    public mutating func next() -> Result<Frame, WireError>? {
        while readIndex < inbox.count {
            guard let end = inbox[readIndex...].firstIndex(of: 0) else {
                take(inbox[readIndex...])
                readIndex = inbox.count
                break
            }
            take(inbox[readIndex..<end])
            readIndex = end + 1
            defer {
                current.removeAll(keepingCapacity: true)
                dropped = 0
            }
            if dropped > 0 {
                let total = current.count + dropped
                return .failure(WireError(.oversized, field: "frame", offset: maxFrameBytes,
                                          sequence: COBS.sequenceHint(current),
                                          reason: "a stuffed frame of \(total) bytes exceeds the maximum of \(maxFrameBytes)"))
            }
            if current.isEmpty { continue }
            do throws(WireError) {
                return .success(try Frame(stuffed: current))
            } catch {
                return .failure(error)
            }
        }
        if readIndex == inbox.count {
            inbox.removeAll(keepingCapacity: true)
            readIndex = 0
        }
        return nil
    }

    private mutating func take(_ bytes: ArraySlice<UInt8>) {
        let room = maxFrameBytes - current.count
        if bytes.count <= room {
            current.append(contentsOf: bytes)
        } else {
            current.append(contentsOf: bytes.prefix(room))
            dropped += bytes.count - room
        }
    }
}
