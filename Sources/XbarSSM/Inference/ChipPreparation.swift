import Foundation
import XbarBoard
import XbarInstrument
import XbarStore

/// How a board whose tiles hold a model's weights is made ready for chip-in-loop inference,
/// the same way for the chip and for its twin: the tiles are read back; given a write-verify
/// programmer, the cells of pairs that drifted past the defect threshold since programming are
/// write-verified again and the tiles read back once more (a touch-up, as a lab refreshes a
/// chip before use); pairs still beyond the threshold are corrected on the host; the readout is
/// calibrated with probe vectors (or a given calibration is used), and the engine is set up
/// with the readout settings.
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
    /// Whether the calibrated readout touches up drifted pairs when ``prepare(board:model:map:instrument:believed:calibration:touchUp:log:)``
    /// is given a programmer. Measured (`xbar-bench infer --s4d-on-chip-study`, an hour after
    /// write-verify): about a quarter of the pairs are past 3 uS then, and host corrections of
    /// them cost 6-8 % of the multiply-accumulates; the touch-up brings nine in ten back for
    /// about 1.5 pulses per cell it is given.
    public var touchesUp = true
    /// Whether an S4D's diagonal rows are trimmed by their pairs' targets over their read-back
    /// (see ``PairDefects/diagonalTrims``).
    public var trimsDiagonals = true
    /// Probe vectors per tile of the readout calibration (0: none, ranging alone). Each
    /// column's gain and offset are estimated to within the conversions' noise over the square
    /// root of this, and that error reaches every product the engine converts: measured
    /// (`xbar-bench twin --close-call-runs 16 --close-call-sigmas 3`, spoken-digit event SSM
    /// float, 300 samples), a chip prepared twice agrees with itself on 97.3 % with 1024 probes
    /// and 98.3 % with 4096, its twin on 96.0 % and 97.3 %; 4096 probes on four tiles take
    /// about 0.1 s of board time.
    public var probeVectors = 4096
    /// Close calls run again and decided on their mean logits (see ``CloseCallRepeats``); nil
    /// (the default): every sample decided on one run. Off by default for its board time:
    /// measured (`xbar-bench twin --close-call-runs 8`, spoken digits, 200 samples), the chip
    /// agrees with itself run again on 97.5-99 % instead of 92.5-97.5 %, for 18-31 % more board
    /// time on the event SSMs and 50-60 % on the S4Ds.
    public var closeCalls: CloseCallRepeats?
    /// The engine's readout settings when not the readout's own (``settings``): a benchmark's variants.
    public var readoutSettings: ReadoutSettings?

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
        /// What the touch-up did; nil when none ran.
        public var touchUp: TouchUp?
        /// The tiles as last read here (after the touch-up, when one ran), siemens, row-major
        /// by tile index, each cell averaged ``readBackAverages`` times; empty when not read.
        public var readBack: [UInt8: [Double]]
        public var readBackAverages: Int

        /// The read-back as the run store records it for `run` (what the chip's twin starts from).
        public func readBackRecords(run: Int64, instrument: Instrument, at date: Date = Date()) -> [TileReadBack] {
            readBack.sorted { $0.key < $1.key }.compactMap { tile, siemens in
                instrument.tile(tile).map {
                    TileReadBack(run: run, index: Int(tile), rows: Int($0.rows), columns: Int($0.columns), siemens: siemens,
                                 averages: readBackAverages, readAt: date)
                }
            }
        }
    }

    /// Prepares `board`, whose tiles hold `map`'s targets.
    ///
    /// - Parameters:
    ///   - believed: conductances the host believes the tiles hold (a programming job's last
    ///     verify, row-major by tile); read back here when the readout is calibrated or when
    ///     none are given.
    ///   - calibration: a readout calibration measured earlier on this board, reused instead of
    ///     measuring one (the caller checks it belongs to the board).
    ///   - touchUp: the lab's write-verify job with which a calibrated readout touches up drifted
    ///     pairs (``touchesUp``); its journal and store record the pulses. Nil: no touch-up (a
    ///     twin, a board that is not to be programmed).
    ///   - log: lines for people.
    /// - Throws: `BoardError` from the reads, probes, STATUS and IDENTIFY; the touch-up job's
    ///   errors (board, store, ``JobInterrupted``).
    public func prepare(board: any Board, model: SSMModel, map: WeightMap, instrument: Instrument,
                        believed verified: [UInt8: [Double]] = [:], calibration given: ReadoutCalibration? = nil,
                        touchUp programmer: WriteVerifyWeightProgrammer? = nil,
                        log: (String) -> Void = { _ in }) throws -> Prepared {
        var believed = verified
        let recurrenceOnChip = decayOnChip && model.architecture == .s4d
        if recurrenceOnChip && floorsDiagonals && readout == .calibrated {
            let cells = try DiagonalFloor(instrument: instrument).apply(to: board, map: map, model: model)
            log("diagonals: \(cells) unused cells pulsed down to their floor")
        }
        var read: [UInt8: [Double]] = [:]
        let readback = TileReadback(instrument: instrument)
        if readout == .calibrated || believed.isEmpty {
            read = try readback.read(map, on: board)
            believed = map.believedConductances(readBack: read, toleranceSiemens: defectThresholdSiemens)
            log("read back tiles \(read.keys.sorted().map(String.init).joined(separator: ", ")) of \(board.backendDescription)")
        }
        // The diagonals' pairs are trimmed from the read-back when the calibrated readout runs the recurrence.
        let trims = recurrenceOnChip && readout == .calibrated && trimsDiagonals
        var defects = PairDefects(map: map, measured: believed, thresholdSiemens: defectThresholdSiemens,
                                  diagonalReads: trims ? read : [:], model: model)
        var touchUp: TouchUp?
        if touchesUp && readout == .calibrated, let programmer, defects.count > 0 {
            let start = try board.status()
            let cells = defects.cells
            let reports = try programmer.touchUp(map, cells: cells, on: board)
            read = try readback.read(map, on: board)
            let end = try board.status()
            believed = map.believedConductances(readBack: read, toleranceSiemens: defectThresholdSiemens)
            let before = defects.count
            defects = PairDefects(map: map, measured: believed, thresholdSiemens: defectThresholdSiemens,
                                  diagonalReads: trims ? read : [:], model: model)
            let done = TouchUp(pairsBefore: before, pairsAfter: defects.count, cells: cells, reports: reports,
                               boardSeconds: Double(end.boardTimeNanoseconds &- start.boardTimeNanoseconds) * 1e-9,
                               boardPulses: end.pulsesApplied &- start.pulsesApplied)
            log(done.summary)
            touchUp = done
        }
        log("pairs corrected on the host (missed by > \(defectThresholdSiemens) S): \(defects.count)")
        var calibration: ReadoutCalibration?
        var measured = false
        if readout == .calibrated {
            if let given {
                calibration = given
            } else if probeVectors > 0 {
                let probe = try ReadoutProbe(probeVectors: probeVectors).measure(on: board, map: map, instrument: instrument, believedSiemens: believed)
                let corrected = probe.tiles.reduce(0) { $0 + zip($1.gains, $1.offsetsAmperes).filter { $0 != 1 || $1 != 0 }.count }
                log("readout calibration: \(probe.probeVectors) probe vectors per tile; \(corrected) of \(probe.tiles.reduce(0) { $0 + $1.gains.count }) columns with a gain or offset told apart from none")
                calibration = probe
                measured = true
            }
        }
        let engine = try ChipInLoopEngine(model: model, map: map, board: board, instrument: instrument, decayOnChip: decayOnChip,
                                          settings: readoutSettings ?? settings, calibration: calibration, defects: defects)
        engine.closeCalls = closeCalls
        return Prepared(engine: engine, calibration: calibration, measuredCalibration: measured, defects: defects, touchUp: touchUp,
                        readBack: read, readBackAverages: readback.averages)
    }
}
