import Foundation

/// What happened to one short-term-memory node, in board time: the pulses it received and the
/// reads taken of it. A whole measurement session of a node is one history, because the
/// volatile state carries over from one pulse to the next when they come within a few `tau`.
public struct DecayHistory: Hashable, Sendable, Codable {
    public enum Event: Hashable, Sendable, Codable {
        /// A pulse ending at `timeSeconds`; `condition` indexes the pulse conditions
        /// (amplitude and width) of the history.
        case pulse(timeSeconds: Double, condition: Int)
        /// A read at `timeSeconds` that returned `conductanceSiemens`; `heldOut` reads are
        /// predicted but not fitted.
        case read(timeSeconds: Double, conductanceSiemens: Double, heldOut: Bool)

        public var timeSeconds: Double {
            switch self {
            case .pulse(let t, _), .read(let t, _, _): return t
            }
        }
    }

    /// Pulse conditions: amplitude (volts) and width (seconds).
    public var conditions: [PulseCondition]
    /// Events in time order.
    public var events: [Event]

    public init(conditions: [PulseCondition], events: [Event]) {
        self.conditions = conditions
        self.events = events
    }
}

/// A pulse amplitude (volts) and width (seconds).
public struct PulseCondition: Hashable, Sendable, Codable {
    public var amplitudeVolts: Double
    public var widthSeconds: Double

    public init(amplitudeVolts: Double, widthSeconds: Double) {
        self.amplitudeVolts = amplitudeVolts
        self.widthSeconds = widthSeconds
    }
}

/// The volatile-state law of ``ShortTermMemoryCellParameters`` for one node, with each pulse
/// condition's strength folded into one per-pulse fraction `k` (`incrementFraction * s(V, w)`)
/// and the read disturbance as a per-read fraction `d` (`incrementFraction * readDisturbFraction`).
public struct DecayLaw: Hashable, Sendable, Codable {
    public var baseSiemens: Double
    public var ceilingSiemens: Double
    public var tauSeconds: Double
    public var slowTauSeconds: Double
    public var slowFraction: Double
    /// Per-pulse fraction of the distance to the ceiling, per pulse condition.
    public var pulseFractions: [Double]
    /// Per-read fraction of the distance to the ceiling.
    public var readFraction: Double

    public init(baseSiemens: Double, ceilingSiemens: Double, tauSeconds: Double, slowTauSeconds: Double,
                slowFraction: Double, pulseFractions: [Double], readFraction: Double) {
        self.baseSiemens = baseSiemens
        self.ceilingSiemens = ceilingSiemens
        self.tauSeconds = tauSeconds
        self.slowTauSeconds = slowTauSeconds
        self.slowFraction = slowFraction
        self.pulseFractions = pulseFractions
        self.readFraction = readFraction
    }

    /// The expected conductance at every read of `history`, in order, starting from a
    /// decayed state (`g = 0`) before its first event.
    public func predictedReads(_ history: DecayHistory) -> [Double] {
        var fast = 0.0, slow = 0.0, now = history.events.first?.timeSeconds ?? 0
        var out: [Double] = []
        out.reserveCapacity(history.events.count)
        func add(_ fraction: Double) {
            let increment = fraction * (ceilingSiemens - fast - slow)
            fast += (1 - slowFraction) * increment
            slow += slowFraction * increment
        }
        for event in history.events {
            let dt = event.timeSeconds - now
            if dt > 0 {
                fast *= exp(-dt / tauSeconds)
                if slowFraction > 0 { slow *= exp(-dt / slowTauSeconds) }
                now = event.timeSeconds
            }
            switch event {
            case .pulse(_, let condition):
                add(pulseFractions[condition])
            case .read:
                out.append(baseSiemens + fast + slow)
                add(readFraction)
            }
        }
        return out
    }
}
