import XbarBoard
import XbarInstrument
import XbarWire

/// Runs a model with the crossbar in the loop: every matrix product (B, C, the readout, and an
/// S4D's decay `A`, its states fed back through the board every step) on the weight tiles of a
/// programmed board; nonlinearities, residuals, pooling and the event SSM's state recursion
/// (unless its states live on STM nodes) on the host.
///
/// The event SSM is run block by block over a sample's events, each product a batch of MVM
/// requests; the S4D is clocked, one batch of products per step across the samples of a batch.
/// The board must hold ``WeightMap``'s targets (see ``WeightProgramming``).
///
/// An event SSM's states are held on the board's STM nodes with a ``statePlayer`` (models
/// trained for the board), else decayed on the host with the model's decay constants; either
/// way the run reports where its arithmetic happened (``HostArithmetic``).
public final class ChipInLoopEngine {
    public let model: SSMModel
    public let map: WeightMap
    public let board: any Board
    public let instrument: Instrument
    /// Samples sharing one S4D step's batch of MVMs.
    public var samplesPerBatch: Int
    /// Whether an S4D's recurrence runs on the chip (the default): its decay `A` multiplied on
    /// its tile every step with the states' magnitudes driving the rows (see
    /// ``ChipInLoopBackend``); off, the states decay on the host.
    ///
    /// A decay factor `a` near 1 turns an error of the step into a state error up to
    /// `1 / (1 - a)` times larger (tenfold at `a = 0.9`, the spoken-digit S4Ds' slowest states
    /// at 10 ms steps), so the map decides: mapped as `a`, one conversion resolves a 40th of the
    /// largest state, and the zero-weight pairs beside each diagonal cell (31 per column, drifting
    /// as they relax) couple the states at the same scale; mapped as `a - 1` (``WeightMap``'s
    /// default), the diagonal's cells span the range for the increment, a tenth of the state,
    /// and both errors shrink by as much. Measured with `xbar-bench infer --s4d-on-chip-study`
    /// (see the README's S4D paragraph for the figures).
    public var decayOnChip: Bool
    /// How rows are driven and columns read (see ``ReadoutSettings``).
    public var settings: ReadoutSettings
    /// Column gains and offsets measured on this board (see ``ReadoutProbe``); nil to use the
    /// ADC's currents as they come.
    public var calibration: ReadoutCalibration?
    /// Pairs whose programming missed, corrected on the host (see ``PairDefects``).
    public var defects: PairDefects
    /// Compare every chip product with the exact one and record converter use (see ``ProductStatistics``).
    public var recordsStatistics = false
    /// Holds an event SSM's states on the board's STM nodes (see ``STMStatePlayer``); nil to
    /// decay them on the host.
    public var statePlayer: STMStatePlayer?
    /// Samples whose top-two logit margin is within the run-to-run noise are run again and
    /// decided on their mean logits (see ``CloseCallRepeats``); nil to decide every sample on
    /// one run.
    public var closeCalls: CloseCallRepeats?
    /// Records what an event SSM's last block and readout were given (see
    /// ``ReadoutInputRecorder``); nil records nothing.
    public var recorder: ReadoutInputRecorder?
    /// The margins' run-to-run spread measured by this engine's close calls so far, kept from
    /// run to run (a chunked inference measures it once).
    public private(set) var marginSpread = MarginSpread()

    /// - Throws: `BoardError` when the board cannot identify itself.
    public init(model: SSMModel, map: WeightMap, board: any Board, instrument: Instrument,
                samplesPerBatch: Int = 16, decayOnChip: Bool = true, settings: ReadoutSettings = .ranged,
                calibration: ReadoutCalibration? = nil, defects: PairDefects = PairDefects()) throws {
        self.defects = defects
        self.model = model
        self.map = map
        self.board = board
        self.instrument = instrument
        self.samplesPerBatch = max(1, samplesPerBatch)
        self.decayOnChip = decayOnChip
        self.settings = settings
        self.calibration = calibration
        let identity = try board.identify()
        maxPayloadBytes = Int(identity.maxPayloadBytes)
        senseRanges = identity.senseRanges ?? []
    }

    let maxPayloadBytes: Int
    /// The board's sense ranges, as its IDENTIFY lists them (none on a board without).
    let senseRanges: [SenseRange]

    /// Runs the samples, and, with ``closeCalls``, the close calls again.
    ///
    /// - Throws: `BoardError` when an MVM fails (a fault, a timeout, a lost link), or when the
    ///   board's STATUS does, read for the close calls' board time.
    public func run(_ samples: [EventSample]) throws -> InferenceRun {
        var backend = ChipInLoopBackend(board: board, model: model, map: map, instrument: instrument,
                                        maxPayloadBytes: maxPayloadBytes, settings: settings, calibration: calibration,
                                        decayOnChip: decayOnChip, defects: defects, senseRanges: senseRanges)
        backend.recordsStatistics = recordsStatistics
        backend.statePlayer = statePlayer
        let stmBefore = statePlayer?.statistics
        var forward = SSMForward(model: model)
        forward.recorder = recorder
        let clock = ContinuousClock()
        let start = clock.now
        let boardStart = closeCalls == nil ? nil : try board.status().boardTimeNanoseconds
        var logits = try pass(samples, forward: forward, backend: &backend)
        var closeCallReport: CloseCallReport?
        var closeCallOperations = 0
        if let closeCalls, let boardStart {
            let firstEnd = try board.status().boardTimeNanoseconds
            let requests = backend.requestCount, vectors = backend.vectorCount
            let decision = try closeCalls.decide(logits, spread: &marginSpread) { indices in
                try pass(indices.map { samples[$0] }, forward: forward, backend: &backend)
            }
            let end = try board.status().boardTimeNanoseconds
            logits = decision.logits
            closeCallOperations = decision.operations
            var report = CloseCallReport()
            report.repeatedSamples = decision.runs.filter { $0 > 1 }.count
            report.extraRuns = decision.runs.reduce(0) { $0 + $1 - 1 }
            report.mvmRequests = backend.requestCount - requests
            report.mvmVectors = backend.vectorCount - vectors
            report.boardSeconds = Double(end &- firstEnd) * 1e-9
            report.firstPassBoardSeconds = Double(firstEnd &- boardStart) * 1e-9
            report.marginSigmaLogits = marginSpread.sigmaLogits
            closeCallReport = report
        }
        let elapsed = start.duration(to: clock.now)
        var arithmetic = backend.hostArithmetic
        arithmetic.closeCallDecisions += closeCallOperations
        var stm: STMStatePlayer.Statistics?
        if let player = statePlayer, let before = stmBefore {
            let now = player.statistics
            stm = now.since(before)
            arithmetic.pulsePlanning += now.planningOperations - before.planningOperations
            arithmetic.stateDecoding += now.decodingOperations - before.decodingOperations
        }
        var result = InferenceRun(logits: logits, labels: samples.map(\.label), backend: backend.backendDescription,
                            eventCount: samples.reduce(0) { $0 + $1.events.count }, wallSeconds: elapsed.seconds,
                            mvmRequests: backend.requestCount, mvmVectors: backend.vectorCount,
                            saturatedConversions: backend.saturatedConversions, remeasuredVectors: backend.remeasuredVectors,
                            productStatistics: backend.statistics)
        result.arithmetic = arithmetic
        result.products = backend.productCount
        result.rangedVectors = backend.rangedVectors
        result.stateNodes = stm
        result.energy = backend.energy + (stm?.energy ?? InferenceEnergy())
        result.closeCalls = closeCallReport
        return result
    }

    /// One run of the samples' forward passes: the event SSM batched over a sample's events
    /// already, and over the samples its state nodes hold at once; the S4D over samples.
    private func pass(_ samples: [EventSample], forward: SSMForward, backend: inout ChipInLoopBackend) throws -> [[Double]] {
        let batch = model.architecture == .s4d ? samplesPerBatch : (statePlayer?.nodeSets?.count ?? 1)
        var logits: [[Double]] = []
        var i = 0
        while i < samples.count {
            let part = Array(samples[i..<min(i + batch, samples.count)])
            logits += try forward.logits(part, backend: &backend)
            i += batch
        }
        return logits
    }
}
