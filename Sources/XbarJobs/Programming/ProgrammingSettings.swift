import Foundation
import XbarDevice
import XbarWire

/// How write-verify programming runs: tolerance, budgets, verify reads, disturb and settle.
public struct ProgrammingSettings: Hashable, Sendable {
    /// A cell is within tolerance when its verified conductance is this close to target, siemens.
    public var toleranceSiemens: Double
    /// A verify read closer than this fraction of the tolerance ends a cell's pulses; a later
    /// full-tile read re-opens it only beyond the whole tolerance. The gap keeps read noise
    /// from toggling cells, and leaves room for read noise in the true conductance.
    public var acceptFraction: Double = 0.6
    /// The accept fraction of the touch-ups in the last relaxation pass of a tile whose touch-ups
    /// relax before they are read back (``WriteVerifyProgrammer/touchUpsRelaxBeforeReadBack``: a
    /// run of several tiles), for its first ``touchUpTightRounds`` rounds. Those cells are the
    /// youngest when the run ends, and the other tiles' touch-ups and read-backs leave them a
    /// second or two to relax; the narrower band leaves them room (four tiles at ±1 %: read-back
    /// 98.8 % with 0.6, 99.5 % with 0.45, for 4 % more pulses). Earlier passes accept at
    /// ``acceptFraction``: the last pass looks at every cell again. A single tile is read back
    /// within a second of its last touch-up, before its cells start to relax, so its touch-ups
    /// accept at ``acceptFraction`` too.
    public var touchUpAcceptFraction: Double = 0.45
    /// Touch-up rounds of the last relaxation pass held to ``touchUpAcceptFraction``; later
    /// rounds accept at ``acceptFraction``, so that the few cells whose steps overshoot the
    /// narrower band do not add round trip after round trip to the pass.
    public var touchUpTightRounds: Int = 4
    /// Pulse budget per cell.
    public var maxPulses: Int = 100
    public var scheme: BiasScheme
    /// Verify read voltage, volts.
    public var readVolts: Double
    /// Reads averaged by the board per verify read.
    public var verifyAverages: Int
    /// Relative noise of one read (device model), to tell response from noise.
    public var readNoiseSpread: Double
    /// Consecutive maximal pulses without response before a cell is declared stuck.
    public var stuckAfter: Int = 3
    /// Under a half-select bias scheme, a full-tile verify read after this many batches.
    public var disturbCheckInterval: Int = 4
    /// Full-tile verify reads after the pulsing ends, each followed by touch-ups of the cells it
    /// found out of tolerance (drifted, disturbed, or misread before).
    public var verifyRounds: Int = 3
    /// Wait before the final re-verify, seconds (0: none).
    public var settleSeconds: Double = 0
    /// Most pulses in one batch request (the board's payload limit).
    public var maxPulsesPerBatch: Int = 4096
    /// Re-verify passes at the end of the run, spaced in log time (0: none): each waits, reads
    /// the whole tile and touches up every cell outside the accept band. Cells keep relaxing
    /// while the rest of the tile is programmed, so a cell verified early reads out of tolerance
    /// at the end; after a wait long against the time the last pass takes, a cell the last
    /// pass leaves alone drifts little before the run ends. ``standard(tolerance:scheme:device:limits:adcFullScaleAmperes:maxPayloadBytes:readVolts:)``
    /// turns them on for a device that relaxes.
    public var relaxationPasses: Int = 0
    /// Wait before the last relaxation pass, seconds of board time; each earlier pass waits a
    /// tenth of the next (a decade apart in log time).
    public var relaxationWaitSeconds: Double = 10
    /// A full-tile read after the last pass, judged by nothing in the run: the read-back yield
    /// a lab measures (``TileReport/readBackSiemens``).
    public var readBack: Bool = false
    /// On a passive tile under a half-select scheme: the calibrated sneak paths and lines,
    /// through which every read's current over its voltage is turned into the cell's own
    /// conductance before anything is judged (nil: reads are taken as they come). Without it a
    /// read carries its column's sneak current, and verify accepts a cell that reads on target
    /// while it sits below it.
    public var sneakCorrection: SneakPathCorrection?
    /// Verify reads in the board's sense ranges, banded by target (nil: every verify read at the
    /// ADC's read full scale with ``verifyAverages``). With it a batch's pulses go out without a
    /// verify read and the pulsed cells are read band by band after it; the full-tile reads of
    /// the run are read the same way, except the read-back, which is read as without it.
    public var verifyRanges: VerifyRanges?

    public init(toleranceSiemens: Double, scheme: BiasScheme, readVolts: Double, verifyAverages: Int, readNoiseSpread: Double) {
        self.toleranceSiemens = toleranceSiemens
        self.scheme = scheme
        self.readVolts = readVolts
        self.verifyAverages = verifyAverages
        self.readNoiseSpread = readNoiseSpread
    }

    /// Reads to average so one verify read's noise at the top of the range is an eighth of the
    /// tolerance: then a cell accepted at 0.6 tolerance is truly within tolerance unless the
    /// read erred by more than 3 standard deviations.
    public static func verifyAverages(readNoiseSpread: Double, highSiemens: Double, toleranceSiemens: Double,
                                      maxAverages: Int) -> Int {
        let sigma = readNoiseSpread * highSiemens
        // Compared while still a double: a tiny tolerance asks for more reads than an Int holds.
        let wanted = (8 * sigma / toleranceSiemens).squared.rounded(.up)
        guard wanted.isFinite, wanted < Double(maxAverages) else { return maxAverages }
        return max(Int(wanted), 1)
    }

    /// The wait before relaxation pass `pass` (0-based), seconds: the last waits
    /// ``relaxationWaitSeconds``, each earlier one a tenth of the next. (Short confirming
    /// passes after the long one do worse: the cells the long pass touched up are the youngest
    /// and relax fastest, so a pass seconds later re-opens many of them and leaves the ones it
    /// verified at a young age to drift before the end.)
    public func relaxationWait(pass: Int) -> Double {
        relaxationWaitSeconds * pow(10, Double(pass - (relaxationPasses - 1)))
    }

    /// Standard deviation of one verify read at conductance `g`, siemens: the cell's read noise
    /// and `converterSiemens` (one conversion's noise, ``VerifyRanges/converterSiemens(range:readVolts:)``),
    /// averaged `averages` times (nil: ``verifyAverages``).
    public func readNoise(at g: Double, averages: Int? = nil, converterSiemens: Double = 0) -> Double {
        let n = Double(max(averages ?? verifyAverages, 1)).squareRoot()
        guard converterSiemens > 0 else { return readNoiseSpread * abs(g) / n }
        return ((readNoiseSpread * g).squared + converterSiemens.squared).squareRoot() / n
    }

    /// The least move of a cell's verify reads towards its target, from `beforeSiemens` to
    /// `afterSiemens`, that counts as its response to a pulse, siemens: three standard deviations
    /// of the difference of two verify reads, and at least a tenth of the tolerance. A stuck cell
    /// is one that moves less under maximal pulses. `readNoiseSiemens` is one verify read's
    /// noise there (nil: ``readNoise(at:averages:converterSiemens:)`` of an unranged read).
    public func responseFloor(beforeSiemens: Double, afterSiemens: Double, readNoiseSiemens: Double? = nil) -> Double {
        max(3 * 2.0.squareRoot() * (readNoiseSiemens ?? readNoise(at: max(beforeSiemens, afterSiemens))), 0.1 * toleranceSiemens)
    }

    /// Most pulses that fit one request of `maxPayloadBytes` (12 bytes per pulse, 16 for the header).
    public static func maxPulsesPerBatch(maxPayloadBytes: Int) -> Int { max(1, (maxPayloadBytes - 16) / 12) }
}

extension Double {
    var squared: Double { self * self }
}

extension ProgrammingSettings {
    /// At most 128 reads are averaged: a full-tile verify then takes about half a second of
    /// board time for 4096 cells, and cells keep relaxing while they are read, so longer reads
    /// lose more to relaxation than they gain against read noise.
    ///
    /// Settings for an instrument and device model: verify reads at ``verifyReadVolts(adcFullScaleAmperes:maxReadVolts:range:)``,
    /// averaged per ``verifyAverages(readNoiseSpread:highSiemens:toleranceSiemens:maxAverages:)``,
    /// batches as large as the board's payload allows.
    public static func standard(tolerance: Tolerance, scheme: BiasScheme, device: NonVolatileCellParameters,
                                limits: ElectricalLimits, adcFullScaleAmperes: Double,
                                maxPayloadBytes: Int, readVolts: Double? = nil) -> ProgrammingSettings {
        let range = ProgrammableRange(device: device)
        let tol = tolerance.siemens(rangeSiemens: range.nominalRangeSiemens)
        let volts = readVolts ?? verifyReadVolts(adcFullScaleAmperes: adcFullScaleAmperes,
                                                 maxReadVolts: Double(limits.maxReadVolts), range: range)
        var s = ProgrammingSettings(
            toleranceSiemens: tol, scheme: scheme, readVolts: volts,
            verifyAverages: verifyAverages(readNoiseSpread: device.readNoiseSpread, highSiemens: range.highSiemens,
                                           toleranceSiemens: tol, maxAverages: min(Int(limits.maxReadAverages), 128)),
            readNoiseSpread: device.readNoiseSpread)
        s.maxPulsesPerBatch = maxPulsesPerBatch(maxPayloadBytes: maxPayloadBytes)
        s.relaxationPasses = standardRelaxationPasses(device: device)
        s.readBack = true
        return s
    }

    /// Relaxation passes for a device model: two (a decade apart) when its cells relax, none when
    /// they do not.
    public static func standardRelaxationPasses(device: NonVolatileCellParameters) -> Int {
        device.relaxationSpreadPerDecade > 0 ? 2 : 0
    }

    /// The verify read voltage: as high as the read limit allows while a cell 15 % above the
    /// top of the programmable range stays below 95 % of the ADC's full scale. A higher read
    /// voltage makes one ADC step a smaller conductance (the step is full scale / 2^bits / V).
    ///
    /// With sneak paths (`sneakRatio` and the tile's `rows`), a read also carries the current of
    /// its column's other cells: the voltage keeps a column of cells all at that top within range.
    public static func verifyReadVolts(adcFullScaleAmperes: Double, maxReadVolts: Double, range: ProgrammableRange,
                                       sneakRatio: Double = 0, rows: Int = 1) -> Double {
        let fit = 0.95 * adcFullScaleAmperes / (1.15 * range.highSiemens * (1 + sneakRatio * Double(max(rows - 1, 0))))
        // Two significant digits: readable in run records, and below the limit after Float rounding.
        return (min(maxReadVolts * 0.999, fit) * 100).rounded(.down) / 100
    }
}
