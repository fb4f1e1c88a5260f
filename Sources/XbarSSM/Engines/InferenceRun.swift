/// The outcome of running a model over samples.
public struct InferenceRun: Sendable {
    /// `[samples][classes]`.
    public var logits: [[Double]]
    public var labels: [Int]
    /// Where the results come from ("digital reference (float64)", "simulated", "serial:...").
    public var backend: String
    /// Events the samples held.
    public var eventCount: Int
    /// Host wall time of the run, seconds.
    public var wallSeconds: Double
    /// MVM requests and vectors sent to a board (0 for the digital reference).
    public var mvmRequests: Int
    public var mvmVectors: Int
    /// Conversions that read the ADC's full scale, and vectors measured again because of them.
    public var saturatedConversions = 0
    public var remeasuredVectors = 0
    /// Matrix-vector products the engine asked of the board (input vectors per tile slab), and
    /// vectors of those converted in a sense range (dither copies included): `mvmVectors /
    /// products` is the conversions each product cost.
    public var products = 0
    public var rangedVectors = 0
    /// Chip products compared with exact ones, by matrix name (empty unless the engine was asked
    /// to record them).
    public var productStatistics: [String: ProductStatistics] = [:]
    /// Where the arithmetic happened (zero for the digital reference).
    public var arithmetic = HostArithmetic()
    /// What the inference asked of the chip, for its energy estimate (zero for the digital
    /// reference): products, conversions and STM pulses together.
    public var energy = InferenceEnergy()
    /// What holding the states on STM nodes took, when they were.
    public var stateNodes: STMStatePlayer.Statistics?
    /// What deciding close calls again took, when the engine did (its extra runs are also in
    /// the requests, vectors, arithmetic and energy above); `logits` are then each sample's
    /// mean over its runs.
    public var closeCalls: CloseCallReport?

    /// The class with the largest logit, per sample (the first on ties, like NumPy's argmax).
    public var predictions: [Int] {
        logits.map { l in l.indices.reduce(0) { l[$1] > l[$0] ? $1 : $0 } }
    }

    /// Fraction of samples classified correctly.
    public var accuracy: Double {
        guard !labels.isEmpty else { return 0 }
        return Double(zip(predictions, labels).filter { $0 == $1 }.count) / Double(labels.count)
    }

    /// Events processed per second of wall time.
    public var eventsPerSecond: Double { wallSeconds > 0 ? Double(eventCount) / wallSeconds : 0 }
    /// Wall time per event, seconds.
    public var secondsPerEvent: Double { eventCount > 0 ? wallSeconds / Double(eventCount) : 0 }
}
