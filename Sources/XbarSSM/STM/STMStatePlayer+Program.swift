import XbarBoard
import XbarDevice
import XbarJobs
import XbarWire

/// One block of one sample for the STM nodes: where its states live and what drives them.
public struct STMSampleBlock: Sendable {
    /// The block's nodes for this sample, `[+, -]` per state (a model file's `stm_nodes`, or a
    /// substitute set of ``STMNodeSets``).
    public var pairs: [Int]
    /// `sigma` per state, siemens per unit of state.
    public var siemensPerUnit: [Double]
    /// The events' times from the sample's start, seconds.
    public var timesSeconds: [Double]
    /// `v_k = B u_k` per event.
    public var increments: [[Double]]

    public init(pairs: [Int], siemensPerUnit: [Double], timesSeconds: [Double], increments: [[Double]]) {
        precondition(pairs.count == 2 * siemensPerUnit.count && increments.count == timesSeconds.count)
        self.pairs = pairs
        self.siemensPerUnit = siemensPerUnit
        self.timesSeconds = timesSeconds
        self.increments = increments
    }
}

extension STMStatePlayer {
    /// States of one block over one sample, read from the nodes: `x_k` for every event.
    ///
    /// - Parameters:
    ///   - pairs: the block's nodes, `[+, -]` per state (a model file's `stm_nodes`).
    ///   - siemensPerUnit: `sigma` per state.
    /// - Throws: ``BoardError`` from the program or the rest; ``STMStateError`` when a node is not
    ///   on the tile or does not come back to rest.
    public func states(pairs: [Int], siemensPerUnit: [Double], timesSeconds: [Double], increments: [[Double]]) throws -> [[Double]] {
        try states(of: [STMSampleBlock(pairs: pairs, siemensPerUnit: siemensPerUnit, timesSeconds: timesSeconds, increments: increments)])[0]
    }

    /// States of one block over several samples played at once, each on its own nodes: one
    /// timed program whose actions are the samples' own merged in time order, so the program
    /// lasts as long as the longest sample. Every sample's states mean what they mean played
    /// alone: each node's pulses are planned with its own calibrated law, and its reads decoded
    /// against its own baseline. Samples whose actions together pass the instrument's
    /// `max_program_actions` go into further programs.
    ///
    /// - Returns: per sample, `x_k` for every event.
    /// - Throws: ``STMStateError`` when a node is off the tile, two samples share a node, or the
    ///   nodes do not come back to rest; ``BoardError`` from the programs or the rest.
    public func states(of samples: [STMSampleBlock]) throws -> [[[Double]]] {
        let all = samples.flatMap(\.pairs)
        if let outside = all.first(where: { $0 < 0 || $0 >= nodes.nodeCount }) {
            throw STMStateError.modelNotBound("node \(outside) is not on tile \(nodes.tile.index) (\(nodes.nodeCount) nodes)")
        }
        guard Set(all).count == all.count else {
            throw STMStateError.modelNotBound("samples played at once must hold their states on disjoint nodes")
        }
        if calibratesIncrements {
            let unknown = all.filter { incrementGains[$0] == nil }
            if !unknown.isEmpty { try calibrateIncrements(unknown) }
        }
        try rest(all)
        let plans = samples.map(plan)
        // Samples in programs that fit the board's program memory, in their order.
        let limit = Int(instrument.limits.maxProgramActions)
        var states: [[[Double]]] = []
        var group: [Int] = [], actions = 0
        for (i, p) in plans.enumerated() {
            if !group.isEmpty && actions + p.actions.count > limit {
                states += try playTogether(group.map { plans[$0] }, samples: group.map { samples[$0] })
                group = []
                actions = 0
                try rest(all)
            }
            group.append(i)
            actions += p.actions.count
        }
        states += try playTogether(group.map { plans[$0] }, samples: group.map { samples[$0] })
        return states
    }

    /// A sample's program as planned on the host, before it is merged with others.
    struct PlannedSample {
        var actions: [PlayAction]
        /// Node indices (into the sample's pairs) in the order each round of reads reads them.
        var readOrder: [Int]
        var eventOffsets: [UInt64]
        /// The host's prediction of every node along the program.
        var predicted: [ShortTermMemoryCell]
        var pulseEnergy: InferenceEnergy
        var planningOperations: Int
    }

    private func plan(_ sample: STMSampleBlock) -> PlannedSample {
        let pairs = sample.pairs, sigma = sample.siemensPerUnit, times = sample.timesSeconds, increments = sample.increments
        let n = sigma.count
        // Each node follows its own population's law (its device class's on a board of several).
        let laws = pairs.map { nodes.noiselessLaw(ofNode: $0) }
        var quiet = Xoshiro256StarStar(seed: 0)
        var predicted = pairs.map { ShortTermMemoryCell(drawn: nodes.draws[$0]) }
        let tileIndex = nodes.tile.index
        // Reads grouped by row, so that a board reading a row at once does so.
        let readOrder = (0..<pairs.count).sorted { (pairs[$0], $0) < (pairs[$1], $1) }
        let ranges = pairs.map { senseRangeIndex(ofNode: $0) }
        let width = Float(pulseWidthSeconds)
        let vMax = largestAmplitudeVolts
        var actions: [PlayAction] = []
        actions.reserveCapacity(pairs.count * (baselineReads + times.count) + n * times.count)
        var planning = 0
        var pulseEnergy = InferenceEnergy()

        func read(at offset: UInt64, seconds t: Double) {
            for j in readOrder {
                actions.append(PlayAction(offsetNanoseconds: offset, tile: tileIndex, cell: nodes.cell(pairs[j]),
                                          operation: .read(readVolts: Float(readVolts), senseRange: ranges[j])))
                _ = predicted[j].read(readVolts: readVolts, at: t, parameters: laws[j], generator: &quiet)
            }
        }
        for _ in 0..<baselineReads { read(at: 0, seconds: 0) }
        var eventOffsets: [UInt64] = []
        eventOffsets.reserveCapacity(times.count)
        for (k, t0) in times.enumerated() {
            let t = leadInSeconds + max(0, t0)
            let offset = UInt64((t * 1e9).rounded())
            eventOffsets.append(offset)
            // Every increment is split into `pulsesPerIncrement` pulses of equal planned size,
            // played in rounds (one pulse per node and round, so a round runs at once); extra
            // rounds, up to `maxPulsesPerIncrement` in all, finish what the largest amplitude left.
            var wanted = [Double](repeating: 0, count: n)
            var target = [Int](repeating: 0, count: n)
            for i in 0..<n {
                let v = increments[k][i]
                guard v != 0, v.isFinite else { continue }
                let j = v > 0 ? 2 * i : 2 * i + 1
                // The node's measured response to planned pulses corrects what the law predicts.
                let amount = abs(v) * sigma[i] / (incrementGains[pairs[j]] ?? 1)
                if amount < smallestIncrementOfCeiling * nodes.draws[pairs[j]].ceilingSiemens {
                    statistics.incrementsSkipped += 1
                    continue
                }
                wanted[i] = amount
                target[i] = j
            }
            let rounds = max(pulsesPerIncrement, maxPulsesPerIncrement)
            for round in 0..<rounds {
                for i in 0..<n where wanted[i] > 1e-6 * sigma[i] {
                    let j = target[i], draw = nodes.draws[pairs[j]], law = laws[j]
                    let portion = round < pulsesPerIncrement ? wanted[i] / Double(pulsesPerIncrement - round) : wanted[i]
                    let g = predicted[j].volatileConductance(at: t)
                    let room = draw.ceilingSiemens - g
                    guard room > 0 else { continue }
                    let strength = SwitchingStrength(thresholdVolts: draw.thresholdVolts, overdriveScaleVolts: law.overdriveScaleVolts,
                                                     referenceWidthSeconds: law.referenceWidthSeconds, widthExponent: law.widthExponent)
                    let s = portion / (draw.incrementFraction * room)
                    let volts = min(strength.amplitudeVolts(forStrength: s, widthSeconds: pulseWidthSeconds), vMax)
                    predicted[j].pulse(amplitudeVolts: volts, widthSeconds: pulseWidthSeconds, at: t, parameters: law, generator: &quiet)
                    pulseEnergy.addPulses(1, volts: volts, widthSeconds: pulseWidthSeconds, siemens: g)
                    wanted[i] -= predicted[j].volatileConductance(at: t) - g
                    actions.append(PlayAction(offsetNanoseconds: offset, tile: tileIndex, cell: nodes.cell(pairs[j]),
                                              operation: .pulse(amplitudeVolts: Float(volts), widthSeconds: width)))
                    planning += Self.operationsPerPlannedPulse
                }
            }
            for i in 0..<n where wanted[i] > 1e-6 * sigma[i] { statistics.incrementsCutShort += 1 }
            read(at: offset, seconds: t)
        }
        return PlannedSample(actions: actions, readOrder: readOrder, eventOffsets: eventOffsets, predicted: predicted,
                             pulseEnergy: pulseEnergy, planningOperations: planning)
    }

    /// Plays planned samples as one program and decodes each sample's reads into states.
    private func playTogether(_ plans: [PlannedSample], samples: [STMSampleBlock]) throws -> [[[Double]]] {
        // Merged in time order; at one offset, sample by sample in their own order.
        var order: [(offset: UInt64, sample: Int, index: Int)] = []
        order.reserveCapacity(plans.reduce(0) { $0 + $1.actions.count })
        for (s, p) in plans.enumerated() {
            for (i, a) in p.actions.enumerated() { order.append((a.offsetNanoseconds, s, i)) }
        }
        order.sort { ($0.offset, $0.sample, $0.index) < ($1.offset, $1.sample, $1.index) }
        let (program, outcome) = try play(order.map { plans[$0.sample].actions[$0.index] })
        // Each read's result back to its sample, in the sample's own order of reads.
        var results = [[PlayResult]](repeating: [], count: plans.count)
        var r = 0
        for entry in order {
            guard case .read = plans[entry.sample].actions[entry.index].operation else { continue }
            results[entry.sample].append(outcome.results[r])
            r += 1
        }
        statistics.programs += 1
        statistics.samplePrograms += plans.count
        statistics.largestSamplesPerProgram = max(statistics.largestSamplesPerProgram, plans.count)
        statistics.uploadedBytes += outcome.uploadedBytes
        statistics.pulses += program.actions.count - outcome.results.count
        statistics.reads += outcome.results.count
        statistics.energy.addReads(outcome.results.count)
        let start = outcome.started.startNanoseconds
        var lastStamp = start
        for result in outcome.results { lastStamp = max(lastStamp, result.timestampNanoseconds) }
        statistics.programBoardSeconds += Double(lastStamp &- start) * 1e-9
        var states: [[[Double]]] = []
        for (s, p) in plans.enumerated() {
            statistics.planningOperations += p.planningOperations
            statistics.energy = statistics.energy + p.pulseEnergy
            states.append(decode(p, samples[s], results: results[s], start: start))
            // When each node will be at rest again by the prediction: the rest then measures it.
            let end = Double(lastStamp &- start) * 1e-9
            for (j, node) in samples[s].pairs.enumerated() {
                restUntilNanoseconds[node] = lastStamp &+ UInt64((restSeconds(p.predicted[j], ofNode: node, after: end) * 1e9).rounded())
            }
        }
        return states
    }

    /// A sample's states from its reads: baseline per node, then every event's reads.
    private func decode(_ p: PlannedSample, _ sample: STMSampleBlock, results: [PlayResult], start: UInt64) -> [[Double]] {
        let pairs = sample.pairs, sigma = sample.siemensPerUnit, times = sample.timesSeconds
        let n = sigma.count, m = pairs.count
        var baseline = [Double](repeating: 0, count: m)
        var r = 0
        for _ in 0..<baselineReads {
            for j in p.readOrder {
                baseline[j] += Double(results[r].amperes) / readVolts / Double(baselineReads)
                r += 1
            }
        }
        for j in 0..<m {
            statistics.largestBaselineResidualSiemens = max(statistics.largestBaselineResidualSiemens,
                                                            baseline[j] - nodes.draws[pairs[j]].baseSiemens)
        }
        var states: [[Double]] = []
        states.reserveCapacity(times.count)
        var g = [Double](repeating: 0, count: m)
        for k in 0..<times.count {
            for j in p.readOrder {
                let result = results[r]
                g[j] = Double(result.amperes) / readVolts - baseline[j]
                if j == p.readOrder[0] {
                    let delay = Double(result.timestampNanoseconds &- start) * 1e-9 - Double(p.eventOffsets[k]) * 1e-9
                    statistics.largestReadDelaySeconds = max(statistics.largestReadDelaySeconds, delay)
                }
                r += 1
            }
            var x = [Double](repeating: 0, count: n)
            for i in 0..<n {
                let difference: Double = g[2 * i] - g[2 * i + 1]
                x[i] = difference / sigma[i]
            }
            states.append(x)
        }
        statistics.events += times.count
        statistics.decodingOperations += times.count * (2 * m + 2 * n) + baselineReads * m
        statistics.sampleSeconds += leadInSeconds + (times.last ?? 0)
        return states
    }

    /// A read of node `n` at `offsetNanoseconds` into a program, in the node's own sense range.
    func read(ofNode n: Int, atNanoseconds offsetNanoseconds: UInt64) -> PlayAction {
        PlayAction(offsetNanoseconds: offsetNanoseconds, tile: nodes.tile.index, cell: nodes.cell(n),
                   operation: .read(readVolts: Float(readVolts), senseRange: senseRangeIndex(ofNode: n)))
    }

    /// Plays `actions` as one timed program under the next program id, its requests counted.
    ///
    /// - Throws: the board's errors, and the program's when it cannot be loaded or started.
    func play(_ actions: [PlayAction]) throws -> (program: TimedProgram, outcome: TimedProgram.Outcome) {
        let program = TimedProgram(actions: actions, programID: nextProgramID)
        nextProgramID = nextProgramID == .max ? 1 : nextProgramID + 1
        let outcome = try program.play(on: board, maxPayloadBytes: maxPayloadBytes)
        statistics.requests += outcome.requests
        return (program, outcome)
    }

    /// Per node, the mean conductance of `rounds` rounds of reads of `nodes` nodes at the
    /// start of `results` (round after round, the nodes in the same order each time), siemens.
    func meanSiemens(_ results: [PlayResult], rounds: Int, nodes: Int) -> [Double] {
        var mean = [Double](repeating: 0, count: nodes)
        for round in 0..<rounds {
            for k in 0..<nodes { mean[k] += Double(results[round * nodes + k].amperes) / readVolts / Double(rounds) }
        }
        return mean
    }
}
