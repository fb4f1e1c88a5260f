import XbarDevice
import XbarInstrument
import XbarWire

extension CalibrationPlan {
    /// What the periphery part of a calibration does to one weight tile: drive every cell to
    /// one of its bounds in a fixed random pattern (rows of different densities, so that rows
    /// carry different currents), read every cell at several voltages, then MVM probe vectors
    /// of several kinds whose outputs are compared with the products the reads predict.
    ///
    /// It overwrites every cell of that tile (the non-volatile part already pulses its sampled
    /// cells to their bounds and leaves them at the upper one); the tile is left holding the
    /// pattern.
    public struct Periphery: Hashable, Sendable {
        public var tile: UInt8
        /// Row-major: true where the cell is driven to its upper bound, false to its lower.
        public var pattern: [Bool]
        public var preparePulses: Int
        public var prepareSet: PulseCondition
        public var prepareReset: PulseCondition
        public var scheme: BiasScheme
        /// Read voltages, highest first: several, so that the read converter's bow shows
        /// against the reads' proportionality to the voltage.
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

    /// A periphery plan on `tile` (default: the instrument's last weight tile), using the
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
        var pattern: [Bool] = []
        for _ in 0..<Int(info.rows) {
            // Rows of 5 % to 95 % high cells: the rows' currents, and so their line drops, differ
            // by a factor of ten or more, which is what tells a line's resistance from a gain.
            let density = 0.05 + 0.9 * random.nextOpenUnit()
            for _ in 0..<Int(info.columns) { pattern.append(random.nextOpenUnit() < density) }
        }
        let read = nv.readVolts
        return Periphery(tile: info.index, pattern: pattern, preparePulses: nv.preparePulses, prepareSet: nv.prepareSet,
                         prepareReset: nv.prepareReset, scheme: nv.scheme, readVoltages: [read, read / 2, read / 4],
                         readAverages: min(16, Int(instrument.limits.maxReadAverages)), probeVectors: probeVectors,
                         heldOutEvery: 5, seed: seed)
    }
}
