/// How long the simulated board takes for each part of an operation, in seconds of board time.
/// Board time advances by these (and by pulse widths, read-train intervals and program offsets),
/// so that STM decay, relaxation and timestamps follow what a real board would do.
public struct SimulatedTiming: Hashable, Sendable {
    /// Fixed cost of receiving, decoding and answering one request.
    public var requestOverheadSeconds: Double
    /// One read of one cell (per averaging); cells of a READ are read one after another,
    /// the cells of a read train all at once.
    public var readSeconds: Double
    /// Settling gap after each pulse of a PULSE or PULSE_BATCH.
    public var pulseGapSeconds: Double
    /// Settling and conversion of one voltage-encoded MVM vector (pulse-width vectors add
    /// their longest width).
    public var mvmVectorSeconds: Double

    public init(requestOverheadSeconds: Double = 2e-6, readSeconds: Double = 1e-6,
                pulseGapSeconds: Double = 100e-9, mvmVectorSeconds: Double = 1e-6) {
        self.requestOverheadSeconds = requestOverheadSeconds
        self.readSeconds = readSeconds
        self.pulseGapSeconds = pulseGapSeconds
        self.mvmVectorSeconds = mvmVectorSeconds
    }
}

extension Double {
    /// Seconds as whole nanoseconds of the board clock (negative and non-finite values give 0).
    var wholeNanoseconds: UInt64 {
        guard isFinite, self > 0 else { return 0 }
        return UInt64((self * 1e9).rounded())
    }
}
