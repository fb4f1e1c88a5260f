import XbarDevice
import XbarInstrument
import XbarWire

extension SimulatedBoard {
    func read(_ r: ReadCells, limits: BoardFault?) throws -> Reply {
        let tile = try tile(r.cells.tile)
        let selected = try cells(r.cells, of: tile)
        let flagBytes = r.senseRange == nil ? 0 : (selected.count + 7) / 8
        try checkReplySize(10 + 4 * selected.count + flagBytes, "READ of \(selected.count) cells")
        let range = try senseRange(r.senseRange, "READ")
        try pass(limits)
        clock.advance(by: timing.requestOverheadSeconds.wholeNanoseconds)
        refresh(tile)
        var amperes: [Float] = []
        amperes.reserveCapacity(selected.count)
        guard let range else {
            for cell in selected {
                amperes.append(readCell(tile, cell, volts: Double(r.readVolts), averages: Int(r.averages)))
            }
            return .currents(Currents(boardTimeNanoseconds: clock.boardNanoseconds, amperes: amperes))
        }
        // In a range, a cell is flagged when any of its averaged conversions saturated.
        var saturated: [Bool] = []
        saturated.reserveCapacity(selected.count)
        for cell in selected {
            let (value, flagged) = readCell(tile, cell, volts: Double(r.readVolts), averages: Int(r.averages), in: range)
            amperes.append(value)
            saturated.append(flagged)
        }
        return .currents(Currents(boardTimeNanoseconds: clock.boardNanoseconds, amperes: amperes, saturated: saturated))
    }

    func readTrain(_ t: ReadTrain, limits: BoardFault?) throws -> Reply {
        let tile = try tile(t.cells.tile)
        let selected = try cells(t.cells, of: tile)
        let count = Int(t.readCount)
        let values = count * selected.count
        guard values <= Int(UInt16.max) else {
            throw badArgument("READ_TRAIN of \(count) reads of \(selected.count) cells gives \(values) currents, more than one reply carries (65535)")
        }
        try checkReplySize(4 + 8 * count + 4 * values, "READ_TRAIN of \(count) reads of \(selected.count) cells")
        try pass(limits)
        clock.advance(by: timing.requestOverheadSeconds.wholeNanoseconds)
        if let p = t.pulse {
            // The train's pulse drives every selected cell at once.
            let w = Double(p.widthSeconds)
            clock.advance(by: w.wholeNanoseconds)
            var hits = 0
            for cell in selected {
                hits += applyPulse(tile, cell, volts: Double(p.amplitudeVolts), width: w, scheme: instrument.defaultBiasScheme)
            }
            pulsesApplied += UInt64(selected.count)
            complianceHits += UInt64(hits)
        }
        let start = clock.nanoseconds
        let interval = Double(t.intervalSeconds).wholeNanoseconds
        let volts = Double(t.readVolts)
        var stamps: [UInt64] = []
        stamps.reserveCapacity(count)
        var amperes: [Float] = []
        amperes.reserveCapacity(count * selected.count)
        for k in 1...count {
            if stopped(before: start + UInt64(k) * interval) {
                throw BoardError.fault(BoardFault(code: .aborted,
                                                  message: "READ_TRAIN stopped by ABORT after \(k - 1) of \(count) reads"))
            }
            clock.advance(to: start + UInt64(k) * interval)
            stamps.append(clock.boardNanoseconds)
            refresh(tile)
            // All cells of one read are sensed at the same instant.
            for cell in selected { amperes.append(Float(sense(tile, cell, volts: volts))) }
            clock.advance(by: timing.readSeconds.wholeNanoseconds)
        }
        return .readTrain(ReadTrainData(timestampsNanoseconds: stamps, amperes: amperes))
    }

    /// Whether a stop came before the read due at physics time `due` (ns): under real-time
    /// pacing the wait for that read is spent listening for one.
    private func stopped(before due: UInt64) -> Bool {
        guard let stopCheck else { return false }
        while true {
            let wall = clock.wallNanoseconds()
            let wait = pacing == .realTime && due > wall ? Double(due - wall) * 1e-9 : 0
            if stopCheck(wait) { return true }
            if wait == 0 || clock.wallNanoseconds() >= due { return false }
        }
    }

    /// Brings a non-volatile tile's relaxation up to the current time.
    func refresh(_ tile: SimulatedTile) {
        if case .nonVolatile(_, let t) = tile { t.refresh(to: clock.seconds) }
    }

    /// Reads one cell `averages` times, one after another, and returns the mean of the
    /// converted currents (amperes). Non-volatile tiles must have been refreshed.
    func readCell(_ tile: SimulatedTile, _ cell: CellIndex, volts: Double, averages: Int) -> Float {
        let step = timing.readSeconds.wholeNanoseconds
        var sum = 0.0
        for _ in 0..<averages {
            sum += sense(tile, cell, volts: volts)
            clock.advance(by: step)
        }
        return Float(sum / Double(averages))
    }

    /// Reads one cell `averages` times in `range` (nil: at the ADC's read full scale) and returns
    /// the mean of the converted currents (amperes) and whether any conversion saturated.
    /// Non-volatile tiles must have been refreshed.
    func readCell(_ tile: SimulatedTile, _ cell: CellIndex, volts: Double, averages: Int,
                  in range: SimulatedSenseRange?) -> (amperes: Float, saturated: Bool) {
        let step = timing.readSeconds.wholeNanoseconds
        var sum = 0.0, flagged = false
        for _ in 0..<averages {
            let (current, nonlinear) = senseCurrent(tile, cell, volts: volts)
            let (value, over) = range.map { convertRead(current, in: $0, nonlinear: nonlinear) }
                ?? convertRead(current, nonlinear: nonlinear)
            sum += value
            flagged = flagged || over
            clock.advance(by: step)
        }
        return (Float(sum / Double(averages)), flagged)
    }

    /// One converted read of one cell at the current time, amperes.
    ///
    /// A non-volatile cell's read passes the board's periphery: the resistance of its two lines
    /// in series with it; on a passive tile under a V/2 or V/3 scheme, the current of the
    /// column's half-selected cells (at V/2 or V/3, scaled by their I-V non-linearity) adds to
    /// it; then the read converter's non-linearity.
    ///
    /// With `converter` false the read ADC is left out: a SWEEP's auto-ranging sense, whose
    /// resolution is far finer than the read noise.
    func sense(_ tile: SimulatedTile, _ cell: CellIndex, volts: Double, converter: Bool = true) -> Double {
        let (current, nonlinear) = senseCurrent(tile, cell, volts: volts)
        guard converter else { return current }
        return convertRead(current, nonlinear: nonlinear).value
    }

    /// One READ conversion of `current` at the ADC's read full scale: the converter's
    /// non-linearity (when the board has one), then rounding; whether it saturated.
    func convertRead(_ current: Double, nonlinear: Bool) -> (value: Double, saturated: Bool) {
        let result = nonlinear ? readConverter.convert(current, nonlinearity: periphery.readNonlinearity)
            : readConverter.convert(current)
        if result.saturated { adcSaturations += 1 }
        return result
    }

    /// The analog current of one read of one cell at the current time, amperes, and whether
    /// the board's read converter has a non-linearity to apply to it.
    func senseCurrent(_ tile: SimulatedTile, _ cell: CellIndex, volts: Double) -> (amperes: Double, nonlinear: Bool) {
        var current: Double
        var nonlinear = false
        switch tile {
        case .nonVolatile(let info, let t):
            let columns = Int(info.columns), row = Int(cell.row), column = Int(cell.column)
            let g = t.conductances[row * columns + column]
            current = g * volts * (1 + t.parameters.readNoiseSpread * readNoise.nextNormal())
            let p = periphery.parameters
            if p.hasLineResistance {
                current /= 1 + g * periphery.lines.seriesOhms(row: row, column: column, rows: Int(info.rows))
            }
            if info.kind == .nonVolatilePassive, p.halfSelectCurrentFraction > 0 {
                let ratio = p.sneakRatio(under: instrument.defaultBiasScheme)
                if ratio > 0 {
                    var others = 0.0
                    for r in 0..<Int(info.rows) where r != row { others += t.conductances[r * columns + column] }
                    current += ratio * volts * others
                }
            }
            nonlinear = p.hasConverterNonlinearity
        case .shortTermMemory(let info, let t):
            current = t.read(Int(cell.row) * Int(info.columns) + Int(cell.column), readVolts: volts,
                             at: clock.seconds, generator: &readNoise)
        }
        return (current, nonlinear)
    }
}
