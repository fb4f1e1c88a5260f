import XbarDevice
import XbarInstrument
import XbarWire

extension CalibrationPlan {
    /// What the periphery part of a calibration does to one weight tile, twice: drive every
    /// cell to one of its bounds in a fixed random pattern, read every cell at several voltages,
    /// then run MVM probe vectors of several kinds whose outputs are compared with the products
    /// the reads predict. The first pattern's rows, the second's columns have different
    /// densities: rows of different currents tell a line's resistance from a gain, and a
    /// column's gain, unlike its line's drop, does not change with the pattern.
    ///
    /// It overwrites every cell of that tile (the non-volatile part already pulses its sampled
    /// cells to their bounds and leaves them at the upper one); the tile is left holding the
    /// second pattern.
    public struct Periphery: Hashable, Sendable {
        public var tile: UInt8
        /// Further weight tiles of the same geometry measured the same way, for their column
        /// amplifiers alone: each tile has its own, and a twin that drew them would miss every
        /// product there by the columns' gain and offset spread. Every cell of them is
        /// overwritten too.
        public var columnTiles: [UInt8] = []
        /// Per pattern, row-major: true where the cell is driven to its upper bound, false to its lower.
        public var patterns: [[Bool]]
        public var preparePulses: Int
        public var prepareSet: PulseCondition
        public var prepareReset: PulseCondition
        public var scheme: BiasScheme
        /// Read voltages, highest first: several, so that the read converter's bow shows
        /// against the reads' proportionality to the voltage; the measurement scales them down
        /// together when the tile's reads would pass the converter's full scale.
        public var readVoltages: [Double]
        public var readAverages: Int
        public var probeVectors: Int
        /// Every this-many-th probe (the last of each group) is held out of the fit.
        public var heldOutEvery: Int
        /// Seeds the pattern and the probe vectors.
        public var seed: UInt64

        /// Whether probe `k` is held out of the fit.
        public func isHeldOut(_ k: Int) -> Bool { k % heldOutEvery == heldOutEvery - 1 }
    }

    /// A periphery plan on `tile` (default: the instrument's last weight tile, with the column
    /// amplifiers of every other weight tile of its geometry; a named tile alone), using the
    /// non-volatile plan's preparation pulses to reach the bounds.
    ///
    /// - Throws: ``PlanningError`` when the tile is not a weight tile of the instrument.
    static func periphery(instrument: Instrument, nonVolatile nv: NonVolatile, tile: UInt8?, probeVectors: Int,
                          seed: UInt64 = 0xA77A_CA1B) throws -> Periphery {
        let chosen = tile.flatMap { instrument.tile($0) } ?? (tile == nil ? instrument.weightTiles.last : nil)
        guard let info = chosen, info.kind.isNonVolatile else {
            throw PlanningError(description: "\(instrument.name): tile \(tile.map(String.init) ?? "-") is not a weight tile; the periphery is measured on one")
        }
        var random = Xoshiro256StarStar(seed: seed)
        let rows = Int(info.rows), columns = Int(info.columns)
        // Lines of 5 % to 95 % high cells: their currents, and so their drops, differ by a
        // factor of ten or more.
        let rowDensity = (0..<rows).map { _ in 0.05 + 0.9 * random.nextOpenUnit() }
        let columnDensity = (0..<columns).map { _ in 0.05 + 0.9 * random.nextOpenUnit() }
        let byRows = (0..<(rows * columns)).map { random.nextOpenUnit() < rowDensity[$0 / columns] }
        let byColumns = (0..<(rows * columns)).map { random.nextOpenUnit() < columnDensity[$0 % columns] }
        let read = nv.readVolts
        let others = tile != nil ? [] : instrument.weightTiles.filter {
            $0.index != info.index && $0.kind == info.kind && $0.rows == info.rows && $0.columns == info.columns
        }.map(\.index)
        return Periphery(tile: info.index, columnTiles: others, patterns: [byRows, byColumns], preparePulses: nv.preparePulses, prepareSet: nv.prepareSet,
                         prepareReset: nv.prepareReset, scheme: nv.scheme, readVoltages: readVoltages(read, passive: info.kind == .nonVolatilePassive),
                         readAverages: min(16, Int(instrument.limits.maxReadAverages)), probeVectors: probeVectors,
                         heldOutEvery: 5, seed: seed)
    }

    /// The read voltage and a half, a quarter and an eighth of it; on a passive tile eight even
    /// steps down to the eighth instead: there a column's sneak current puts all its cells near
    /// one reading, so the cells' quantization errors at one voltage are alike, and only
    /// voltages several converter steps apart make them differ.
    private static func readVoltages(_ read: Double, passive: Bool) -> [Double] {
        passive ? (1...8).reversed().map { read * Double($0) / 8 } : [read, read / 2, read / 4, read / 8]
    }
}
