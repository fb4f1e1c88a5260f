/// Where the matrix products and state updates of a forward pass happen: digitally in float64
/// (``DigitalBackend``) or on a board (``ChipInLoopBackend``).
///
/// The forward pass (``SSMForward``) is the same for both; it hands the backend whole
/// batches (every event of a layer, every sample of a step), so a board backend can carry
/// many vectors in one request.
public protocol ComputeBackend {
    /// `W @ x` for every vector, with `W` the model's matrix named as in the placements
    /// (`layers.L.B`, `layers.L.A`, `layers.L.C`, `readout.W`).
    ///
    /// - Parameter inputRange: for quantised models, the range of the activation quantiser the
    ///   inputs went through (every input is a multiple of `inputRange / 127`); nil for float inputs.
    mutating func products(of matrix: String, inputs: [[Double]], inputRange: Double?) throws -> [[Double]]

    /// Event SSM states of one block over one sample: `x_k = exp(-(t_k - t_{k-1}) / tau) x_{k-1} + v_k`,
    /// with `t_{-1} = 0`, `x_{-1} = 0`. Returns `x_k` for every event.
    mutating func eventStates(layer: Int, timesSeconds: [Double], increments: [[Double]], tauSeconds: [Double]) throws -> [[Double]]

    /// Event SSM states of one block over several samples (`timesSeconds[s]`, `increments[s]`
    /// per sample), each as ``eventStates(layer:timesSeconds:increments:tauSeconds:)`` gives
    /// them; a board backend may play the samples at once.
    mutating func eventStates(layer: Int, timesSeconds: [[Double]], increments: [[[Double]]], tauSeconds: [Double]) throws -> [[[Double]]]

    /// One step of an S4D block for every sample of a batch: `x_k = a * x_{k-1} + B h_k`, with
    /// `a` the block's diagonal decay (`layers.L.A`) and `B` its input matrix (`layers.L.B`).
    ///
    /// - Parameters:
    ///   - states: `x_{k-1}` per sample.
    ///   - inputs: `h_k` per sample, through the block's input quantiser for quantised models.
    ///   - inputRange: that quantiser's range; nil for float models.
    mutating func s4dStates(layer: Int, states: [[Double]], inputs: [[Double]], inputRange: Double?) throws -> [[Double]]

    /// Where results come from, for run records ("digital reference", "simulated", "serial:...").
    var backendDescription: String { get }
}

extension ComputeBackend {
    public mutating func eventStates(layer: Int, timesSeconds: [[Double]], increments: [[[Double]]], tauSeconds: [Double]) throws -> [[[Double]]] {
        var states: [[[Double]]] = []
        for (t, v) in zip(timesSeconds, increments) {
            states.append(try eventStates(layer: layer, timesSeconds: t, increments: v, tauSeconds: tauSeconds))
        }
        return states
    }
}

extension SSMModel {
    /// The exact digital recursion of block `layer` over one sample: the model's decay constants,
    /// or, for a model trained for a board, each state's `+` and `-` parts (positive and negative
    /// increments) decaying ideally at the calibrated time constants of their nodes.
    public func idealStates(layer: Int, timesSeconds: [Double], increments: [[Double]]) -> [[Double]] {
        let block = layers[layer]
        guard let nodeTaus = block.stmNodeTauSeconds else {
            return DigitalBackend.digitalEventStates(timesSeconds: timesSeconds, increments: increments, tauSeconds: block.tauSeconds)
        }
        let n = block.tauSeconds.count
        // The two parts are the plain recursion over the clipped increments, each at its node's constant.
        let plus = DigitalBackend.digitalEventStates(timesSeconds: timesSeconds, increments: increments.map { $0.map { max($0, 0) } },
                                                     tauSeconds: (0..<n).map { nodeTaus[2 * $0] })
        let minus = DigitalBackend.digitalEventStates(timesSeconds: timesSeconds, increments: increments.map { $0.map { max(-$0, 0) } },
                                                      tauSeconds: (0..<n).map { nodeTaus[2 * $0 + 1] })
        return zip(plus, minus).map { p, m in zip(p, m).map { $0 - $1 } }
    }
}

extension SSMModel {
    /// `a * x + v` per state with an S4D block's decay factors, in the reference's order of operations.
    public func decayedS4DStates(layer: Int, states: [[Double]], increments: [[Double]]) -> [[Double]] {
        guard let dt = timeStepSeconds else { preconditionFailure("S4D models carry a time step") }
        let a = layers[layer].tauSeconds.map { SSMModel.decay(dt, $0) }
        return zip(states, increments).map { x, v in (0..<x.count).map { a[$0] * x[$0] + v[$0] } }
    }
}

extension ComputeBackend {
    /// The exact digital recursion, in the reference's order of operations.
    public static func digitalEventStates(timesSeconds: [Double], increments: [[Double]], tauSeconds: [Double]) -> [[Double]] {
        var x = [Double](repeating: 0, count: tauSeconds.count)
        var factors = [Double](repeating: 0, count: tauSeconds.count)
        var out: [[Double]] = []
        out.reserveCapacity(timesSeconds.count)
        var previous = 0.0
        for (k, t) in timesSeconds.enumerated() {
            let dt = t - previous
            previous = t
            let v = increments[k]
            tauSeconds.withUnsafeBufferPointer { taus in
                factors.withUnsafeMutableBufferPointer { f in
                    guard let t = taus.baseAddress, let out = f.baseAddress else { return }
                    DecayFactors.decays(dt, taus: t, count: taus.count, into: out)
                }
            }
            for i in 0..<x.count { x[i] = factors[i] * x[i] + v[i] }
            out.append(x)
        }
        return out
    }
}

/// Everything in float64 on the host: the digital reference.
public struct DigitalBackend: ComputeBackend {
    public let model: SSMModel

    public init(model: SSMModel) { self.model = model }

    public func products(of matrix: String, inputs: [[Double]], inputRange: Double?) throws -> [[Double]] {
        guard let W = model.matrix(named: matrix) else { preconditionFailure("the forward pass asked for an unknown matrix \(matrix)") }
        return inputs.map { W.times($0) }
    }

    public func eventStates(layer: Int, timesSeconds: [Double], increments: [[Double]], tauSeconds: [Double]) throws -> [[Double]] {
        model.idealStates(layer: layer, timesSeconds: timesSeconds, increments: increments)
    }

    public func s4dStates(layer: Int, states: [[Double]], inputs: [[Double]], inputRange: Double?) throws -> [[Double]] {
        let bh = try products(of: "layers.\(layer).B", inputs: inputs, inputRange: inputRange)
        return model.decayedS4DStates(layer: layer, states: states, increments: bh)
    }

    public var backendDescription: String { "digital reference (float64)" }
}
