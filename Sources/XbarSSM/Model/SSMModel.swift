/// A trained state-space model as the model files in `examples/` describe it: the weights,
/// decay constants, activation quantisation and where each matrix sits on the chip.
///
/// Two families share the type:
/// - `.eventSSM`: event-driven, real diagonal decays shared per group of states,
///   `x(t_k) = exp(-(t_k - t_{k-1}) / tau) x(t_{k-1}) + B u_k`, `y_k = C x(t_k) + D u_k`,
///   `h = u + gelu(y)`, input through a channel-wise embedding, readout of the mean of `h`.
/// - `.s4d`: clocked, events binned into steps of ``timeStepSeconds``, `x_k = a x_{k-1} + B h`.
///
/// Load one with ``init(contentsOf:)``, which validates the file before anything runs.
public struct SSMModel: Sendable {
    public enum Architecture: String, Hashable, Sendable, CaseIterable {
        case eventSSM = "event_ssm"
        case s4d = "s4d"
    }

    /// How an S4D model turns events into step inputs.
    public enum InputMode: String, Hashable, Sendable, CaseIterable {
        /// `u_k[channel % inputs] += polarity`.
        case signedMerge = "signed_merge"
        /// `u_k[channel] += 1`.
        case separate = "separate"
    }

    /// One SSM block.
    public struct Layer: Sendable {
        /// `[states, inputs]`.
        public var B: Matrix
        /// `[d_model, states]`.
        public var C: Matrix
        /// `[d_model]`; zeros where the file has none (the first S4D layer).
        public var D: [Double]
        /// Decay constant of every state, seconds.
        public var tauSeconds: [Double]
        /// The STM nodes holding this block's signed states as pairs, when the file assigns them:
        /// state `i` on `stmNodes[2i]` (its positive part) and `stmNodes[2i + 1]` (its negative part).
        public var stmNodes: [Int]?
        /// Calibrated time constant of each node of ``stmNodes``, seconds (models trained for a board).
        public var stmNodeTauSeconds: [Double]?
        /// Siemens of node conductance per unit of state, per state (models trained for a board).
        public var stmSiemensPerUnit: [Double]?

        public init(B: Matrix, C: Matrix, D: [Double], tauSeconds: [Double], stmNodes: [Int]? = nil,
                    stmNodeTauSeconds: [Double]? = nil, stmSiemensPerUnit: [Double]? = nil) {
            self.B = B
            self.C = C
            self.D = D
            self.tauSeconds = tauSeconds
            self.stmNodes = stmNodes
            self.stmNodeTauSeconds = stmNodeTauSeconds
            self.stmSiemensPerUnit = stmSiemensPerUnit
        }
    }

    /// The board a model was trained for: its STM nodes' calibration and how they are read.
    public struct BoardBinding: Hashable, Sendable {
        /// Instrument name the calibration was made on.
        public var instrument: String
        /// SHA-256 (hex) of the calibration file the model was trained with.
        public var calibrationSHA256: String
        /// That file's name, for people.
        public var calibrationFile: String?
        /// Read voltage of the STM nodes the training assumed, volts.
        public var stmReadVolts: Double
        /// Pulses each increment is split into, as the training assumed (1 when the file says none).
        public var pulsesPerIncrement: Int = 1
    }

    public let file: String
    public let architecture: Architecture
    public let layers: [Layer]
    /// `[inputs, d_model]` channel embedding (event SSM only).
    public let embedding: Matrix?
    /// `[classes, d_model]`.
    public let readoutWeights: Matrix
    /// `[classes]`.
    public let readoutBias: [Double]
    public let classNames: [String]
    /// Input channels (event SSM) or step inputs (S4D).
    public let inputCount: Int
    public let modelWidth: Int
    public let stateCount: Int
    /// Activation ranges of the 8-bit quantiser by name (`l0.in`, `l0.bv`, `l0.x`, `l0.cy`, `pool`),
    /// or nil for a float model.
    public let activationRanges: [String: Double]?
    /// S4D step, seconds.
    public let timeStepSeconds: Double?
    /// S4D steps per sample.
    public let stepCount: Int?
    public let inputMode: InputMode?
    /// Where the matrices sit on the weight tiles.
    public let placements: [TilePlacement]
    /// The test accuracy the file reports (fraction), if any.
    public let reportedTestAccuracy: Double?
    /// The data set file the model was tested on, relative to the model file's folder.
    public let testDataFile: String?
    /// The board the model was trained for, when it was (its states then live on the listed
    /// STM nodes, and its digital reference decays each node at its calibrated time constant).
    public internal(set) var boardBinding: BoardBinding?

    /// Whether activations go through the 8-bit quantiser.
    public var isQuantised: Bool { activationRanges != nil }

    /// The matrices the chip multiplies, by the names the placements use:
    /// `layers.L.B`, `layers.L.C`, `layers.L.A` (S4D: the diagonal decay), `readout.W`.
    public func matrix(named name: String) -> Matrix? {
        if name == "readout.W" { return readoutWeights }
        let parts = name.split(separator: ".")
        guard parts.count == 3, parts[0] == "layers", let l = Int(parts[1]), l >= 0, l < layers.count else { return nil }
        switch parts[2] {
        case "B": return layers[l].B
        case "C": return layers[l].C
        case "A":
            guard architecture == .s4d, let dt = timeStepSeconds else { return nil }
            return Matrix(diagonal: layers[l].tauSeconds.map { Self.decay(dt, $0) })
        default: return nil
        }
    }

    /// `exp(-dt / tau)`, the factor a state keeps over `dt` seconds (``DecayFactors``: the same
    /// lanes every decay of the model is computed with). A negative `dt` is taken as 0.
    public static func decay(_ dtSeconds: Double, _ tauSeconds: Double) -> Double {
        var tau = tauSeconds, factor = 0.0
        DecayFactors.decays(dtSeconds, taus: &tau, count: 1, into: &factor)
        return factor
    }

    /// The activation range of a quantiser point, or nil for float models.
    public func range(_ name: String) -> Double? { activationRanges?[name] }

    init(file: String, architecture: Architecture, layers: [Layer], embedding: Matrix?, readoutWeights: Matrix,
         readoutBias: [Double], classNames: [String], inputCount: Int, modelWidth: Int, stateCount: Int,
         activationRanges: [String: Double]?, timeStepSeconds: Double?, stepCount: Int?, inputMode: InputMode?,
         placements: [TilePlacement], reportedTestAccuracy: Double?, testDataFile: String?) {
        self.file = file
        self.architecture = architecture
        self.layers = layers
        self.embedding = embedding
        self.readoutWeights = readoutWeights
        self.readoutBias = readoutBias
        self.classNames = classNames
        self.inputCount = inputCount
        self.modelWidth = modelWidth
        self.stateCount = stateCount
        self.activationRanges = activationRanges
        self.timeStepSeconds = timeStepSeconds
        self.stepCount = stepCount
        self.inputMode = inputMode
        self.placements = placements
        self.reportedTestAccuracy = reportedTestAccuracy
        self.testDataFile = testDataFile
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
