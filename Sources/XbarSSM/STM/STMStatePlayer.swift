import Foundation
import XbarBoard
import XbarDevice
import XbarInstrument
import XbarJobs
import XbarWire

/// Holds an event SSM block's states on STM nodes: one timed program per sample and block.
///
/// For a sample, the block's increments `v_k = B u_k` (products on the weight tiles) are known
/// for every event before the program starts, so the whole pulse schedule is planned at once
/// and played by the board's clock at the events' own times: at each event, every state with a
/// non-zero increment gets a pulse on its `+` node (`v > 0`) or `-` node (`v < 0`) meant to
/// raise that node's conductance by `sigma |v|` siemens, and then every node of the block is
/// read. Between events the nodes decay by their own physics: the state transition costs the
/// host nothing.
///
/// Pulse amplitudes come from the calibrated increment law: the host predicts each node's
/// volatile conductance along the schedule (the calibrated node decaying and saturating towards
/// its ceiling, read disturb included, no noise) and inverts the switching strength for the
/// increment wanted, splitting it over up to ``maxPulsesPerIncrement`` pulses when one pulse at
/// the largest allowed amplitude is not enough. Each program starts with
/// ``baselineReads`` reads of every node at rest; a state is read back as
/// `((G+ - b+) - (G- - b-)) / sigma` with `G = I / V_read` and `b` the node's mean baseline.
/// On a board whose PLAY reads take a sense range, every node is read in its own range (see
/// ``senseRangeIndex(ofNode:)``), so its states span many converter steps.
/// Before a program the nodes are brought back to rest, measured: a
/// board-timed wait until the predicted residual of their last program is within the noise of
/// a rest measurement, then reads of every node, waiting longer while any is still above its
/// calibrated base by more than that noise; the baseline reads measure what is left.
///
/// Several samples play at once on disjoint nodes (``states(of:)``, nodes from ``STMNodeSets``).
///
/// Host arithmetic (pulse planning and decoding) is counted in ``work``.
public final class STMStatePlayer {
    public let board: any Board
    public let nodes: STMNodeModel
    public let instrument: Instrument
    /// Read voltage of the nodes, volts.
    public let readVolts: Double
    /// Width of every state pulse, seconds: by default the shortest the limits allow. A short pulse needs more overdrive for the same increment, so
    /// the increment depends less on the node's threshold, the calibration's least certain
    /// number near it: on the shipped board's first block, states read 27 % rms off the ideal
    /// recursion with 100 ns pulses against 37 % with 1 us ones (15 % against 25 % without
    /// pulse and read noise); over 100 spoken-digit samples, one pulse per increment, 50 ns
    /// pulses gave 89 % against 86 % with 100 ns ones (states 28 % against 29 % rms off).
    public let pulseWidthSeconds: Double
    /// Baseline reads of every node at the start of a program.
    public var baselineReads = 4
    /// Pulses each increment is split into (a board-trained model's own number, which its
    /// training assumed). Their cycle-to-cycle noise averages down by the square root, but a
    /// smaller pulse sits nearer the node's threshold, where the calibrated law is least
    /// certain: over 100 spoken-digit samples on the shipped board, states read 29 % rms off
    /// the ideal recursion with one pulse per increment, 33 % with two, 37 % with four and 48 %
    /// with eight (accuracy 86, 84, 81 and 54 %).
    public var pulsesPerIncrement = 1
    /// Pulses one increment may take at most (more than ``pulsesPerIncrement`` when the largest
    /// allowed amplitude does not reach the increment).
    public var maxPulsesPerIncrement = 8
    /// Measure every node's response to planned pulses before its first sample (see
    /// ``calibrateIncrements(_:)``).
    public var calibratesIncrements = true
    /// Size of each pulse of the gain measurement (``calibrateIncrements(_:programs:pulses:)``)
    /// as a fraction of the node's ceiling.
    public var gainCalibrationIncrementOfCeiling = 0.01
    /// Per node: measured increment over the increment the calibrated law predicts for the same
    /// pulses (1 when not measured).
    public internal(set) var incrementGains: [Int: Double] = [:]
    /// Disjoint node sets for playing several samples at once (see ``STMNodeSets``); nil plays
    /// one sample at a time on the model's own nodes.
    public var nodeSets: STMNodeSets?
    /// Reads of every node in a rest measurement (their mean is compared with the node's base).
    public var restReads = 8
    /// Standard deviations of a rest measurement's mean within which a node is at rest.
    public var restNoiseMultiple = 4.0
    /// Longest rest before a program, seconds: nodes still raised after it are refused.
    public var longestRestSeconds = 60.0
    /// Time from a program's start to a sample's time zero, seconds (room for the baseline reads).
    public var leadInSeconds = 100e-6
    /// Increments below this fraction of a node's ceiling are not pulsed.
    public var smallestIncrementOfCeiling = 1e-4
    /// The conductance a node's sense range must hold, above its base, as a fraction of its
    /// ceiling. A board-trained model fills a node to half its ceiling at the 99.9th percentile
    /// of its accumulation, so 0.7 leaves 40 % headroom; on usb-4x64-multitau 115 of the 128
    /// nodes of a board-trained model read in the 16 uA range at 0.5 V (32 uS full scale, steps
    /// of 0.13 uS against 0.31 uS in the ADC's own 40 uA), the others (base and 70 % of the
    /// ceiling above 32 uS) at the ADC's full scale. A conductance beyond the range reads its full scale.
    public static let senseHeadroomOfCeiling = 0.7
    /// Whether node reads use sense ranges when the board has ranged PLAY reads (capability
    /// ``XbarWire/Capabilities/rangedPlayReads``); false reads at the ADC's read full scale.
    public var usesSenseRanges = true

    /// What the player did, for reports.
    public struct Statistics: Sendable {
        public var programs = 0
        /// Samples' blocks played (a program plays one or several at once), and the most in one program.
        public var samplePrograms = 0
        public var largestSamplesPerProgram = 0
        public var events = 0
        public var pulses = 0
        public var reads = 0
        /// Increments the law could not deliver within the pulse budget (node near its ceiling).
        public var incrementsCutShort = 0
        /// Increments too small to pulse.
        public var incrementsSkipped = 0
        /// Board time the programs took, and the samples' own durations (lead-in included), seconds.
        public var programBoardSeconds = 0.0
        public var sampleSeconds = 0.0
        /// Board-timed rest before the samples' programs, seconds (waits only; the rest reads take
        /// microseconds), and before the programs measuring the nodes' increment gains.
        public var restBoardSeconds = 0.0
        public var calibrationRestBoardSeconds = 0.0
        /// Rest measurements (one read program each), waits they added to the predicted one, and
        /// the rests that needed a measurement-driven wait.
        public var restMeasurements = 0
        public var restExtensions = 0
        public var restExtensionSeconds = 0.0
        /// Nodes found holding still above their rest level, whose level was measured anew.
        public var restLevelsMeasured = 0
        /// Largest mean excess over its calibrated base a node was measured with when declared at
        /// rest, siemens, and the largest noise allowance of a rest measurement.
        public var largestRestResidualSiemens = 0.0
        public var largestRestNoiseSiemens = 0.0
        /// Largest delay of an event's reads after the event's scheduled time, seconds.
        public var largestReadDelaySeconds = 0.0
        /// Largest baseline above a node's calibrated base conductance, siemens (what rest left).
        public var largestBaselineResidualSiemens = 0.0
        /// Requests and uploaded action bytes.
        public var requests = 0
        public var uploadedBytes = 0
        /// Host operations: pulse planning (law inversion, prediction) and decoding reads into states.
        public var planningOperations = 0
        public var decodingOperations = 0
        /// Programs that measured the nodes' increment gains (before their first samples).
        public var calibrationPrograms = 0
        /// With ``STMStatePlayer/comparesStates``: squared differences between the states read and
        /// the ideal recursion at the nodes' calibrated time constants, and squares of the latter.
        public var stateErrorSquares = 0.0
        public var idealStateSquares = 0.0
        /// The state pulses' energy (at each node's predicted conductance) and the reads'
        /// conversions, for the inference's energy estimate.
        public var energy = InferenceEnergy()

        /// RMS difference of the states read from the ideal recursion, relative to the ideal
        /// states' RMS; nil when nothing was compared.
        public var relativeStateError: Double? {
            idealStateSquares > 0 ? (stateErrorSquares / idealStateSquares).squareRoot() : nil
        }

        /// What happened between `earlier` and these figures (largest values kept as they are).
        public func since(_ earlier: Statistics) -> Statistics {
            var d = self
            d.programs -= earlier.programs
            d.samplePrograms -= earlier.samplePrograms
            d.restMeasurements -= earlier.restMeasurements
            d.restExtensions -= earlier.restExtensions
            d.restExtensionSeconds -= earlier.restExtensionSeconds
            d.restLevelsMeasured -= earlier.restLevelsMeasured
            d.events -= earlier.events
            d.pulses -= earlier.pulses
            d.reads -= earlier.reads
            d.incrementsCutShort -= earlier.incrementsCutShort
            d.incrementsSkipped -= earlier.incrementsSkipped
            d.programBoardSeconds -= earlier.programBoardSeconds
            d.sampleSeconds -= earlier.sampleSeconds
            d.restBoardSeconds -= earlier.restBoardSeconds
            d.calibrationRestBoardSeconds -= earlier.calibrationRestBoardSeconds
            d.requests -= earlier.requests
            d.uploadedBytes -= earlier.uploadedBytes
            d.planningOperations -= earlier.planningOperations
            d.calibrationPrograms -= earlier.calibrationPrograms
            d.decodingOperations -= earlier.decodingOperations
            d.stateErrorSquares -= earlier.stateErrorSquares
            d.idealStateSquares -= earlier.idealStateSquares
            d.energy = energy - earlier.energy
            return d
        }
    }

    public internal(set) var statistics = Statistics()
    /// Host operations to plan one pulse: the node's predicted conductance (two decays), the
    /// law's inversion for the amplitude (a power and a logarithm) and the predicted increment.
    static let operationsPerPlannedPulse = 12
    /// Compare every state read with the ideal recursion (a diagnostic computed on the host,
    /// outside the inference's arithmetic; see ``Statistics/relativeStateError``).
    public var comparesStates = false

    /// Adds a comparison of states read with the ideal ones.
    func record(states: [[Double]], ideal: [[Double]]) {
        for (x, y) in zip(states.joined(), ideal.joined()) {
            statistics.stateErrorSquares += (x - y) * (x - y)
            statistics.idealStateSquares += y * y
        }
    }

    let maxPayloadBytes: Int
    /// Read step at the ADC's own read full scale, siemens.
    let readStepSiemens: Double
    /// Whether the board converts PLAY reads in a range it is asked for.
    let boardHasRangedReads: Bool
    var nextProgramID: UInt16 = 1
    /// Per node: board time (ns) after which it is at rest, from its last program's prediction.
    var restUntilNanoseconds: [Int: UInt64] = [:]
    /// Per node: how far above its calibrated base a rest measurement found it holding still, siemens.
    var restOffsetSiemens: [Int: Double] = [:]

    /// - Parameters:
    ///   - readVolts: the nodes' read voltage (a board-trained model's own; else the instrument's
    ///     `stm_read_volts`).
    /// - Throws: ``STMStateError/readOutOfRange`` when `readVolts` passes the instrument's read limit;
    ///   ``BoardError`` when the board cannot identify itself.
    public init(board: any Board, nodes: STMNodeModel, instrument: Instrument, readVolts: Double,
                pulseWidthSeconds: Double? = nil) throws {
        let limit = Double(instrument.limits.maxReadVolts)
        guard readVolts > 0, readVolts <= limit * (1 + 1e-6) else {
            throw STMStateError.readOutOfRange("\(readVolts) V is outside (0, limits.max_read_volts = \(limit) V] of \(instrument.name)")
        }
        self.board = board
        self.nodes = nodes
        self.instrument = instrument
        self.readVolts = min(readVolts, limit)
        self.pulseWidthSeconds = pulseWidthSeconds ?? Double(instrument.limits.minPulseWidthSeconds)
        let identity = try board.identify()
        maxPayloadBytes = Int(identity.maxPayloadBytes)
        boardHasRangedReads = identity.capabilities.contains(.rangedPlayReads) && !instrument.senseRanges.isEmpty
        let levels = Double((1 << Int(instrument.adc.bits)) - 1)
        readStepSiemens = Double(instrument.adc.readFullScaleAmperes) / levels / self.readVolts
    }

    /// A player for a board-trained model: its read voltage and pulses per increment.
    ///
    /// - Throws: ``STMStateError`` when the model was not trained for a board or its read voltage
    ///   passes the instrument's limit; ``BoardError`` when the board cannot identify itself.
    public convenience init(board: any Board, nodes: STMNodeModel, instrument: Instrument, model: SSMModel,
                            pulseWidthSeconds: Double? = nil) throws {
        guard let binding = model.boardBinding else {
            throw STMStateError.modelNotBound("\(model.file) was not trained for a board's STM nodes")
        }
        try self.init(board: board, nodes: nodes, instrument: instrument, readVolts: binding.stmReadVolts,
                      pulseWidthSeconds: pulseWidthSeconds)
        pulsesPerIncrement = binding.pulsesPerIncrement
    }

    /// The sense range node `node` is read in: the smallest of the instrument's ranges whose
    /// full scale holds, at ``readVolts``, the node's calibrated base plus
    /// ``senseHeadroomOfCeiling`` of its ceiling; nil (the ADC's read full scale) when the board
    /// has no ranged PLAY reads, ``usesSenseRanges`` is false, or no range holds that much.
    public func senseRangeIndex(ofNode node: Int) -> UInt8? {
        guard usesSenseRanges, boardHasRangedReads else { return nil }
        let draw = nodes.draws[node]
        let amperes = readVolts * (draw.baseSiemens + Self.senseHeadroomOfCeiling * draw.ceilingSiemens)
        let fitting = instrument.senseRanges.enumerated().filter { Double($0.element.fullScaleAmperes) >= amperes }
        guard let smallest = fitting.min(by: { $0.element.fullScaleAmperes < $1.element.fullScaleAmperes }),
              smallest.element.fullScaleAmperes < instrument.adc.readFullScaleAmperes else { return nil }
        return UInt8(smallest.offset)
    }

    /// Converter step of node `node`'s reads, siemens.
    public func readStepSiemens(ofNode node: Int) -> Double {
        guard let index = senseRangeIndex(ofNode: node) else { return readStepSiemens }
        let levels = Double((1 << Int(instrument.adc.bits)) - 1)
        return Double(instrument.senseRanges[Int(index)].fullScaleAmperes) / levels / readVolts
    }

    /// The largest pulse amplitude the limits allow at the state pulse width, volts.
    var largestAmplitudeVolts: Double {
        let limits = instrument.limits
        let energyBound = Double(limits.maxPulseEnergyJoules) / (Double(limits.complianceAmperes) * pulseWidthSeconds)
        return min(Double(limits.maxSetVolts), energyBound) * (1 - 1e-6)
    }

    /// Measures how each node responds to the pulses the planner gives it, against what the
    /// calibrated law predicts: `programs` timed programs, each with baseline reads of every node,
    /// then `pulses` pulses per node planned for 1 % of its ceiling each (all nodes at once,
    /// round after round) and a read right after. The ratio of measured to predicted rise, summed
    /// over the programs, is the node's gain; the planner divides increments by it.
    ///
    /// The law is fitted from bursts at a few amplitudes; each node's threshold and increment
    /// fraction trade off along it, so the increment of a small planned pulse can be off by 10 %
    /// or more, and that error is the node's for the whole run. The cycle-to-cycle spread
    /// averages out over `programs x pulses` pulses (about 3 % with the defaults).
    ///
    /// - Throws: ``BoardError`` from the programs.
    public func calibrateIncrements(_ nodeList: [Int], programs: Int = 6, pulses: Int = 16) throws {
        let order = nodeList.sorted()
        let tileIndex = nodes.tile.index
        let vMax = largestAmplitudeVolts
        let width = Float(pulseWidthSeconds)
        var measured = [Double](repeating: 0, count: order.count)
        var predictedRise = [Double](repeating: 0, count: order.count)
        // Rest before these programs is the measurement's, not the samples'.
        let restBefore = (statistics.restBoardSeconds, statistics.restExtensions, statistics.restExtensionSeconds)
        defer {
            statistics.calibrationRestBoardSeconds += statistics.restBoardSeconds - restBefore.0
            (statistics.restBoardSeconds, statistics.restExtensions, statistics.restExtensionSeconds) = restBefore
        }
        for _ in 0..<programs {
            try rest(order)
            var quiet = Xoshiro256StarStar(seed: 0)
            var predicted = order.map { ShortTermMemoryCell(drawn: nodes.draws[$0]) }
            let laws = order.map { nodes.noiselessLaw(ofNode: $0) }
            var actions: [PlayAction] = []
            for _ in 0..<baselineReads {
                for (k, n) in order.enumerated() {
                    actions.append(read(ofNode: n, atNanoseconds: 0))
                    _ = predicted[k].read(readVolts: readVolts, at: 0, parameters: laws[k], generator: &quiet)
                }
            }
            let t = leadInSeconds
            let offset = UInt64((t * 1e9).rounded())
            for _ in 0..<pulses {
                for (k, n) in order.enumerated() {
                    let draw = nodes.draws[n], law = laws[k]
                    let room = draw.ceilingSiemens - predicted[k].volatileConductance(at: t)
                    guard room > 0 else { continue }
                    let strength = SwitchingStrength(thresholdVolts: draw.thresholdVolts, overdriveScaleVolts: law.overdriveScaleVolts,
                                                     referenceWidthSeconds: law.referenceWidthSeconds, widthExponent: law.widthExponent)
                    let s = gainCalibrationIncrementOfCeiling * draw.ceilingSiemens / (draw.incrementFraction * room)
                    let volts = min(strength.amplitudeVolts(forStrength: s, widthSeconds: pulseWidthSeconds), vMax)
                    predicted[k].pulse(amplitudeVolts: volts, widthSeconds: pulseWidthSeconds, at: t, parameters: law, generator: &quiet)
                    actions.append(PlayAction(offsetNanoseconds: offset, tile: tileIndex, cell: nodes.cell(n),
                                              operation: .pulse(amplitudeVolts: Float(volts), widthSeconds: width)))
                }
            }
            for n in order { actions.append(read(ofNode: n, atNanoseconds: offset)) }
            let outcome = try play(actions).outcome
            statistics.calibrationPrograms += 1
            let baseline = meanSiemens(outcome.results, rounds: baselineReads, nodes: order.count)
            var r = baselineReads * order.count
            var last = outcome.started.startNanoseconds
            for k in order.indices {
                let result = outcome.results[r]
                last = max(last, result.timestampNanoseconds)
                measured[k] += Double(result.amperes) / readVolts - baseline[k]
                // The prediction decays to the read's own time (the rounds of pulses take a few microseconds).
                let readTime = Double(result.timestampNanoseconds &- outcome.started.startNanoseconds) * 1e-9
                predictedRise[k] += predicted[k].volatileConductance(at: readTime)
                r += 1
            }
            for (k, n) in order.enumerated() {
                let end = Double(last &- outcome.started.startNanoseconds) * 1e-9
                restUntilNanoseconds[n] = last &+ UInt64((restSeconds(predicted[k], ofNode: n, after: end) * 1e9).rounded())
            }
        }
        for (k, n) in order.enumerated() where predictedRise[k] > 0 && measured[k] > 0 {
            incrementGains[n] = measured[k] / predictedRise[k]
        }
    }
}
