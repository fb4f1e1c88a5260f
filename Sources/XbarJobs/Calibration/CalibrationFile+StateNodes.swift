import XbarInstrument

/// The calibrated model of one STM state node: what a pulse planner needs to predict its
/// response. SI units.
public struct StateNodeModel: Hashable, Sendable {
    public var tile: UInt8
    public var row: UInt16
    public var column: UInt16
    /// The node's STM device class, nil for the default population.
    public var deviceClass: String?
    /// Decay time constant of the fast component, seconds.
    public var tauSeconds: Double
    /// Stable base conductance, siemens.
    public var baseSiemens: Double
    /// Ceiling of the volatile part, siemens.
    public var ceilingSiemens: Double
    /// Fraction of the distance to the ceiling a reference pulse adds.
    public var incrementFraction: Double
    /// Potentiation threshold, volts.
    public var thresholdVolts: Double
    /// Time constant of the slow component, seconds.
    public var slowTauSeconds: Double
    /// Fraction of each increment that goes to the slow component (0 without one).
    public var slowFraction: Double
    /// True when the values are the node's own converged fit; false when they are its
    /// population's means (the node was not measured, or its fit did not converge). A value
    /// the node's fit lacks (e.g. its increment fraction) is its population's mean either way.
    public var isNodeFit: Bool
}

/// Why a state node's model could not be given.
public enum StateNodeLookupError: Error, Hashable, Sendable, CustomStringConvertible {
    case noStateTile(instrument: String, tile: UInt8?)
    case nodeOutside(index: Int, tile: UInt8, nodes: Int)
    case missingDeviceClass(String, tile: UInt8, row: Int)

    public var description: String {
        switch self {
        case let .noStateTile(instrument, tile):
            return "instrument \(instrument) has no STM state tile" + (tile.map { " \($0)" } ?? "")
        case let .nodeOutside(index, tile, nodes):
            return "STM node \(index) is outside tile \(tile), which has nodes 0...\(nodes - 1)"
        case let .missingDeviceClass(name, tile, row):
            return "the calibration has no STM device class \(name), which row \(row) of tile \(tile) uses: recalibrate with this instrument"
        }
    }
}

extension CalibrationFile {
    /// The calibrated model of STM node `index` (row-major: `row * columns + column`) of a
    /// state tile: the node's own fit when it converged, else its population's means (its row's
    /// device class, or the default STM population).
    ///
    /// - Parameters:
    ///   - instrument: the instrument the calibration is for (geometry and row classes).
    ///   - tile: the state tile; the instrument's first one when nil.
    /// - Throws: ``StateNodeLookupError`` for a missing tile, an index outside the tile, or a
    ///   device class the calibration lacks.
    public func stateNode(_ index: Int, of instrument: Instrument, tile: UInt8? = nil) throws(StateNodeLookupError) -> StateNodeModel {
        guard let info = tile.map({ instrument.tile($0) }) ?? instrument.stateTiles.first, info.kind == .shortTermMemory else {
            throw .noStateTile(instrument: instrument.name, tile: tile)
        }
        guard index >= 0, index < info.cellCount else { throw .nodeOutside(index: index, tile: info.index, nodes: info.cellCount) }
        let row = index / Int(info.columns), column = index % Int(info.columns)
        let deviceClass = instrument.stmDeviceClass(tile: info.index, row: row)
        guard let population = device.shortTermMemory(deviceClass: deviceClass) else {
            throw .missingDeviceClass(deviceClass ?? "", tile: info.index, row: row)
        }
        let fit = nodes.first { $0.tile == info.index && Int($0.row) == row && Int($0.column) == column && $0.converged }
        return StateNodeModel(
            tile: info.index, row: UInt16(row), column: UInt16(column), deviceClass: deviceClass,
            tauSeconds: fit?.tauSeconds ?? population.tauSeconds.mean,
            baseSiemens: fit?.baseSiemens ?? population.baseSiemens.mean,
            ceilingSiemens: fit?.ceilingSiemens ?? population.ceilingSiemens.mean,
            incrementFraction: fit?.incrementFraction ?? population.incrementFraction.mean,
            thresholdVolts: fit?.thresholdVolts ?? population.thresholdVolts.mean,
            slowTauSeconds: fit?.slowTauSeconds ?? population.slowTauSeconds.mean,
            slowFraction: fit?.slowFraction ?? population.slowFraction,
            isNodeFit: fit != nil)
    }
}
