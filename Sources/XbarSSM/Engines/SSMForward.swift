/// The forward pass of both model families, layer by layer over whole batches, with the
/// matrix products and state updates left to a ``ComputeBackend``.
///
/// Processing a block for all events of a sample at once is the same computation as the
/// event-by-event loop of the specification (block `l` at event `k` depends only on block
/// `l - 1` at events up to `k` and on its own state), in the same order of floating-point
/// operations per element, so the digital backend reproduces the reference's logits.
public struct SSMForward {
    public let model: SSMModel
    /// Records an event SSM's last block inputs and pooled readout inputs when set.
    public var recorder: ReadoutInputRecorder?

    public init(model: SSMModel) { self.model = model }

    /// Logits of each sample, `[samples][classes]`.
    public func logits<B: ComputeBackend>(_ samples: [EventSample], backend: inout B) throws -> [[Double]] {
        switch model.architecture {
        case .eventSSM: return try eventSSM(samples, backend: &backend)
        case .s4d: return try s4d(samples, backend: &backend)
        }
    }

    private func qa(_ v: [Double], _ name: String) -> [Double] {
        ActivationQuantiser.quantise(v, range: model.range(name))
    }

    private func readout<B: ComputeBackend>(_ means: [[Double]], backend: inout B) throws -> [[Double]] {
        let pooled = means.map { qa($0, "pool") }
        let products = try backend.products(of: "readout.W", inputs: pooled, inputRange: model.range("pool"))
        return products.map { p in zip(p, model.readoutBias).map { $0 + $1 } }
    }

    private func eventSSM<B: ComputeBackend>(_ samples: [EventSample], backend: inout B) throws -> [[Double]] {
        guard let E = model.embedding else { preconditionFailure("event SSM models carry an embedding") }
        let d = model.modelWidth
        // h for every event of every sample, concatenated in sample order.
        var h: [[Double]] = []
        var bounds: [Range<Int>] = []
        for s in samples {
            let start = h.count
            for e in s.events { h.append(Array(E.values[(e.channel * d)..<((e.channel + 1) * d)])) }
            bounds.append(start..<h.count)
        }
        var lastInputs: [[Double]] = [], lastStates: [[Double]] = []
        for (l, layer) in model.layers.enumerated() {
            let u = h
            let uq = u.map { qa($0, "l\(l).in") }
            let v = try backend.products(of: "layers.\(l).B", inputs: uq, inputRange: model.range("l\(l).in")).map { qa($0, "l\(l).bv") }
            let x = try backend.eventStates(layer: l, timesSeconds: samples.map { $0.events.map(\.timeSeconds) },
                                            increments: bounds.map { Array(v[$0]) }, tauSeconds: layer.tauSeconds).flatMap { $0 }
            let xq = x.map { qa($0, "l\(l).x") }
            if recorder != nil, l == model.layers.count - 1 { lastInputs = u; lastStates = xq }
            let cy = try backend.products(of: "layers.\(l).C", inputs: xq, inputRange: model.range("l\(l).x")).map { qa($0, "l\(l).cy") }
            for k in 0..<h.count {
                var out = u[k]
                for i in 0..<d {
                    let y = cy[k][i] + layer.D[i] * u[k][i]
                    out[i] = u[k][i] + geluTanh(y)
                }
                h[k] = out
            }
        }
        let means = bounds.map { r -> [Double] in
            var acc = [Double](repeating: 0, count: d)
            for k in r { for i in 0..<d { acc[i] += h[k][i] } }
            let n = Double(max(r.count, 1))
            return acc.map { $0 / n }
        }
        recorder?.record(pooled: means.map { qa($0, "pool") }, inputs: bounds.map { Array(lastInputs[$0]) },
                         states: bounds.map { Array(lastStates[$0]) })
        return try readout(means, backend: &backend)
    }

    /// S4D step inputs of one sample, `[steps][inputs]`: events binned by `floor(t / dt)`,
    /// events at or after the last step dropped.
    public func binned(_ sample: EventSample) -> [[Double]] {
        guard let dt = model.timeStepSeconds, let steps = model.stepCount, let mode = model.inputMode else {
            preconditionFailure("S4D models carry a time step, a step count and an input mode")
        }
        let n = model.inputCount
        var u = [[Double]](repeating: [Double](repeating: 0, count: n), count: steps)
        for e in sample.events {
            // Compared as a double first: an event at 1e300 s is past the last step, not an overflow.
            let step = (e.timeSeconds / dt).rounded(.down)
            guard step < Double(steps) else { continue }
            let k = Int(step)
            switch mode {
            case .signedMerge: u[k][e.channel % n] += Double(e.polarity)
            case .separate: u[k][e.channel] += 1
            }
        }
        return u
    }

    private func s4d<B: ComputeBackend>(_ samples: [EventSample], backend: inout B) throws -> [[Double]] {
        guard let steps = model.stepCount else { preconditionFailure("S4D models carry a step count") }
        let inputs = samples.map(binned)
        let zeros = [Double](repeating: 0, count: model.stateCount)
        var xs = [[[Double]]](repeating: [[Double]](repeating: zeros, count: samples.count), count: model.layers.count)
        var acc = [[Double]](repeating: [Double](repeating: 0, count: model.modelWidth), count: samples.count)
        for k in 0..<steps {
            var h = inputs.map { $0[k] }
            for (l, layer) in model.layers.enumerated() {
                let hq = h.map { qa($0, "l\(l).in") }
                xs[l] = try backend.s4dStates(layer: l, states: xs[l], inputs: hq, inputRange: model.range("l\(l).in"))
                let xq = xs[l].map { qa($0, "l\(l).x") }
                let y = try backend.products(of: "layers.\(l).C", inputs: xq, inputRange: model.range("l\(l).x"))
                for s in 0..<samples.count {
                    if l == 0 {
                        h[s] = y[s].map { geluTanh($0) }
                    } else {
                        h[s] = (0..<model.modelWidth).map { i in h[s][i] + geluTanh(y[s][i] + layer.D[i] * h[s][i]) }
                    }
                }
            }
            for s in 0..<samples.count { for i in 0..<model.modelWidth { acc[s][i] += h[s][i] } }
        }
        let means = acc.map { $0.map { $0 / Double(steps) } }
        return try readout(means, backend: &backend)
    }
}
