import XbarBoard
import XbarInstrument

/// How a board whose tiles hold a model's weights is made ready for chip-in-loop inference,
/// the same way for the chip and for its twin: the tiles are read back (pairs that missed their
/// targets are corrected on the host), the readout is calibrated with probe vectors (or a given
/// calibration is used), and the engine is set up with the readout settings.
public struct ChipPreparation {
    public enum Readout: String, Sendable, Codable, CaseIterable {
        /// Read-back, probe calibration, per-vector ranging (see ``ReadoutSettings/ranged``).
        case calibrated
        /// The earlier readout: activation ranges at full scale, no read-back or calibration.
        case uncorrected
    }

    public var readout: Readout
    public var ditherPairs: Int
    /// Whether an S4D's recurrence runs on the chip (see ``ChipInLoopEngine/decayOnChip``).
    public var decayOnChip: Bool
    /// Pairs whose believed `G+ - G-` misses its target by more than this are corrected on the host, siemens.
    public var defectThresholdSiemens: Double
    /// Whether the calibrated readout converts in the board's sense ranges (when it has them).
    public var usesSenseRanges: Bool
    /// Whether, with an S4D's recurrence on the chip, the unused cells of its diagonals are
    /// pulsed down to their floor before the read-back (see ``DiagonalFloor``).
    public var floorsDiagonals = false

    public init(readout: Readout = .calibrated, ditherPairs: Int = 4, decayOnChip: Bool = true, defectThresholdSiemens: Double = 3e-6,
                usesSenseRanges: Bool = true) {
        self.usesSenseRanges = usesSenseRanges
        self.readout = readout
        self.ditherPairs = ditherPairs
        self.decayOnChip = decayOnChip
        self.defectThresholdSiemens = defectThresholdSiemens
    }

    /// The readout settings the engine runs with.
    public var settings: ReadoutSettings {
        readout == .calibrated
            ? ReadoutSettings(inputScaling: .perVector, ditherPairs: ditherPairs, diagonalDitherPairs: 4 * ditherPairs,
                              usesSenseRanges: usesSenseRanges)
            : ReadoutSettings(inputScaling: .activationRange, ditherPairs: ditherPairs, adcHeadroom: 1, saturationRetries: 0,
                              usesSenseRanges: false)
    }

    /// What preparing a board found.
    public struct Prepared {
        public var engine: ChipInLoopEngine
        /// The readout calibration in use (measured here, or the one given); nil uncorrected.
        public var calibration: ReadoutCalibration?
        /// Whether `calibration` was measured on this board just now.
        public var measuredCalibration: Bool
        public var defects: PairDefects
    }

    /// Prepares `board`, whose tiles hold `map`'s targets.
    ///
    /// - Parameters:
    ///   - believed: conductances the host believes the tiles hold (a programming job's last
    ///     verify, row-major by tile); read back here when the readout is calibrated or when
    ///     none are given.
    ///   - calibration: a readout calibration measured earlier on this board, reused instead of
    ///     measuring one (the caller checks it belongs to the board).
    ///   - log: lines for people.
    /// - Throws: `BoardError` from the reads, probes and IDENTIFY.
    public func prepare(board: any Board, model: SSMModel, map: WeightMap, instrument: Instrument,
                        believed verified: [UInt8: [Double]] = [:], calibration given: ReadoutCalibration? = nil,
                        log: (String) -> Void = { _ in }) throws -> Prepared {
        var believed = verified
        let recurrenceOnChip = decayOnChip && model.architecture == .s4d
        if recurrenceOnChip && floorsDiagonals && readout == .calibrated {
            let cells = try DiagonalFloor(instrument: instrument).apply(to: board, map: map, model: model)
            log("diagonals: \(cells) unused cells pulsed down to their floor")
        }
        var read: [UInt8: [Double]] = [:]
        if readout == .calibrated || believed.isEmpty {
            read = try TileReadback(instrument: instrument).read(map, on: board)
            believed = map.believedConductances(readBack: read, toleranceSiemens: defectThresholdSiemens)
            log("read back tiles \(read.keys.sorted().map(String.init).joined(separator: ", ")) of \(board.backendDescription)")
        }
        // The diagonals' pairs are trimmed from the read-back when the calibrated readout runs the recurrence.
        let defects = PairDefects(map: map, measured: believed, thresholdSiemens: defectThresholdSiemens,
                                  diagonalReads: recurrenceOnChip && readout == .calibrated ? read : [:], model: model)
        log("pairs corrected on the host (missed by > \(defectThresholdSiemens) S): \(defects.count)")
        var calibration: ReadoutCalibration?
        var measured = false
        if readout == .calibrated {
            if let given {
                calibration = given
            } else {
                let probe = try ReadoutProbe().measure(on: board, map: map, instrument: instrument, believedSiemens: believed)
                let corrected = probe.tiles.reduce(0) { $0 + zip($1.gains, $1.offsetsAmperes).filter { $0 != 1 || $1 != 0 }.count }
                log("readout calibration: \(probe.probeVectors) probe vectors per tile; \(corrected) of \(probe.tiles.reduce(0) { $0 + $1.gains.count }) columns with a gain or offset told apart from none")
                calibration = probe
                measured = true
            }
        }
        let engine = try ChipInLoopEngine(model: model, map: map, board: board, instrument: instrument, decayOnChip: decayOnChip,
                                          settings: settings, calibration: calibration, defects: defects)
        return Prepared(engine: engine, calibration: calibration, measuredCalibration: measured, defects: defects)
    }
}
