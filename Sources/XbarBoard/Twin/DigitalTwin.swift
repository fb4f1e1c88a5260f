import XbarDevice
import XbarInstrument
import XbarWire

/// The digital twin of one chip: a simulated board that predicts *this* chip, not a fresh
/// draw from its population.
///
/// What it keeps from the chip's records:
/// - every recorded cell's conductance (the newest read-back of the chip its recipe found, else
///   the shadow map: the last value write-verify verified), set as if just programmed;
/// - which cells programming found stuck, stuck at their recorded value (a cell that stopped
///   responding far from the bound it would be stuck at has reached its own bound instead: it
///   stays within its recorded value, and responds the other way);
/// - which cells programming saw respond to pulses: never stuck;
/// - the device model of the calibration it is given (switching law, population spreads, read
///   noise, cycle-to-cycle noise, STM time constants) and the instrument's geometry, limits and
///   converters.
///
/// What it draws (from `seed`), because no record holds it per cell:
/// - whether a cell the records leave untested (never pulsed: it sat at its target from the
///   start) is stuck, at the calibrated stuck rates: at its lower bound if it sits in the lower
///   half of the range, at its upper bound otherwise (a stuck cell reads at its bound);
/// - each cell's thresholds and step fractions, from the calibrated population (they matter
///   only if the twin is pulsed again), except for the cells the records saw respond to
///   pulses: those switch as the records' fit says (``RecordedResponse``);
/// - cycle-to-cycle noise of pulses and read noise of every read and product;
/// - STM nodes, from the calibrated population.
///
/// What it leaves out: relaxation since the verify (its direction is unknown; the twin predicts
/// the expected conductance, the recorded one, until a cell is pulsed again: from then on it
/// relaxes by the device model, as a cell write-verify just programmed does), and cells the
/// records do not cover (they stay at a drawn `gMin`, unprogrammed). A cell whose verify read sat at the read converter's full
/// scale (a cell stuck high, above the range) is held at that reading, a floor of its true value.
public final class DigitalTwin: Board {
    /// A tile as the chip's records give it.
    public struct RecordedTile: Sendable, Hashable {
        /// Conductances, siemens, row-major.
        public var siemens: [Double]
        /// Cells found stuck, row-major (`.none` for the others).
        public var stuck: [StuckState]
        /// Cells whose records say nothing of whether they respond, row-major (empty: none).
        public var untested: [Bool]
        /// Cells the records show at one of their own bounds, row-major (empty: none).
        public var bounds: [RecordedBound]
        /// The switching law each cell showed while programmed, row-major (empty, or nil for a
        /// cell: its draw from the population).
        public var responses: [RecordedResponse?]

        public init(siemens: [Double], stuck: [StuckState], untested: [Bool] = [], bounds: [RecordedBound] = [],
                    responses: [RecordedResponse?] = []) {
            self.siemens = siemens
            self.stuck = stuck
            self.untested = untested
            self.bounds = bounds
            self.responses = responses
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
        // Stuck cells come from the records and the draws of untested cells alone.
        model.nonVolatile.stuckAtMinRate = 0
        model.nonVolatile.stuckAtMaxRate = 0
        // Mixed, so that a twin never shares its random streams with a simulated chip of the same seed.
        board = SimulatedBoard(instrument: instrument, parameters: model, periphery: periphery,
                               seed: SplitMix64.mix(seed ^ 0x7E1A_0000_0000_0003),
                               serialNumber: "twin-\(chipSerial)")
        backendDescription = description
        let nv = device.nonVolatile
        let middle = (nv.gMinSiemens.mean + nv.gMaxSiemens.mean) / 2
        var random = Xoshiro256StarStar(seed: SplitMix64.mix(seed ^ 0x5706_C000_0000_0007))
        for (index, tile) in tiles.sorted(by: { $0.key < $1.key }) {
            var stuck = tile.stuck
            for (i, untested) in tile.untested.enumerated() where untested && i < stuck.count && stuck[i] == .none {
                let low = tile.siemens[i] < middle
                if random.nextOpenUnit() < (low ? nv.stuckAtMinRate : nv.stuckAtMaxRate) { stuck[i] = low ? .atMin : .atMax }
            }
            try board.adoptRecordedTile(index, siemens: tile.siemens, stuck: stuck, bounds: tile.bounds, responses: tile.responses)
        }
    }

    public func perform(_ request: Request) throws(BoardError) -> Reply {
        try board.perform(request)
    }
}
