import Foundation

extension SSMModel {
    /// Geometry the placements are checked against: weight tiles of 64 rows x 64 columns
    /// (32 differential column pairs).
    public struct TileGeometry: Hashable, Sendable {
        public var tiles: Int
        public var rows: Int
        public var columns: Int
        public init(tiles: Int, rows: Int, columns: Int) {
            self.tiles = tiles
            self.rows = rows
            self.columns = columns
        }
        public static let usb4x64 = TileGeometry(tiles: 4, rows: 64, columns: 64)
    }

    /// Reads and validates a model file.
    ///
    /// Checked: the architecture, the layer count, every tensor's presence and shape, positive
    /// finite decay constants that agree with the metadata's per-group values, the quantisation
    /// description (int8 models need every activation range), and the placements: every
    /// matrix placed whole, each input on exactly one row, slabs inside their tile and not
    /// overlapping each other.
    ///
    /// - Throws: ``SSMFileError`` naming the file and the tensor or metadata key at fault.
    public init(contentsOf path: String, geometry: TileGeometry = .usb4x64) throws(SSMFileError) {
        let f = try SafeTensorsFile(contentsOf: path)
        try self.init(file: f, geometry: geometry)
    }

    /// Validates a model held in a parsed safetensors file.
    public init(file f: SafeTensorsFile, geometry: TileGeometry = .usb4x64) throws(SSMFileError) {
        let reader = ModelFileReader(f)
        let archName = try reader.string("architecture")
        guard let arch = Architecture(rawValue: archName) else {
            throw reader.metaError("architecture", "is \"\(archName)\"; expected one of \(Architecture.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let layerCount = try reader.int("n_layers", atLeast: 1)
        let d = try reader.int("d_model", atLeast: 1)
        let n = try reader.int("n_state", atLeast: 1)
        let inputs = try reader.int("n_inputs", atLeast: 1)
        let classes = try reader.int("n_classes", atLeast: 1)
        let classNames = try reader.strings("class_names")
        guard classNames.count == classes else {
            throw reader.metaError("class_names", "has \(classNames.count) names for n_classes = \(classes)")
        }

        var dt: Double?
        var steps: Int?
        var mode: InputMode?
        if arch == .s4d {
            dt = try reader.double("time_step_seconds", positive: true)
            steps = try reader.int("n_steps", atLeast: 1)
            let m = try reader.string("input_mode")
            guard let im = InputMode(rawValue: m) else {
                throw reader.metaError("input_mode", "is \"\(m)\"; expected one of \(InputMode.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            mode = im
        }

        let embedding: Matrix? = arch == .eventSSM ? try reader.matrix("embedding", rows: inputs, columns: d) : nil
        let blocks = try reader.json("blocks") as? [[String: Any]]
        guard let blocks, blocks.count == layerCount else {
            throw reader.metaError("blocks", "must list one block per layer (n_layers = \(layerCount))")
        }
        var layers: [Layer] = []
        for l in 0..<layerCount {
            let p = "layers.\(l)."
            let layerInputs = arch == .eventSSM ? d : (l == 0 ? inputs : d)
            let B = try reader.matrix(p + "B", rows: n, columns: layerInputs)
            let C = try reader.matrix(p + "C", rows: d, columns: n)
            let D: [Double]
            if arch == .s4d && l == 0 {
                if f.tensors[p + "D"] != nil { throw reader.tensorError(p + "D", "the first S4D layer has no D term, but the file has one") }
                D = [Double](repeating: 0, count: d)
            } else {
                D = try reader.vector(p + "D", count: d)
            }
            let tau = try reader.vector(p + "tau_seconds", count: n)
            if let k = tau.firstIndex(where: { !($0 > 0) || !$0.isFinite }) {
                throw reader.tensorError(p + "tau_seconds", "state \(k) has decay constant \(tau[k]) s; decay constants must be positive seconds")
            }
            // The metadata's per-group constants must describe the tensor.
            guard let groups = blocks[l]["groups"] as? [[String: Any]], !groups.isEmpty else {
                throw reader.metaError("blocks", "block \(l) has no groups")
            }
            for (g, group) in groups.enumerated() {
                guard let states = group["states"] as? [Int], states.count == 2, states[0] >= 0, states[0] <= states[1], states[1] < n,
                      let gt = (group["tau_seconds"] as? NSNumber)?.doubleValue else {
                    throw reader.metaError("blocks", "block \(l) group \(g) needs states [first, last] within 0..<\(n) and tau_seconds")
                }
                for s in states[0]...states[1] where abs(tau[s] - gt) > 1e-6 * gt {
                    throw reader.tensorError(p + "tau_seconds", "state \(s) decays with \(tau[s]) s but the metadata's block \(l) group \(g) says \(gt) s")
                }
            }
            var nodes: [Int]?
            if let list = blocks[l]["stm_nodes"] {
                guard let ints = list as? [Int], ints.count == 2 * n else {
                    throw reader.metaError("blocks", "block \(l) stm_nodes must list \(2 * n) nodes (a pair per signed state)")
                }
                nodes = ints
            }
            var layer = Layer(B: B, C: C, D: D, tauSeconds: tau, stmNodes: nodes)
            if let list = blocks[l]["stm_node_tau_seconds"] {
                guard nodes != nil, let taus = (list as? [NSNumber])?.map(\.doubleValue), taus.count == 2 * n,
                      taus.allSatisfy({ $0 > 0 && $0.isFinite }) else {
                    throw reader.metaError("blocks", "block \(l) stm_node_tau_seconds must give \(2 * n) positive seconds, one per node of stm_nodes")
                }
                layer.stmNodeTauSeconds = taus
            }
            if let list = blocks[l]["stm_siemens_per_unit"] {
                guard nodes != nil, let scales = (list as? [NSNumber])?.map(\.doubleValue), scales.count == n,
                      scales.allSatisfy({ $0 > 0 && $0.isFinite }) else {
                    throw reader.metaError("blocks", "block \(l) stm_siemens_per_unit must give \(n) positive siemens per unit of state, one per state")
                }
                layer.stmSiemensPerUnit = scales
            }
            layers.append(layer)
        }
        if let all = layers.compactMap(\.stmNodes).nilIfEmpty {
            let flat = all.flatMap { $0 }
            if Set(flat).count != flat.count { throw reader.metaError("blocks", "two blocks claim the same STM node") }
        }
        let W = try reader.matrix("readout.W", rows: classes, columns: d)
        let b = try reader.vector("readout.b", count: classes)

        // Quantisation.
        guard let q = try reader.json("quantisation") as? [String: Any] else {
            throw reader.metaError("quantisation", "is missing or not a JSON object")
        }
        var ranges: [String: Double]?
        switch q["activations"] as? String {
        case "float": ranges = nil
        case "int8":
            guard let r = q["activation_ranges"] as? [String: Any] else {
                throw reader.metaError("quantisation", "int8 activations need activation_ranges")
            }
            var out: [String: Double] = [:]
            var needed = ["pool"]
            for l in 0..<layerCount {
                needed += arch == .eventSSM ? ["l\(l).in", "l\(l).bv", "l\(l).x", "l\(l).cy"] : ["l\(l).in", "l\(l).x"]
            }
            for name in needed {
                guard let v = (r[name] as? NSNumber)?.doubleValue, v > 0, v.isFinite else {
                    throw reader.metaError("quantisation", "activation_ranges.\(name) must be a positive number")
                }
                out[name] = v
            }
            ranges = out
        case let other:
            throw reader.metaError("quantisation", "activations is \(other.map { "\"\($0)\"" } ?? "missing"); expected \"float\" or \"int8\"")
        }

        let placements = try reader.placements()
        var boardBinding: BoardBinding?
        if f.metadata["board"] != nil {
            guard let entry = try reader.json("board") as? [String: Any], let instrument = entry["instrument"] as? String,
                  let digest = entry["calibration_sha256"] as? String,
                  let volts = (entry["stm_read_volts"] as? NSNumber)?.doubleValue, volts > 0, volts.isFinite else {
                throw reader.metaError("board", "needs instrument, calibration_sha256 and a positive stm_read_volts")
            }
            guard layers.allSatisfy({ $0.stmNodes != nil && $0.stmNodeTauSeconds != nil && $0.stmSiemensPerUnit != nil }) else {
                throw reader.metaError("blocks", "a model trained for a board gives every block stm_nodes, stm_node_tau_seconds and stm_siemens_per_unit")
            }
            boardBinding = BoardBinding(instrument: instrument, calibrationSHA256: digest,
                                        calibrationFile: entry["calibration_file"] as? String, stmReadVolts: volts)
            if let count = entry["pulses_per_increment"] {
                guard let k = count as? Int, (1...64).contains(k) else {
                    throw reader.metaError("board", "pulses_per_increment must be a whole number of pulses from 1 to 64")
                }
                boardBinding?.pulsesPerIncrement = k
            }
        }
        var model = SSMModel(file: f.file, architecture: arch, layers: layers, embedding: embedding, readoutWeights: W,
                             readoutBias: b, classNames: classNames, inputCount: inputs, modelWidth: d, stateCount: n,
                             activationRanges: ranges, timeStepSeconds: dt, stepCount: steps, inputMode: mode,
                             placements: placements,
                             reportedTestAccuracy: f.metadata["test_accuracy"].flatMap(Double.init),
                             testDataFile: f.metadata["test_data"])
        try model.checkPlacements(geometry: geometry, reader: reader)
        model.boardBinding = boardBinding
        self = model
    }

    /// Every chip matrix placed whole, each input on exactly one row, slabs inside their tile,
    /// no cell claimed twice.
    private func checkPlacements(geometry: TileGeometry, reader: ModelFileReader) throws(SSMFileError) {
        var names = ["readout.W"]
        for l in 0..<layers.count {
            names += architecture == .eventSSM ? ["layers.\(l).B", "layers.\(l).C"] : ["layers.\(l).B", "layers.\(l).A", "layers.\(l).C"]
        }
        var used = Set<Int>()  // tile * rows * columns + row * columns + column
        for p in placements {
            guard let m = matrix(named: p.matrix) else {
                throw reader.metaError("tile_map", "places \"\(p.matrix)\", which is not a matrix of this model (expected: \(names.joined(separator: ", ")))")
            }
            let slab = "placement of \(p.matrix) on tile \(p.tile) rows \(p.rowOffset)..<\(p.rowOffset + p.rows)"
            guard p.tile >= 0, p.tile < geometry.tiles else {
                throw reader.metaError("tile_map", "\(slab): tile \(p.tile) does not exist (weight tiles 0...\(geometry.tiles - 1))")
            }
            guard p.rows > 0, p.rowOffset >= 0, p.rowOffset + p.rows <= geometry.rows else {
                throw reader.metaError("tile_map", "\(slab): rows leave the \(geometry.rows)-row tile")
            }
            guard p.outputs == m.rows else {
                throw reader.metaError("tile_map", "\(slab): says \(p.outputs) outputs but \(p.matrix) has \(m.rows)")
            }
            guard p.colPairOffset >= 0, 2 * (p.colPairOffset + p.outputs) <= geometry.columns else {
                throw reader.metaError("tile_map", "\(slab): \(p.outputs) column pairs from pair \(p.colPairOffset) leave the \(geometry.columns)-column tile")
            }
            guard p.inputOffset >= 0, p.inputOffset + p.rows <= m.columns else {
                throw reader.metaError("tile_map", "\(slab): inputs \(p.inputOffset)..<\(p.inputOffset + p.rows) exceed the \(m.columns) inputs of \(p.matrix)")
            }
            for r in p.physicalRows {
                for c in p.physicalColumns {
                    let key = (p.tile * geometry.rows + r) * geometry.columns + c
                    guard used.insert(key).inserted else {
                        throw reader.metaError("tile_map", "\(slab): cell \(r):\(c) of tile \(p.tile) is already used by another placement")
                    }
                }
            }
        }
        for name in names {
            guard let m = matrix(named: name) else { continue }
            var covered = [Int](repeating: 0, count: m.columns)
            for p in placements where p.matrix == name { for i in p.inputs { covered[i] += 1 } }
            if let i = covered.firstIndex(where: { $0 != 1 }) {
                throw reader.metaError("tile_map", "input \(i) of \(name) is placed on \(covered[i]) rows; every input needs exactly one")
            }
        }
    }
}

/// Typed access to a model file's tensors and metadata, with errors naming the key.
struct ModelFileReader {
    let f: SafeTensorsFile
    init(_ f: SafeTensorsFile) { self.f = f }

    func metaError(_ key: String, _ problem: String) -> SSMFileError {
        SSMFileError(file: f.file, key: "__metadata__.\(key)", problem: problem)
    }
    func tensorError(_ key: String, _ problem: String) -> SSMFileError {
        SSMFileError(file: f.file, key: key, problem: problem)
    }

    func string(_ key: String) throws(SSMFileError) -> String {
        guard let s = f.metadata[key] else { throw metaError(key, "is missing") }
        return s
    }
    func json(_ key: String) throws(SSMFileError) -> Any? {
        return try f.metadataJSON(key)
    }
    func int(_ key: String, atLeast low: Int) throws(SSMFileError) -> Int {
        let s = try string(key)
        guard let v = Int(s), v >= low else { throw metaError(key, "is \"\(s)\"; expected an integer of at least \(low)") }
        return v
    }
    func double(_ key: String, positive: Bool) throws(SSMFileError) -> Double {
        let s = try string(key)
        guard let v = Double(s), v.isFinite, !positive || v > 0 else { throw metaError(key, "is \"\(s)\"; expected a positive number") }
        return v
    }
    func strings(_ key: String) throws(SSMFileError) -> [String] {
        guard let v = try json(key) as? [String] else { throw metaError(key, "is missing or not a JSON list of strings") }
        return v
    }
    func tensor(_ key: String, shape: [Int]) throws(SSMFileError) -> [Double] {
        guard let info = f.tensors[key] else {
            throw tensorError(key, "tensor is missing (the file has: \(f.tensors.keys.sorted().joined(separator: ", ")))")
        }
        guard info.dtype.isFloatingPoint else { throw tensorError(key, "is \(info.dtype.rawValue); expected a floating-point tensor") }
        guard info.shape == shape else {
            throw tensorError(key, "has shape \(info.shape); expected \(shape)")
        }
        let values: [Double]
        values = try f.doubles(key)
        if let k = values.firstIndex(where: { !$0.isFinite }) { throw tensorError(key, "element \(k) is \(values[k]); expected finite numbers") }
        return values
    }
    func matrix(_ key: String, rows: Int, columns: Int) throws(SSMFileError) -> Matrix {
        Matrix(rows: rows, columns: columns, values: try tensor(key, shape: [rows, columns]))
    }
    func vector(_ key: String, count: Int) throws(SSMFileError) -> [Double] {
        try tensor(key, shape: [count])
    }

    func placements() throws(SSMFileError) -> [TilePlacement] {
        guard let map = try json("tile_map") as? [String: Any] else { throw metaError("tile_map", "is missing or not a JSON object") }
        if let o = map["pair_orientation"] as? String, o != "columns" {
            throw metaError("tile_map", "pair_orientation is \"\(o)\"; only differential pairs along columns are supported")
        }
        guard let list = map["placements"] as? [[String: Any]], !list.isEmpty else {
            throw metaError("tile_map", "has no placements")
        }
        var out: [TilePlacement] = []
        for (k, p) in list.enumerated() {
            // Placement numbers are tile geometry: anything beyond a u16 cannot address a cell,
            // and bounding them here keeps every later offset sum far from overflowing.
            func int(_ name: String) throws(SSMFileError) -> Int {
                guard let n = p[name] as? NSNumber, n.doubleValue == Double(n.intValue) else {
                    throw metaError("tile_map", "placement \(k): \(name) must be an integer")
                }
                guard (0...Int(UInt16.max)).contains(n.intValue) else {
                    throw metaError("tile_map", "placement \(k): \(name) is \(n.intValue); expected 0...\(UInt16.max)")
                }
                return n.intValue
            }
            guard let name = p["matrix"] as? String else { throw metaError("tile_map", "placement \(k): matrix must be a name") }
            out.append(TilePlacement(matrix: name, tile: try int("tile"), rowOffset: try int("row_offset"), rows: try int("rows"),
                                     inputOffset: try int("input_offset"), colPairOffset: try int("col_pair_offset"),
                                     outputs: try int("outputs")))
        }
        return out
    }
}

extension Array {
    var nilIfEmpty: Self? { isEmpty ? nil : self }
}
