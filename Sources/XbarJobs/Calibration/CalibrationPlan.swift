import Foundation
import XbarDevice
import XbarInstrument
import XbarWire

/// What a calibration measures: pulse-response curves up and down at several amplitudes on a
/// sample of non-volatile cells, repeated reads for read noise, and STM read trains after
/// pulses at several amplitudes; and which of those measurements the fit never sees.
public struct CalibrationPlan: Hashable, Sendable {
    public struct NonVolatile: Hashable, Sendable {
        /// Sampled cells per weight tile.
        public var cells: [UInt8: [CellIndex]]
        /// SET and RESET pulse conditions (amplitude magnitudes), paired by index; RESET may
        /// have more (strong short pulses), measured after the pairs.
        public var setConditions: [PulseCondition]
        public var resetConditions: [PulseCondition]
        /// Index of the condition pair whose curves are held out of the fit.
        public var heldOutCondition: Int
        public var pulsesPerCurve: Int
        /// Strong pulses that drive a cell to a bound before each curve.
        public var preparePulses: Int
        public var prepareSet: PulseCondition
        public var prepareReset: PulseCondition
        /// Repeated reads per cell for read noise.
        public var noiseReads: Int
        /// Reads the board averages per verify read of a curve. The one-step fit regresses each
        /// step on the measured conductance before it; read noise in that regressor biases
        /// the step fraction up by `sigma^2 / var(G)` (errors in variables), and averaging
        /// divides `sigma^2` by this count.
        public var verifyAverages: Int
        public var readVolts: Double
        public var scheme: BiasScheme
    }

    /// The STM measurement of one device population: the sampled nodes of one device class
    /// (or of the default population) on the state tile, with pulses, read-train timing and
    /// settle times derived from that population's own defaults.
    public struct ShortTermMemoryPart: Hashable, Sendable {
        /// The device class measured, nil for nodes of the default population.
        public var deviceClass: String?
        public var sweep: STMSweep

        public init(deviceClass: String?, sweep: STMSweep) {
            self.deviceClass = deviceClass
            self.sweep = sweep
        }
    }

    public var nonVolatile: NonVolatile?
    /// One part per STM population on the state tile (one on a board without device classes),
    /// measured and fitted one after the other.
    public var shortTermMemory: [ShortTermMemoryPart]
    /// The array periphery's measurement, after the others (it programs a whole tile).
    public var periphery: Periphery?
    /// The repetition of every STM sweep point held out of the fit.
    public var heldOutRepetition: Int
    /// Groups the STM time constants are split into.
    public var timeConstantGroups: Int

    public init(nonVolatile: NonVolatile?, shortTermMemory: [ShortTermMemoryPart], heldOutRepetition: Int, timeConstantGroups: Int,
                periphery: Periphery? = nil) {
        self.nonVolatile = nonVolatile
        self.shortTermMemory = shortTermMemory
        self.periphery = periphery
        self.heldOutRepetition = heldOutRepetition
        self.timeConstantGroups = timeConstantGroups
    }

    /// Why no plan could be made.
    public struct PlanningError: Error, CustomStringConvertible, Hashable, Sendable {
        public var description: String
    }

    /// A plan derived from an instrument's default device model and limits.
    ///
    /// Amplitudes sit at multiples of the default overdrive scale above the default threshold
    /// (seven from 0.4 to at most 1.1 at the reference width, so the slowest curve still moves
    /// and the fastest stays near a 10 % step; SET below the compliance limit; four from 0.1 to
    /// 0.4 at a longer width, where the onset separates threshold from step fraction); curve
    /// lengths follow from the default step fractions. Amplitudes above the instrument's
    /// limits are left out, never clamped.
    ///
    /// The STM nodes of the first state tile are measured one population at a time: on a
    /// board whose rows are several device classes, each class has its own part, timed for its
    /// own time constants (a 3 ms node is read every half millisecond, a 90 ms node every
    /// fifteen).
    ///
    /// - Parameters:
    ///   - sampleCells: non-volatile cells to measure, spread evenly over the weight tiles.
    ///   - stateNodes: STM nodes to measure (all when nil), spread over the first state tile; on
    ///     a tile of several device classes shared equally between them, at least two each
    ///     (the fewest a population is fitted from).
    ///   - timeConstantGroups: groups the STM time constants are split into; by default the
    ///     number of device classes on the state tile when it has several, else 4.
    ///   - peripheryTile: the weight tile the periphery is measured on (default: the last one);
    ///     every cell of it is overwritten. Ignored when `peripheryProbes` is 0.
    ///   - peripheryProbes: MVM probe vectors per pattern of the periphery part (default: 65536
    ///     column currents' worth, 1024 on a 64-column tile); 0 leaves the part out.
    /// - Throws: ``PlanningError`` when fewer than four amplitudes fit the limits, the
    ///   periphery tile is not a weight tile, or a count is beyond what the instrument has or a
    ///   calibration can use (more cells or nodes than the board holds is refused, not clamped).
    public init(instrument: Instrument, sampleCells: Int = 64, stateNodes: Int? = nil, pulsesPerCurve: Int? = nil,
                stmRepetitions: Int = 3, stmReadCount: Int = 40, noiseReads: Int = 30, timeConstantGroups: Int? = nil,
                peripheryTile: UInt8? = nil, peripheryProbes: Int? = nil) throws {
        let weightCells = instrument.weightTiles.reduce(0) { $0 + $1.cellCount }
        let stateCells = instrument.stateTiles.first?.cellCount ?? 0
        func require(_ value: Int, _ name: String, in range: ClosedRange<Int>, _ why: String) throws(PlanningError) {
            guard range.contains(value) else {
                throw PlanningError(description: "\(instrument.name): \(name) \(value) is outside \(range.lowerBound)...\(range.upperBound) (\(why))")
            }
        }
        try require(sampleCells, "sample cells", in: 0...weightCells, "the board's weight cells")
        if let stateNodes { try require(stateNodes, "state nodes", in: 0...stateCells, "the nodes of its first state tile") }
        try require(stmRepetitions, "STM repetitions", in: 1...100, "each repetition re-measures every sweep point")
        if let timeConstantGroups { try require(timeConstantGroups, "time-constant groups", in: 1...max(1, stateCells), "at most one per node") }
        if let peripheryProbes { try require(peripheryProbes, "periphery probe vectors", in: 0...(1 << 20), "a million vectors per pattern") }
        let limits = instrument.limits
        func allowed(_ c: PulseCondition, sign: Double) -> Bool {
            limits.checkPulse(amplitudeVolts: Float(sign * c.amplitudeVolts), widthSeconds: Float(c.widthSeconds)) == nil
        }
        func width(_ w: Double) -> Double {
            min(max(w, Double(limits.minPulseWidthSeconds)), Double(limits.maxPulseWidthSeconds))
        }

        // Non-volatile part.
        var nonVolatile: NonVolatile?
        let weightTiles = instrument.weightTiles
        if !weightTiles.isEmpty, sampleCells > 0 {
            let nv = instrument.device.nonVolatile
            let w0 = width(nv.referenceWidthSeconds)
            let w1 = width(w0 * 4) != w0 ? width(w0 * 4) : width(w0 / 4)
            // Overdrives from 0.4 to at most 1.1 scales at the reference width, and near the
            // threshold (0.1 to 0.4 scales) at a long width, where the response is still
            // measurable and its onset pins each cell's threshold apart from its step fraction
            // (at higher overdrive the two trade off against each other). The overdrive scale is
            // shared by all cells but each cell brings its own threshold and step fraction: with
            // few amplitudes per cell those two absorb the curvature that measures the scale,
            // and its estimate scatters by about 5 % (and the step fractions by 1.5 times that);
            // seven plus four amplitudes bring it to about 2 %.
            // A SET pulse's current is limited by the compliance: above `compliance / gMax` the
            // conductance cannot reach `gMax` and the soft bound would be misread, so SET stops
            // where a cell three spreads above the mean `gMax` would hit it.
            let wLong = [w0 * 10, w0 * 4, w1].first { width($0) == $0 && $0 > w0 } ?? w1
            func conditions(threshold: Double, sign: Double, highest: Double) -> [PulseCondition] {
                let top = min(1.1, highest)
                let low = min(0.4, top / 2)
                let x = (0..<7).map { low + Double($0) * (top - low) / 6 }
                var list = x.map { PulseCondition(amplitudeVolts: threshold + $0 * nv.overdriveScaleVolts, widthSeconds: w0) }
                list += [0.1, 0.2, 0.3, 0.4].map { PulseCondition(amplitudeVolts: threshold + $0 * nv.overdriveScaleVolts, widthSeconds: wLong) }
                return list.filter { allowed($0, sign: sign) }
            }
            let highestG = nv.gMaxSiemens.mean * (1 + 3 * nv.gMaxSiemens.spread)
            let complianceVolts = Double(limits.complianceAmperes) / highestG
            let set = conditions(threshold: nv.setThresholdVolts.mean, sign: 1,
                                 highest: (complianceVolts - nv.setThresholdVolts.mean) / nv.overdriveScaleVolts)
            let reset = conditions(threshold: nv.resetThresholdVolts.mean, sign: -1, highest: 1.1)
            let pairs = min(set.count, reset.count)
            // RESET also at high overdrive (1.4 to 2 scales) with short pulses that keep its
            // steps small: far above threshold a rate's growth with amplitude is set by the
            // overdrive scale alone, whatever the cell's threshold, and that pins the shared
            // scale (SET cannot go there: compliance caps it).
            let wShort = [w0 / 10, w0 / 4].map(width).first { $0 < w0 } ?? w0
            let strongReset = [1.4, 1.7, 2.0].map {
                PulseCondition(amplitudeVolts: nv.resetThresholdVolts.mean + $0 * nv.overdriveScaleVolts, widthSeconds: wShort)
            }.filter { wShort < w0 && allowed($0, sign: -1) }
            guard pairs >= 5 else {
                throw PlanningError(description: "\(instrument.name): only \(pairs) pulse amplitudes between the default thresholds and the limits; calibration needs 5")
            }
            func strength(_ c: PulseCondition, _ threshold: Double) -> Double {
                SwitchingStrength(thresholdVolts: threshold, overdriveScaleVolts: nv.overdriveScaleVolts,
                                  referenceWidthSeconds: nv.referenceWidthSeconds, widthExponent: nv.widthExponent)(
                    amplitudeVolts: c.amplitudeVolts, widthSeconds: c.widthSeconds)
            }
            let slowest = min(nv.setStepFraction.mean * strength(set[0], nv.setThresholdVolts.mean),
                              nv.resetStepFraction.mean * strength(reset[0], nv.resetThresholdVolts.mean))
            // (the near-threshold curves are allowed to move less: a cell that does not move at
            // all there says as much about its threshold)
            // Long enough for the slowest curve to cover 40 % of the way to its bound.
            let length = pulsesPerCurve ?? min(60, max(20, Int((log(0.6) / log(1 - max(slowest, 1e-3))).rounded(.up))))
            // Preparation drives every cell to its bound before a curve; the level it reaches
            // is where the analysis takes the bound from (a curve covers at most about 90 % of
            // the way and cannot pin the bound by extrapolation: a few percent of error in it
            // passes straight into the cell's step fraction). So each polarity's preparation is
            // its strongest amplitude at the longest width the limits allow, repeated until a
            // slow cell (two spreads above the mean threshold, one below the mean step
            // fraction) is within 0.3 % of the range of its bound.
            func strongest(_ list: [PulseCondition], sign: Double, threshold: Double) -> PulseCondition {
                let top = list.max { $0.amplitudeVolts < $1.amplitudeVolts }!
                let longest = [w0 * 10, w0 * 4, w1, w0].map { PulseCondition(amplitudeVolts: top.amplitudeVolts, widthSeconds: width($0)) }
                    .filter { allowed($0, sign: sign) }
                return longest.max { strength($0, threshold) < strength($1, threshold) } ?? top
            }
            let prepareSet = strongest(Array(set[..<pairs]), sign: 1, threshold: nv.setThresholdVolts.mean)
            let prepareReset = strongest(Array(reset[..<pairs]), sign: -1, threshold: nv.resetThresholdVolts.mean)
            func slowRate(_ c: PulseCondition, threshold: DistributedParameter, stepFraction: DistributedParameter) -> Double {
                stepFraction.mean * (1 - stepFraction.spread)
                    * strength(c, threshold.mean * (1 + 2 * threshold.spread))
            }
            let slowestPrepare = min(slowRate(prepareSet, threshold: nv.setThresholdVolts, stepFraction: nv.setStepFraction),
                                     slowRate(prepareReset, threshold: nv.resetThresholdVolts, stepFraction: nv.resetStepFraction))
            let prepare = min(200, max(10, Int((log(0.003) / log(1 - min(max(slowestPrepare, 1e-3), 0.9))).rounded(.up))))
            nonVolatile = NonVolatile(
                cells: Self.spread(sampleCells, over: weightTiles), setConditions: Array(set[..<pairs]),
                resetConditions: Array(reset[..<pairs]) + strongReset, heldOutCondition: 1, pulsesPerCurve: length,
                preparePulses: prepare, prepareSet: prepareSet, prepareReset: prepareReset, noiseReads: noiseReads,
                verifyAverages: min(16, Int(limits.maxReadAverages)),
                readVolts: instrument.defaultReadVolts, scheme: instrument.defaultBiasScheme)
        }

        // STM part: one sweep per population on the first state tile.
        var parts: [ShortTermMemoryPart] = []
        let stateTile = instrument.stateTiles.first
        if let tile = stateTile {
            let count = min(stateNodes ?? tile.cellCount, tile.cellCount)
            for (deviceClass, nodes) in Self.stateNodes(count, on: tile, of: instrument) where !nodes.isEmpty {
                guard let p = instrument.device.shortTermMemory(deviceClass: deviceClass) else { continue }
                let sweep = try Self.stmSweep(for: p, named: deviceClass, tile: tile, nodes: nodes, instrument: instrument,
                                              repetitions: stmRepetitions, readCount: stmReadCount, restReadCount: noiseReads)
                parts.append(ShortTermMemoryPart(deviceClass: deviceClass, sweep: sweep))
            }
        }
        let classCount = stateTile.map { instrument.stmDeviceClasses(tile: $0.index).count } ?? 1
        var periphery: Periphery?
        if let nonVolatile, peripheryProbes != 0 {
            let columns = Int((peripheryTile.flatMap { instrument.tile($0) } ?? instrument.weightTiles.last)?.columns ?? 64)
            periphery = try Self.periphery(instrument: instrument, nonVolatile: nonVolatile, tile: peripheryTile,
                                           probeVectors: peripheryProbes ?? max(64, 65536 / max(columns, 1)))
        }
        self.init(nonVolatile: nonVolatile, shortTermMemory: parts, heldOutRepetition: stmRepetitions >= 3 ? 1 : -1,
                  timeConstantGroups: timeConstantGroups ?? (classCount > 1 ? classCount : 4), periphery: periphery)
    }

    /// The sampled STM nodes of a tile by population: on a tile of one population the nodes
    /// ``spread(_:over:)`` picks; on a tile of device classes an equal share of `count` per
    /// class (at least two), spread over the class's rows.
    static func stateNodes(_ count: Int, on tile: TileInfo, of instrument: Instrument) -> [(String?, [CellIndex])] {
        let classes = instrument.stmDeviceClasses(tile: tile.index)
        guard count > 0 else { return [] }
        guard classes.count > 1 || classes.first! != nil else {
            return [(nil, spread(count, over: [tile])[tile.index] ?? [])]
        }
        let columns = Int(tile.columns)
        return classes.enumerated().map { i, deviceClass in
            let rows = (0..<Int(tile.rows)).filter { instrument.stmDeviceClass(tile: tile.index, row: $0) == deviceClass }
            let available = rows.count * columns
            let share = min(available, max(2, count / classes.count + (i < count % classes.count ? 1 : 0)))
            let step = Double(available) / Double(share)
            var cells: Set<CellIndex> = []
            for k in 0..<share {
                let linear = Int(Double(k) * step + step / 2) % available
                let row = rows[linear / columns]
                // Skew the column by the row so a grid sample does not sit in a few columns.
                let column = (linear % columns + (linear / columns) * 7) % columns
                cells.insert(CellIndex(row: UInt16(row), column: UInt16(column)))
            }
            return (deviceClass, cells.sorted { ($0.row, $0.column) < ($1.row, $1.column) })
        }
    }

    /// The sweep of one STM population, from its default parameters and the limits.
    ///
    /// Pulse conditions sit at multiples of the overdrive scale above the threshold; each is a
    /// burst reaching about half the ceiling, the strongest also a four times longer one. The
    /// read train spans five time constants of a slow node in `readCount` reads, so its
    /// interval follows the population's time constant; bursts are split into groups of nodes
    /// short against the fastest node's decay; a tail train follows the slow component.
    static func stmSweep(for p: ShortTermMemoryCellParameters, named deviceClass: String?, tile: TileInfo, nodes: [CellIndex],
                         instrument: Instrument, repetitions: Int, readCount stmReadCount: Int, restReadCount noiseReads: Int) throws -> STMSweep {
        let limits = instrument.limits
        func allowed(_ c: PulseCondition) -> Bool {
            limits.checkPulse(amplitudeVolts: Float(c.amplitudeVolts), widthSeconds: Float(c.widthSeconds)) == nil
        }
        func width(_ w: Double) -> Double {
            min(max(w, Double(limits.minPulseWidthSeconds)), Double(limits.maxPulseWidthSeconds))
        }
        let population = deviceClass.map { "STM device class \($0)" } ?? "STM nodes"
        let w0 = width(p.referenceWidthSeconds)
        let w1 = width(w0 * 4) != w0 ? width(w0 * 4) : width(w0 / 4)
        let th = p.thresholdVolts.mean, ov = p.overdriveScaleVolts
        var conditions = [0.6, 1.0, 1.4].map { PulseCondition(amplitudeVolts: th + $0 * ov, widthSeconds: w0) }
        conditions.append(PulseCondition(amplitudeVolts: th + 1.0 * ov, widthSeconds: w1))
        // Near the threshold at the long width: the onset separates threshold from increment.
        conditions.append(PulseCondition(amplitudeVolts: th + 0.25 * ov, widthSeconds: w1))
        conditions = conditions.filter(allowed)
        guard conditions.count >= 4 else {
            throw PlanningError(description: "\(instrument.name): fewer than 4 pulse conditions for the \(population) fit the limits")
        }
        // Each condition as a burst long enough to reach about half the ceiling (a single
        // pulse moves the state by a few percent, little more than one converter step); the
        // strongest also as a four times longer burst, near saturation: two depths at one
        // condition are what separate the ceiling from the increment fraction.
        let strength = SwitchingStrength(thresholdVolts: th, overdriveScaleVolts: ov,
                                         referenceWidthSeconds: p.referenceWidthSeconds, widthExponent: p.widthExponent)
        func burst(_ c: PulseCondition, reaching level: Double) -> Int {
            let k = p.incrementFraction.mean * strength(amplitudeVolts: c.amplitudeVolts, widthSeconds: c.widthSeconds)
            return min(100, max(2, Int((log(1 - level) / log(1 - min(max(k, 1e-3), 0.9))).rounded(.up))))
        }
        var points = conditions.map { STMSweep.Point(amplitudeVolts: $0.amplitudeVolts, widthSeconds: $0.widthSeconds, pulseCount: burst($0, reaching: 0.5)) }
        let strongest = conditions.max { strength(amplitudeVolts: $0.amplitudeVolts, widthSeconds: $0.widthSeconds) < strength(amplitudeVolts: $1.amplitudeVolts, widthSeconds: $1.widthSeconds) }!
        points.append(STMSweep.Point(amplitudeVolts: strongest.amplitudeVolts, widthSeconds: strongest.widthSeconds,
                                     pulseCount: 4 * burst(strongest, reaching: 0.5)))
        // Slowest likely node: three spreads above the mean time constant.
        let slowestTau = max(p.tauSeconds.mean * (1 + 3 * p.tauSeconds.spread),
                             p.slowFraction > 0 ? p.slowTauSeconds.mean * (1 + 3 * p.slowTauSeconds.spread) : 0)
        let traceSpan = 5 * p.tauSeconds.mean * (1 + 2 * p.tauSeconds.spread)
        // A burst lasts at most a tenth of the fastest likely node's time constant (two spreads
        // below the mean), so the decay during it stays a small correction the fit models.
        let fastestTau = p.tauSeconds.mean * max(0.2, 1 - 2 * p.tauSeconds.spread)
        // STM nodes are read at the highest read voltage the limits allow: the read current,
        // and so the converter's resolution of the volatile part, scales with it, while the
        // read disturbance of the device model does not depend on it.
        // With a slow component, a tail train follows it over three slow time constants, and
        // the settle only has to finish what the tail left.
        let tailReads = p.slowFraction > 0 ? 20 : 0
        let tailInterval = p.slowFraction > 0 ? 3 * p.slowTauSeconds.mean / Double(tailReads) : 0
        return STMSweep(tile: tile.index, nodes: nodes, points: points,
                        repetitions: repetitions, readCount: min(stmReadCount, Int(limits.maxReadTrainLength)),
                        intervalSeconds: traceSpan / Double(stmReadCount), readVolts: Double(limits.maxReadVolts),
                        settleSeconds: (p.slowFraction > 0 ? 4 : 6) * slowestTau, restReadCount: min(noiseReads, Int(limits.maxReadTrainLength)),
                        scheme: instrument.defaultBiasScheme, tailReadCount: tailReads, tailIntervalSeconds: tailInterval,
                        maxBurstSeconds: fastestTau / 10)
    }

    /// `count` cells spread evenly over tiles: an equal share per tile on a regular grid with
    /// an odd stride, so rows and columns are all represented.
    static func spread(_ count: Int, over tiles: [TileInfo]) -> [UInt8: [CellIndex]] {
        var out: [UInt8: [CellIndex]] = [:]
        for (i, tile) in tiles.enumerated() {
            let share = min(count / tiles.count + (i < count % tiles.count ? 1 : 0), tile.cellCount)
            guard share > 0 else { continue }
            let step = Double(tile.cellCount) / Double(share)
            var cells: [CellIndex] = []
            for k in 0..<share {
                let linear = Int(Double(k) * step + step / 2) % tile.cellCount
                // Skew the column by the row so a grid sample does not sit in a few columns.
                let row = linear / Int(tile.columns)
                let column = (linear % Int(tile.columns) + row * 7) % Int(tile.columns)
                cells.append(CellIndex(row: UInt16(row), column: UInt16(column)))
            }
            out[tile.index] = Array(Set(cells)).sorted { ($0.row, $0.column) < ($1.row, $1.column) }
        }
        return out
    }
}
