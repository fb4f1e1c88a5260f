#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
/// than multiplied again.
final class EventSSMKernel {
    /// Where a layer's numbers sit in ``weights`` and ``partGroups``.
    private struct Block {
        /// B transposed, `[input][state]`, so a product adds one contiguous row per input.
        var bT: Int
        /// C transposed, `[state][output]`.
        var cT: Int
        var D: Int
        var taus: Int, tauCount: Int
        /// Per part of the state, which of the distinct time constants it decays at.
        var groups: Int, partCount: Int
        /// Whether each state is a differential pair of parts fed by the clipped increments
        /// (states on STM nodes) rather than one part fed by the increment.
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

    init(model: SSMModel) {
        precondition(model.architecture == .eventSSM, "the event kernel runs event SSMs")
        guard let E = model.embedding else { preconditionFailure("event SSM models carry an embedding") }
        let width = model.modelWidth, states = model.stateCount
        self.width = width
        self.states = states
        classes = model.readoutWeights.rows
        channels = E.rows
        poolRange = model.range("pool")

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
            let partTaus = layer.stmNodeTauSeconds ?? layer.tauSeconds
            var distinct: [Double] = []
            var index: [Int] = []
            for tau in partTaus {
                if let k = distinct.firstIndex(of: tau) { index.append(k) } else { index.append(distinct.count); distinct.append(tau) }
            }
            let groupStart = groups.count
            groups += index
            blocks.append(Block(bT: append(transposed(layer.B)), cT: append(transposed(layer.C)), D: append(layer.D),
                                taus: append(distinct), tauCount: distinct.count, groups: groupStart, partCount: index.count,
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
                Self.product(w + first.bT, uq, inputs: width, into: out, outputs: states)
                Self.quantise(out, states, first.incrementRange)
            }
        }
    }

    deinit {
        weights.deallocate()
        partGroups.deallocate()
    }

    /// `out[0..<outputs]`, the product of x with a matrix stored transposed: each output
    /// accumulates its inputs' terms in input order from zero, as ``Matrix/times(_:)`` does.
    /// Eight outputs at a time stay in registers over all inputs, so the weights are the only
    /// memory read in the inner loop.
    @inline(__always)
    private static func product(_ wT: UnsafePointer<Double>, _ x: UnsafePointer<Double>, inputs: Int,
                                into out: UnsafeMutablePointer<Double>, outputs: Int) {
        let blocked = outputs - outputs % 8
        var r0 = 0
        while r0 < blocked {
            var sum = SIMD8<Double>(repeating: 0)
            for c in 0..<inputs {
                sum += UnsafeRawPointer(wT + c * outputs + r0).loadUnaligned(as: SIMD8<Double>.self) * x[c]
            }
            UnsafeMutableRawPointer(out + r0).storeBytes(of: sum, as: SIMD8<Double>.self)
            r0 += 8
        }
        for r in blocked..<outputs {
            var sum = 0.0
            for c in 0..<inputs { sum += wT[c * outputs + r] * x[c] }
            out[r] = sum
        }
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
        let partsTotal = blocks.reduce(0) { $0 + $1.partCount }
        // Every buffer of the sample in one allocation: h, uq, the running sum of h, the
        // increment, every layer's state parts, the quantised state, C's product, the pooled
        // mean and the decay factors.
        let scratch = UnsafeMutablePointer<Double>.allocate(capacity: 5 * d + 2 * n + partsTotal + maxTaus)
        defer { scratch.deallocate() }
        scratch.initialize(repeating: 0, count: 5 * d + 2 * n + partsTotal + maxTaus)
        let h = scratch, uq = h + d, mean = uq + d, cy = mean + d, pooled = cy + d
        let v = pooled + d, xq = v + n, stateParts = xq + n, factor = stateParts + partsTotal
        let w = UnsafePointer(weights.baseAddress!)
        let groups = UnsafePointer(partGroups.baseAddress!)
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
                        if l == 0 {
                            v.update(from: w + firstIncrements + event.channel * n, count: n)
                        } else {
                            // u is h on entry; uq its quantised copy.
                            uq.update(from: h, count: d)
                            Self.quantise(uq, d, block.inRange)
                            Self.product(w + block.bT, uq, inputs: d, into: v, outputs: n)
                            Self.quantise(v, n, block.incrementRange)
                        }
                        DecayFactors.decays(dt, taus: w + block.taus, count: block.tauCount, into: factor)
                        let group = groups + block.groups
                        if block.pairs {
                            for i in 0..<n {
                                parts[2 * i] = factor[group[2 * i]] * parts[2 * i] + max(v[i], 0)
                                parts[2 * i + 1] = factor[group[2 * i + 1]] * parts[2 * i + 1] + max(-v[i], 0)
                                xq[i] = parts[2 * i] - parts[2 * i + 1]
                            }
                        } else {
                            for i in 0..<n {
                                parts[i] = factor[group[i]] * parts[i] + v[i]
                                xq[i] = parts[i]
                            }
                        }
                        parts += block.partCount
                        Self.quantise(xq, n, block.stateRange)
                        Self.product(w + block.cT, xq, inputs: n, into: cy, outputs: d)
                        Self.quantise(cy, d, block.outputRange)
                        let D = w + block.D
                        for i in 0..<d {
                            let u = h[i]
                            h[i] = u + geluTanh(cy[i] + D[i] * u)
                        }
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
            Self.product(w + readoutT, pooled, inputs: d, into: out.baseAddress!, outputs: classes)
            for c in 0..<classes { out[c] += w[readoutBias + c] }
        }
        return logits
    }
}
