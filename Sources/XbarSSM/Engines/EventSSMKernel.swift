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
    /// Sixteen outputs at a time stay in registers over all inputs (eight on the rest), so the
    /// weights are the only memory read in the inner loop and each input is loaded once per
    /// sixteen outputs; the row pointer steps by a row rather than being multiplied out per input.
    @inline(__always)
    private static func product(_ wT: UnsafePointer<Double>, _ x: UnsafePointer<Double>, inputs: Int,
                                into out: UnsafeMutablePointer<Double>, outputs: Int) {
        let rowBytes = outputs * MemoryLayout<Double>.stride
        var r0 = 0
        while r0 + 16 <= outputs {
            var low = SIMD8<Double>(repeating: 0), high = SIMD8<Double>(repeating: 0)
            var row = UnsafeRawPointer(wT + r0)
            for c in 0..<inputs {
                let xc = x[c]
                low += row.loadUnaligned(as: SIMD8<Double>.self) * xc
                high += row.loadUnaligned(fromByteOffset: 64, as: SIMD8<Double>.self) * xc
                row += rowBytes
            }
            UnsafeMutableRawPointer(out + r0).storeBytes(of: low, as: SIMD8<Double>.self)
            UnsafeMutableRawPointer(out + r0 + 8).storeBytes(of: high, as: SIMD8<Double>.self)
            r0 += 16
        }
        if r0 + 8 <= outputs {
            var sum = SIMD8<Double>(repeating: 0)
            var row = UnsafeRawPointer(wT + r0)
            for c in 0..<inputs {
                sum += row.loadUnaligned(as: SIMD8<Double>.self) * x[c]
                row += rowBytes
            }
            UnsafeMutableRawPointer(out + r0).storeBytes(of: sum, as: SIMD8<Double>.self)
            r0 += 8
        }
        for r in r0..<outputs {
            var sum = 0.0
            for c in 0..<inputs { sum += wT[c * outputs + r] * x[c] }
            out[r] = sum
        }
    }

    /// One event's step of a layer's state: each part decays by its factor and takes its
    /// increment (a pair's `+` part the positive increments, its `-` part the magnitude of the
    /// negative ones), and `x` is the state (the difference of a pair's parts). Eight states at
    /// a time, the rest one at a time, with the same operations per element as
    /// ``SSMModel/idealStates(layer:timesSeconds:increments:)``.
    @inline(__always)
    private static func advance(_ parts: UnsafeMutablePointer<Double>, by factors: UnsafePointer<Double>,
                                increments v: UnsafePointer<Double>, count n: Int, pairs: Bool, into x: UnsafeMutablePointer<Double>) {
        func load(_ p: UnsafePointer<Double>) -> SIMD8<Double> { UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Double>.self) }
        func store(_ value: SIMD8<Double>, _ p: UnsafeMutablePointer<Double>) { UnsafeMutableRawPointer(p).storeBytes(of: value, as: SIMD8<Double>.self) }
        /// All ones in the lanes whose sign bit is set.
        func negativeLanes(_ value: SIMD8<Double>) -> SIMD8<UInt64> {
            unsafeBitCast(unsafeBitCast(value, to: SIMD8<Int64>.self) &>> 63, to: SIMD8<UInt64>.self)
        }
        /// `value` where `opposite`'s sign bit is set, +0 elsewhere.
        func kept(_ value: SIMD8<Double>, where opposite: SIMD8<Double>) -> SIMD8<Double> {
            unsafeBitCast(unsafeBitCast(value, to: SIMD8<UInt64>.self) & negativeLanes(opposite), to: SIMD8<Double>.self)
        }
        var i = 0
        if pairs {
            let minus = parts + n, minusFactors = factors + n
            while i + 8 <= n {
                // `max(v, 0)` and `max(-v, 0)` as the scalar `max` gives them (+0 for ±0), each
                // masked by the sign of the other. Masking a value by its own sign would be read
                // by the optimiser as a 64-bit integer maximum, which the baseline instruction set
                // spells in eleven instructions a register; the library's pointwiseMax is a call
                // per use.
                let increment = load(v + i), decrement = -increment
                let p = load(factors + i) * load(parts + i) + kept(increment, where: decrement)
                let m = load(minusFactors + i) * load(minus + i) + kept(decrement, where: increment)
                store(p, parts + i)
                store(m, minus + i)
                store(p - m, x + i)
                i += 8
            }
            while i < n {
                parts[i] = factors[i] * parts[i] + max(v[i], 0)
                minus[i] = minusFactors[i] * minus[i] + max(-v[i], 0)
                x[i] = parts[i] - minus[i]
                i += 1
            }
        } else {
            while i + 8 <= n {
                let p = load(factors + i) * load(parts + i) + load(v + i)
                store(p, parts + i)
                store(p, x + i)
                i += 8
            }
            while i < n {
                parts[i] = factors[i] * parts[i] + v[i]
                x[i] = parts[i]
                i += 1
            }
        }
    }

    /// `h[i] += geluTanh(cy[i] + D[i] h[i])`, eight elements at a time, the rest one at a time
    /// (the same lanes either way).
    @inline(__always)
    private static func activate(_ h: UnsafeMutablePointer<Double>, _ cy: UnsafePointer<Double>, _ D: UnsafePointer<Double>, _ count: Int) {
        var i = 0
        while i + 8 <= count {
            let u = UnsafeRawPointer(h + i).loadUnaligned(as: SIMD8<Double>.self)
            let y = UnsafeRawPointer(cy + i).loadUnaligned(as: SIMD8<Double>.self)
                + UnsafeRawPointer(D + i).loadUnaligned(as: SIMD8<Double>.self) * u
            UnsafeMutableRawPointer(h + i).storeBytes(of: u + geluTanh(y), as: SIMD8<Double>.self)
            i += 8
        }
        while i < count {
            let u = h[i]
            h[i] = u + geluTanh(cy[i] + D[i] * u)
            i += 1
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
                            Self.product(w + block.bT, uq, inputs: d, into: v, outputs: n)
                            Self.quantise(v, n, block.incrementRange)
                            increments = UnsafePointer(v)
                        }
                        DecayFactors.decays(dt, taus: w + block.taus, count: block.tauCount, into: factor)
                        var partFactor = UnsafePointer(factor)
                        if !block.ownConstants {
                            let group = groups + block.groups
                            for k in 0..<block.partCount { gathered[k] = factor[group[k]] }
                            partFactor = UnsafePointer(gathered)
                        }
                        Self.advance(parts, by: partFactor, increments: increments, count: n, pairs: block.pairs, into: xq)
                        parts += block.partCount
                        Self.quantise(xq, n, block.stateRange)
                        Self.product(w + block.cT, xq, inputs: n, into: cy, outputs: d)
                        Self.quantise(cy, d, block.outputRange)
                        Self.activate(h, cy, w + block.D, d)
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
