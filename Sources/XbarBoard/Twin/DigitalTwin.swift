import XbarDevice
import XbarInstrument
import XbarWire

/// The digital twin of one chip: a simulated board that predicts *this* chip, not a fresh
/// draw from its population.
///
/// What it keeps from the chip's records:
/// - every recorded cell's conductance (the shadow map: the last value write-verify verified),
///   set as if just programmed;
/// - which cells programming found stuck, stuck at their recorded value; no other cell is stuck;
/// - the device model of the calibration it is given (switching law, population spreads, read
///   noise, cycle-to-cycle noise, STM time constants) and the instrument's geometry, limits and
///   converters.
///
/// What it draws (from `seed`), because no record holds it per cell:
/// - each cell's thresholds and step fractions, from the calibrated population (they matter
///   only if the twin is pulsed again);
/// - cycle-to-cycle noise of pulses and read noise of every read and product;
/// - STM nodes, from the calibrated population.
///
/// What it leaves out: relaxation since the verify (its direction is unknown; the twin predicts
/// the expected conductance, the recorded one), and cells the records do not cover (they stay
/// at a drawn `gMin`, unprogrammed). A cell whose verify read sat at the read converter's full
/// scale (a cell stuck high, above the range) is held at that reading, a floor of its true value.
public final class DigitalTwin: Board {
    /// A tile as the chip's records give it.
    public struct RecordedTile: Sendable, Hashable {
        /// Conductances, siemens, row-major.
        public var siemens: [Double]
        /// Cells found stuck, row-major (`.none` for the others).
        public var stuck: [StuckState]

        public init(siemens: [Double], stuck: [StuckState]) {
            self.siemens = siemens
            self.stuck = stuck
        }
    }

    /// The simulated board underneath (simulation only: its ground truth is the twin's).
    public let board: SimulatedBoard
    /// Where results come from: "twin of ... " with what it was built from.
    public let backendDescription: String

    /// Builds the twin.
    ///
    /// - Parameters:
    ///   - device: the calibrated device model (or the instrument's defaults, for an uncalibrated twin).
    ///   - periphery: the calibrated array periphery; the instrument's when nil.
    ///   - tiles: recorded tiles by index.
    ///   - chipSerial: the chip's serial number; the twin identifies as `twin-` followed by it.
    ///   - description: what results from the twin are recorded as coming from.
    /// - Throws: `BoardError.fault` (`.badArgument`) when a recorded tile does not fit the instrument.
    public init(instrument: Instrument, device: DeviceParameters, periphery: ArrayPeripheryParameters? = nil,
                tiles: [UInt8: RecordedTile], seed: UInt64,
                chipSerial: String, description: String) throws(BoardError) {
        var model = device
        // Stuck cells come from the records alone, and relaxation is left out (see above).
        model.nonVolatile.stuckAtMinRate = 0
        model.nonVolatile.stuckAtMaxRate = 0
        model.nonVolatile.relaxationSpreadPerDecade = 0
        // Mixed, so that a twin never shares its random streams with a simulated chip of the same seed.
        board = SimulatedBoard(instrument: instrument, parameters: model, periphery: periphery,
                               seed: SplitMix64.mix(seed ^ 0x7E1A_0000_0000_0003),
                               serialNumber: "twin-\(chipSerial)")
        backendDescription = description
        for (index, tile) in tiles.sorted(by: { $0.key < $1.key }) {
            try board.adoptRecordedTile(index, siemens: tile.siemens, stuck: tile.stuck)
        }
    }

    public func perform(_ request: Request) throws(BoardError) -> Reply {
        try board.perform(request)
    }
}
