import XbarDevice
import XbarWire

extension DecayHistory {
    /// The history of one node from its traces (any order): every pulse at the board time its
    /// train reports and every read, sorted by board time.
    ///
    /// - Parameters:
    ///   - conditions: the pulse conditions to index pulses by; a trace whose pulse is not
    ///     among them adds one.
    ///   - isHeldOut: which traces' reads are predicted but not fitted.
    public init(traces: [STMTrace], conditions: [PulseCondition] = [], isHeldOut: (STMTrace) -> Bool = { _ in false }) {
        var conditions = conditions
        var events: [(order: Int, event: Event)] = []
        for t in traces {
            if let a = t.amplitudeVolts, let w = t.widthSeconds, let end = t.pulseEndNanoseconds, t.pulseCount > 0 {
                let c = PulseCondition(amplitudeVolts: a, widthSeconds: w)
                let index = conditions.firstIndex(of: c) ?? { conditions.append(c); return conditions.count - 1 }()
                let times = t.pulseTimesNanoseconds.count == t.pulseCount ? t.pulseTimesNanoseconds : [UInt64](repeating: end, count: t.pulseCount)
                for time in times { events.append((0, .pulse(timeSeconds: Double(time) * 1e-9, condition: index))) }
            }
            let heldOut = isHeldOut(t)
            for (time, g) in zip(t.timestampsNanoseconds, t.conductancesSiemens) {
                events.append((1, .read(timeSeconds: Double(time) * 1e-9, conductanceSiemens: g, heldOut: heldOut)))
            }
        }
        // Stable by time; a pulse and a read at the same instant: the pulse first.
        let sorted = events.enumerated().sorted {
            ($0.element.event.timeSeconds, $0.element.order, $0.offset) < ($1.element.event.timeSeconds, $1.element.order, $1.offset)
        }
        self.init(conditions: conditions, events: sorted.map(\.element.event))
    }
}
