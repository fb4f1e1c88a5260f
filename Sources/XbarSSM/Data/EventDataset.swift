/// One event of a sample: when, on which input channel, which polarity.
public struct Event: Hashable, Sendable {
    /// Seconds from the start of the sample.
    public var timeSeconds: Double
    public var channel: Int
    /// +1 (ON) or -1 (OFF).
    public var polarity: Int

    public init(timeSeconds: Double, channel: Int, polarity: Int) {
        self.timeSeconds = timeSeconds
        self.channel = channel
        self.polarity = polarity
    }
}

/// A labelled event sample.
public struct EventSample: Hashable, Sendable {
    /// Sorted by time.
    public var events: [Event]
    public var label: Int

    public init(events: [Event], label: Int) {
        self.events = events
        self.label = label
    }
}

/// An event data set file (`xbarlab-events-1`): samples of time-sorted events and their labels.
///
/// Tensors: `events_time_seconds` (f64), `events_channel` (i32), `events_polarity` (i8),
/// `sample_offsets` (i64, samples + 1 values, CSR style), `labels` (i32); metadata
/// `format`, `class_names` (JSON list), `num_channels`.
public struct EventDataset: Sendable {
    public static let format = "xbarlab-events-1"

    public let file: String
    public let samples: [EventSample]
    public let classNames: [String]
    public let channelCount: Int
    public let metadata: [String: String]

    public var count: Int { samples.count }

    /// Reads and validates a data set file.
    ///
    /// - Throws: ``SSMFileError`` naming the file and tensor when a tensor is missing or of the
    ///   wrong length, offsets are not increasing, times are not sorted within a sample, a channel
    ///   or label is out of range, or a polarity is not +1 or -1.
    public init(contentsOf path: String) throws(SSMFileError) {
        let f = try SafeTensorsFile(contentsOf: path)
        func fail(_ key: String?, _ problem: String) -> SSMFileError { SSMFileError(file: path, key: key, problem: problem) }
        guard f.metadata["format"] == Self.format else {
            throw fail("__metadata__.format", "is \(f.metadata["format"].map { "\"\($0)\"" } ?? "missing"); expected \"\(Self.format)\" (an event data set)")
        }
        let reader = ModelFileReader(f)
        let names = try reader.strings("class_names")
        let channels = try reader.int("num_channels", atLeast: 1)
        // Counts, channels and labels are read exactly as integers: a float tensor (where a NaN
        // or 1e300 could stand) is refused by name before any conversion.
        let times = try f.doubles("events_time_seconds")
        let chans = try f.integers("events_channel")
        let pols = try f.integers("events_polarity")
        let offsets = try f.integers("sample_offsets")
        let labels = try f.integers("labels")
        guard chans.count == times.count else { throw fail("events_channel", "has \(chans.count) events, events_time_seconds \(times.count)") }
        guard pols.count == times.count else { throw fail("events_polarity", "has \(pols.count) events, events_time_seconds \(times.count)") }
        guard offsets.count == labels.count + 1, offsets.first == 0, offsets.last == times.count else {
            throw fail("sample_offsets", "must hold samples + 1 = \(labels.count + 1) offsets from 0 to the event count \(times.count)")
        }
        var samples: [EventSample] = []
        samples.reserveCapacity(labels.count)
        for s in 0..<labels.count {
            let a = offsets[s], b = offsets[s + 1]
            guard a <= b else { throw fail("sample_offsets", "offset \(s + 1) (\(b)) is below offset \(s) (\(a))") }
            guard b <= times.count else {
                throw fail("sample_offsets", "offset \(s + 1) (\(b)) is beyond the event count \(times.count)")
            }
            guard labels[s] >= 0, labels[s] < names.count else {
                throw fail("labels", "sample \(s) has label \(labels[s]); there are \(names.count) classes")
            }
            var events: [Event] = []
            events.reserveCapacity(b - a)
            var previous = 0.0
            for k in a..<b {
                let c = chans[k], p = pols[k], t = times[k]
                guard t.isFinite, t >= previous else {
                    throw fail("events_time_seconds", "event \(k) of sample \(s) at \(t) s is not finite or comes before the previous event (\(previous) s)")
                }
                guard c >= 0, c < channels else { throw fail("events_channel", "event \(k) is on channel \(c); the set has \(channels) channels") }
                guard p == 1 || p == -1 else { throw fail("events_polarity", "event \(k) has polarity \(p); expected +1 or -1") }
                previous = t
                events.append(Event(timeSeconds: t, channel: c, polarity: p))
            }
            samples.append(EventSample(events: events, label: labels[s]))
        }
        self.file = path
        self.samples = samples
        self.classNames = names
        self.channelCount = channels
        self.metadata = f.metadata
    }
}
