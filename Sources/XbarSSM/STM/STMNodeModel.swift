import XbarDevice
import XbarInstrument
import XbarJobs
import XbarWire

/// What the host knows of the STM nodes that hold a model's states: where each node is, its
/// calibrated parameters, and the increment law the calibration fitted.
///
/// A node is addressed as the model files do: node `n` of the instrument's STM tile is row
/// `n / columns`, column `n % columns`.
public struct STMNodeModel: Sendable {
    /// The STM tile the nodes are on.
    public let tile: TileInfo
    /// Calibrated parameters of every node of the tile, row-major; population means (of the
    /// node's device class) for nodes whose fit did not converge or that the calibration did
    /// not measure.
    public let draws: [ShortTermMemoryCellDraw]
    /// The increment law's shared constants (overdrive scale, width law, read disturb, slow
    /// fraction) of the default STM population, from the calibration.
    public let law: ShortTermMemoryCellParameters
    /// The law of each row's population: its device class's on a board of several classes,
    /// else `law`.
    public let rowLaws: [ShortTermMemoryCellParameters]
    /// The device class of each row (the instrument's `row_device_classes`); nil for a row of
    /// the default population.
    public let rowDeviceClasses: [String?]
    /// SHA-256 of the calibration file (hex), to match against a model's.
    public let calibrationSHA256: String

    /// A node model from known parameters (a simulated board's drawn ones, for measuring what
    /// calibration error costs).
    init(tile: TileInfo, draws: [ShortTermMemoryCellDraw], law: ShortTermMemoryCellParameters,
         rowLaws: [ShortTermMemoryCellParameters], rowDeviceClasses: [String?], calibrationSHA256: String) {
        self.tile = tile
        self.draws = draws
        self.law = law
        self.rowLaws = rowLaws
        self.rowDeviceClasses = rowDeviceClasses
        self.calibrationSHA256 = calibrationSHA256
    }

    /// - Throws: ``STMStateError`` when the instrument has no STM tile, the calibration was
    ///   made on another instrument or lacks a device class the tile's rows use.
    public init(calibration: CalibrationFile, calibrationSHA256: String, instrument: Instrument) throws(STMStateError) {
        guard let tile = instrument.stateTiles.first else { throw .noStateTile(instrument: instrument.name) }
        guard calibration.instrument.name == instrument.name else {
            throw .calibrationMismatch("the calibration was made on \(calibration.instrument.name), the board is \(instrument.name)")
        }
        self.tile = tile
        law = calibration.device.shortTermMemory
        var rowLaws: [ShortTermMemoryCellParameters] = []
        for row in 0..<Int(tile.rows) {
            guard let p = instrument.stmParameters(tile: tile.index, row: row, in: calibration.device) else {
                throw .calibrationMismatch("it has no STM device class \(instrument.stmDeviceClass(tile: tile.index, row: row) ?? ""), which row \(row) uses")
            }
            rowLaws.append(p)
        }
        self.rowLaws = rowLaws
        rowDeviceClasses = (0..<Int(tile.rows)).map { instrument.stmDeviceClass(tile: tile.index, row: $0) }
        var draws: [ShortTermMemoryCellDraw] = []
        for n in 0..<tile.cellCount {
            let node: StateNodeModel
            do { node = try calibration.stateNode(n, of: instrument, tile: tile.index) } catch {
                throw .calibrationMismatch(error.description)
            }
            draws.append(ShortTermMemoryCellDraw(
                baseSiemens: node.baseSiemens, ceilingSiemens: node.ceilingSiemens, tauSeconds: node.tauSeconds,
                slowTauSeconds: node.slowTauSeconds, incrementFraction: node.incrementFraction, thresholdVolts: node.thresholdVolts))
        }
        self.draws = draws
        self.calibrationSHA256 = calibrationSHA256
    }

    /// The cell address of node `n`.
    public func cell(_ n: Int) -> CellIndex {
        CellIndex(row: UInt16(n / Int(tile.columns)), column: UInt16(n % Int(tile.columns)))
    }

    /// The device class of node `n` (its row's); nil for the default population.
    public func deviceClass(ofNode n: Int) -> String? {
        rowDeviceClasses[n / Int(tile.columns)]
    }

    /// Number of nodes on the tile.
    public var nodeCount: Int { draws.count }

    /// Node `n`'s law (its row's population) without cycle-to-cycle and read noise: what the
    /// host predicts the node does.
    func noiselessLaw(ofNode n: Int) -> ShortTermMemoryCellParameters {
        var p = rowLaws[n / Int(tile.columns)]
        p.cycleToCycleSpread = 0
        p.readNoiseSpread = 0
        return p
    }
}

/// Why the state cannot be held on the STM nodes.
public enum STMStateError: Error, Hashable, Sendable, CustomStringConvertible {
    case noStateTile(instrument: String)
    case calibrationMismatch(String)
    case modelNotBound(String)
    case readOutOfRange(String)
    /// Nodes still above their rest after the longest rest the player waits.
    case notAtRest(String)

    public var description: String {
        switch self {
        case .noStateTile(let i): return "instrument \(i) has no short-term-memory tile to hold states on"
        case .calibrationMismatch(let m): return "calibration does not fit: \(m)"
        case .modelNotBound(let m): return "the model cannot hold its states on STM nodes: \(m)"
        case .readOutOfRange(let m): return "STM read refused: \(m)"
        case .notAtRest(let m): return "STM nodes do not come back to rest: \(m)"
        }
    }
}
