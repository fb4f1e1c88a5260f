import XbarDevice
import XbarWire

extension SimulatedBoard {
    func pulse(_ p: PulseCells, limits: BoardFault?) throws -> Reply {
        let tile = try tile(p.cells.tile)
        let selected = try cells(p.cells, of: tile)
        try pass(limits)
        clock.advance(by: timing.requestOverheadSeconds.wholeNanoseconds)
        let v = Double(p.amplitudeVolts), w = Double(p.widthSeconds)
        let width = w.wholeNanoseconds, gap = timing.pulseGapSeconds.wholeNanoseconds
        var hits = 0
        for cell in selected {
            clock.advance(by: width)
            hits += applyPulse(tile, cell, volts: v, width: w, scheme: p.scheme)
            clock.advance(by: gap)
        }
        pulsesApplied += UInt64(selected.count)
        complianceHits += UInt64(hits)
        return .pulsed(PulseReceipt(boardTimeNanoseconds: clock.boardNanoseconds, appliedCount: UInt32(selected.count),
                                    complianceHits: UInt32(hits), verifyAmperes: []))
    }

    func pulseBatch(_ b: PulseBatch, limits: BoardFault?) throws -> Reply {
        let tile = try tile(b.tile)
        let info = tile.info
        for (k, p) in b.pulses.enumerated() { try check(p.cell, in: info, "pulse \(k) of the batch") }
        if b.verify != nil {
            try checkReplySize(18 + 4 * b.pulses.count, "PULSE_BATCH verify of \(b.pulses.count) cells")
        }
        try pass(limits)
        clock.advance(by: timing.requestOverheadSeconds.wholeNanoseconds)
        let hits = applyBatchPulses(tile, b.pulses, scheme: b.scheme)
        pulsesApplied += UInt64(b.pulses.count)
        complianceHits += UInt64(hits)
        var verified: [Float] = []
        if let verify = b.verify {
            verified.reserveCapacity(b.pulses.count)
            refresh(tile)
            for p in b.pulses {
                verified.append(readCell(tile, p.cell, volts: Double(verify.readVolts), averages: Int(verify.averages)))
            }
        }
        return .pulsed(PulseReceipt(boardTimeNanoseconds: clock.boardNanoseconds, appliedCount: UInt32(b.pulses.count),
                                    complianceHits: UInt32(hits), verifyAmperes: verified))
    }

    /// Applies one pulse to one cell at the current board time (the end of the pulse);
    /// returns how many cell-pulses compliance limited (the cell and, on passive tiles,
    /// the cells its bias scheme disturbed). `complianceAmperes` defaults to the board's limit.
    func applyPulse(_ tile: SimulatedTile, _ cell: CellIndex, volts: Double, width: Double, scheme: BiasScheme,
                    complianceAmperes: Double? = nil) -> Int {
        let compliance = complianceAmperes ?? Double(instrument.limits.complianceAmperes)
        switch tile {
        case .nonVolatile(_, let t):
            return t.pulse(row: Int(cell.row), column: Int(cell.column), amplitudeVolts: volts, widthSeconds: width,
                           at: clock.seconds, halfSelectFraction: scheme.halfSelectFraction,
                           unselectedFraction: scheme == .thirdVoltage ? -1.0 / 3.0 : 0,
                           complianceAmperes: compliance, generator: &pulseNoise)
        case .shortTermMemory(let info, let t):
            let index = Int(cell.row) * Int(info.columns) + Int(cell.column)
            return t.pulse(index, amplitudeVolts: volts, widthSeconds: width, at: clock.seconds,
                           complianceAmperes: compliance, generator: &pulseNoise) ? 1 : 0
        }
    }
}
