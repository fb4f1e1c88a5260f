import Foundation
import Synchronization

/// A transport that damages what passes through it as ``LinkFaults`` says: each frame (bytes up
/// to and including a 0x00 delimiter), in either direction, is dropped or has one bit flipped at
/// random, and what this side writes is held back by the delay.
///
/// Incoming bytes are passed on a whole frame at a time, so a frame is judged once however the
/// link splits it; a partial frame waits in the buffer for its delimiter. Writes are judged per
/// call: the callers in this package write one frame per call.
public final class FaultInjectingTransport: ByteTransport, Sendable {
    private let inner: any ByteTransport
    public let faults: LinkFaults
    private struct State {
        var random: SplitMixGenerator
        var pending: [UInt8] = []
        var ready: [UInt8] = []
        var dropped = 0
        var corrupted = 0
    }
    private let state: Mutex<State>

    public init(_ inner: any ByteTransport, faults: LinkFaults) {
        self.inner = inner
        self.faults = faults
        state = Mutex(State(random: SplitMixGenerator(seed: faults.seed ?? UInt64.random(in: 0...UInt64.max))))
    }

    /// Frames dropped and frames damaged so far, both directions.
    public var damage: (dropped: Int, corrupted: Int) { state.withLock { ($0.dropped, $0.corrupted) } }

    public var description: String { "\(inner) with faults \(faults)" }

    private enum Fate { case pass, drop, corrupt(position: Int, bit: Int) }

    private func fate(frameBytes: Int, in s: inout State) -> Fate {
        let u = s.random.unit()
        if u < faults.dropProbability { s.dropped += 1; return .drop }
        // The delimiter is left alone: a flipped delimiter would merge two frames, which a
        // receiver survives too, but the fault would then hit two frames at once.
        if u < faults.dropProbability + faults.corruptProbability, frameBytes > 1 {
            s.corrupted += 1
            return .corrupt(position: Int(s.random.next() % UInt64(frameBytes - 1)), bit: Int(s.random.next() % 8))
        }
        return .pass
    }

    private static func apply(_ fate: Fate, to frame: [UInt8]) -> [UInt8]? {
        switch fate {
        case .pass: return frame
        case .drop: return nil
        case let .corrupt(position, bit):
            var damaged = frame
            damaged[position] ^= UInt8(1 << bit)
            return damaged
        }
    }

    public func write(_ bytes: [UInt8], deadline: ContinuousClock.Instant) throws(TransportError) {
        if faults.delaySeconds > 0 { Thread.sleep(forTimeInterval: faults.delaySeconds) }
        let decided = state.withLock { s in Self.apply(fate(frameBytes: bytes.count, in: &s), to: bytes) }
        guard let out = decided else { return }
        try inner.write(out, deadline: deadline)
    }

    public func read(upTo maxBytes: Int, deadline: ContinuousClock.Instant) throws(TransportError) -> [UInt8] {
        while true {
            let out: [UInt8] = state.withLock { s in
                let n = min(maxBytes, s.ready.count)
                defer { s.ready.removeFirst(n) }
                return Array(s.ready.prefix(n))
            }
            if !out.isEmpty { return out }
            let bytes = try inner.read(upTo: maxBytes, deadline: deadline)
            state.withLock { s in
                s.pending += bytes
                while let end = s.pending.firstIndex(of: 0) {
                    let frame = Array(s.pending[...end])
                    s.pending.removeFirst(end + 1)
                    if let passed = Self.apply(fate(frameBytes: frame.count, in: &s), to: frame) { s.ready += passed }
                }
            }
        }
    }

    public func close() { inner.close() }
}

/// SplitMix64: a small, fast, seedable generator for fault draws.
struct SplitMixGenerator: Sendable {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }
}
