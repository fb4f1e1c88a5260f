import CVectorLoops

/// The digital reference's event SSM, one sample at a time, event by event through every
/// layer: the ``SSMForward`` computation without a vector allocated per event.
///
/// Every element sees the same floating-point operations in the same order as
/// ``SSMForward`` with the ``DigitalBackend`` (products accumulated over inputs in input
/// order, the same quantiser, the same decay and activation functions), so the logits agree
/// bit for bit. What changes: the weights sit in one buffer allocated once (no reference
/// counting inside the event loop); each decay factor is computed once per distinct time
/// constant and event rather than once per state, eight at a time (``DecayFactors``); and the
/// first layer's increment, which depends on the event's channel alone, is looked up rather
/// than multiplied again. The vector loops (products, decays, state steps, activation) are
/// ``VectorInstructionSet``'s, chosen once per kernel.
final class EventSSMKernel {
    /// Where a layer's numbers sit in ``weights`` and ``partGroups``.
    private struct Block {
        /// B transposed, `[input][state]`, so a product adds one contiguous row per input (each
        /// output accumulates its inputs' terms in input order from zero, as ``Matrix/times(_:)`` does).
        var bT: Int
        /// C transposed, `[state][output]`.
        var cT: Int
        var D: Int
        var taus: Int, tauCount: Int
        /// Per part of the state, which of the distinct time constants it decays at.
        var groups: Int, partCount: Int
        /// Whether part `k` decays at distinct time constant `k` (every part its own constant):
        /// then the factors are the parts' factors as they come.
        var ownConstants: Bool
        /// Whether each state is a differential pair of parts fed by the clipped increments
        /// (states on STM nodes) rather than one part fed by the increment. The parts then sit
        /// as all `+` parts, then all `-` parts.
        var pairs: Bool
        var inRange: Double?, incrementRange: Double?, stateRange: Double?, outputRange: Double?
    }

    private let blocks: [Block]
    private let weights: UnsafeMutableBufferPointer<Double>
    private let partGroups: UnsafeMutableBufferPointer<Int>
    /// Offsets in ``weights``: the embedding `[channel][width]`, the first layer's quantised
    /// increment `qa(B₀ qa(E[c]))` per channel `[channel][state]`, the readout transposed.
    private let embedding: Int, firstIncrements: Int, readoutT: Int, readoutBias: Int
    private let poolRange: Double?
    private let width: Int, states: Int, classes: Int, channels: Int
    private let loops: CVectorLoops

    /// - Parameter instructions: which compiled copy of the vector loops runs; the same logits
    ///   from either. Must be one the CPU runs (``VectorInstructionSet/isSupported``).
    init(model: SSMModel, instructions: VectorInstructionSet = .fastest) {
        precondition(model.architecture == .eventSSM, "the event kernel runs event SSMs")
        guard let E = model.embedding else { preconditionFailure("event SSM models carry an embedding") }
        let width = model.modelWidth, states = model.stateCount
        self.width = width
        self.states = states
        classes = model.readoutWeights.rows
        channels = E.rows
        poolRange = model.range("pool")
        loops = instructions.loops

        var values: [Double] = []
        var groups: [Int] = []
        func append(_ v: [Double]) -> Int { defer { values += v }; return values.count }
        func transposed(_ m: Matrix) -> [Double] {
            var t = [Double](repeating: 0, count: m.values.count)
            for r in 0..<m.rows { for c in 0..<m.columns { t[c * m.rows + r] = m.values[r * m.columns + c] } }
            return t
        }
        var blocks: [Block] = []
        for (l, layer) in model.layers.enumerated() {
            let n = layer.tauSeconds.count
            // A node pair's `+` parts first, then its `-` parts, so that each half runs in vector
            // registers alongside the increments.
            let partTaus = layer.stmNodeTauSeconds.map { nodes in (0..<n).map { nodes[2 * $0] } + (0..<n).map { nodes[2 * $0 + 1] } }
                ?? layer.tauSeconds
            var distinct: [Double] = []
            var index: [Int] = []
            for tau in partTaus {
                if let k = distinct.firstIndex(of: tau) { index.append(k) } else { index.append(distinct.count); distinct.append(tau) }
            }
            let groupStart = groups.count
            groups += index
            // Whole vectors of time constants (the last one repeated): a float model's four
            // constants would otherwise take the lane-by-lane tail of the decays at every event.
            let padded = distinct + [Double](repeating: distinct.last ?? 1, count: (8 - distinct.count % 8) % 8)
            blocks.append(Block(bT: append(transposed(layer.B)), cT: append(transposed(layer.C)), D: append(layer.D),
                                taus: append(padded), tauCount: padded.count, groups: groupStart, partCount: index.count,
                                ownConstants: index == Array(0..<index.count),
                                pairs: layer.stmNodeTauSeconds != nil,
                                inRange: model.range("l\(l).in"), incrementRange: model.range("l\(l).bv"),
                                stateRange: model.range("l\(l).x"), outputRange: model.range("l\(l).cy")))
        }
        embedding = append(E.values)
        firstIncrements = append([Double](repeating: 0, count: E.rows * states))
        readoutT = append(transposed(model.readoutWeights))
        readoutBias = append(model.readoutBias)
        self.blocks = blocks

        weights = .allocate(capacity: values.count)
        _ = weights.initialize(from: values)
        partGroups = .allocate(capacity: max(groups.count, 1))
        _ = partGroups.initialize(from: groups)

        if let first = blocks.first {
            let w = weights.baseAddress!
            let uq = UnsafeMutablePointer<Double>.allocate(capacity: width)
            defer { uq.deallocate() }
            for channel in 0..<E.rows {
                for i in 0..<width { uq[i] = ActivationQuantiser.quantise(w[embedding + channel * width + i], range: first.inRange) }
                let out = w + firstIncrements + channel * states
                loops.product(w + first.bT, uq, width, out, states)
                Self.quantise(out, states, first.incrementRange)
            }
        }
    }

    deinit {
        weights.deallocate()
        partGroups.deallocate()
    }

    @inline(__always)
    private static func quantise(_ v: UnsafeMutablePointer<Double>, _ count: Int, _ range: Double?) {
        guard let range else { return }
        for i in 0..<count { v[i] = ActivationQuantiser.quantise(v[i], range: range) }
    }

    /// The sample's logits.
    func logits(_ sample: EventSample) -> [Double] {
        let d = width, n = states
        let maxTaus = blocks.map(\.tauCount).max() ?? 1
        let maxParts = blocks.map(\.partCount).max() ?? 1
        let partsTotal = blocks.reduce(0) { $0 + $1.partCount }
        // Every buffer of the sample in one allocation: h, uq, the running sum of h, the
        // increment, every layer's state parts, the quantised state, C's product, the pooled
        // mean, the decay factors of the distinct time constants and those of the parts.
        let size = 5 * d + 2 * n + partsTotal + maxTaus + maxParts
        let scratch = UnsafeMutablePointer<Double>.allocate(capacity: size)
        defer { scratch.deallocate() }
        scratch.initialize(repeating: 0, count: size)
        let h = scratch, uq = h + d, mean = uq + d, cy = mean + d, pooled = cy + d
        let v = pooled + d, xq = v + n, stateParts = xq + n, factor = stateParts + partsTotal, gathered = factor + maxTaus
        let w = UnsafePointer(weights.baseAddress!)
        let groups = UnsafePointer(partGroups.baseAddress!)
        let loops = loops
        var previousTime = 0.0
        sample.events.withUnsafeBufferPointer { events in
            blocks.withUnsafeBufferPointer { blocks in
                for event in events {
                    h.update(from: w + embedding + event.channel * d, count: d)
                    let dt = event.timeSeconds - previousTime
                    previousTime = event.timeSeconds
                    var parts = stateParts
                    for l in 0..<blocks.count {
                        let block = blocks[l]
                        let increments: UnsafePointer<Double>
                        if l == 0 {
                            increments = w + firstIncrements + event.channel * n
                        } else {
                            // u is h on entry; uq its quantised copy.
                            uq.update(from: h, count: d)
                            Self.quantise(uq, d, block.inRange)
                            loops.product(w + block.bT, uq, d, v, n)
                            Self.quantise(v, n, block.incrementRange)
                            increments = UnsafePointer(v)
                        }
                        loops.decays(dt, w + block.taus, block.tauCount, factor)
                        var partFactor = UnsafePointer(factor)
                        if !block.ownConstants {
                            let group = groups + block.groups
                            for k in 0..<block.partCount { gathered[k] = factor[group[k]] }
                            partFactor = UnsafePointer(gathered)
                        }
                        // Each part decays by its factor and takes its increment (a pair's `+` part the
                        // positive increments, its `-` part the magnitude of the negative ones), as
                        // ``SSMModel/idealStates(layer:timesSeconds:increments:)`` does per element.
                        loops.advance(parts, partFactor, increments, n, block.pairs ? 1 : 0, xq)
                        parts += block.partCount
                        Self.quantise(xq, n, block.stateRange)
                        loops.product(w + block.cT, xq, n, cy, d)
                        Self.quantise(cy, d, block.outputRange)
                        // h += geluTanh(cy + D h), as the layer-wise pass computes it per element.
                        loops.activate(h, cy, w + block.D, d)
                    }
                    for i in 0..<d { mean[i] += h[i] }
                }
            }
        }
        let count = Double(max(sample.events.count, 1))
        for i in 0..<d { pooled[i] = mean[i] / count }
        Self.quantise(pooled, d, poolRange)
        var logits = [Double](repeating: 0, count: classes)
        logits.withUnsafeMutableBufferPointer { out in
            loops.product(w + readoutT, pooled, d, out.baseAddress!, classes)
            for c in 0..<classes { out[c] += w[readoutBias + c] }
        }
        return logits
    }
}
