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
        let groups = try verifyGroups(b)
        let tile = try tile(b.tile)
        let info = tile.info
        for (k, p) in b.pulses.enumerated() { try check(p.cell, in: info, "pulse \(k) of the batch") }
        if b.verify != nil {
            let flagBytes = groups == nil ? 0 : (b.pulses.count + 7) / 8
            try checkReplySize(18 + 4 * b.pulses.count + flagBytes, "PULSE_BATCH verify of \(b.pulses.count) cells")
        }
        try pass(limits)
        clock.advance(by: timing.requestOverheadSeconds.wholeNanoseconds)
        let hits = applyBatchPulses(tile, b.pulses, scheme: b.scheme)
        pulsesApplied += UInt64(b.pulses.count)
        complianceHits += UInt64(hits)
        guard let verify = b.verify else {
            return .pulsed(PulseReceipt(boardTimeNanoseconds: clock.boardNanoseconds, appliedCount: UInt32(b.pulses.count),
                                        complianceHits: UInt32(hits), verifyAmperes: []))
        }
        var verified: [Float] = []
        verified.reserveCapacity(b.pulses.count)
        refresh(tile)
        let volts = Double(verify.readVolts)
        guard let groups else {
            for p in b.pulses { verified.append(readCell(tile, p.cell, volts: volts, averages: Int(verify.averages))) }
            return .pulsed(PulseReceipt(boardTimeNanoseconds: clock.boardNanoseconds, appliedCount: UInt32(b.pulses.count),
                                        complianceHits: UInt32(hits), verifyAmperes: verified))
        }
        // In ranges, each pulse's cell converts as a READ in its group's range would.
        var saturated: [Bool] = []
        saturated.reserveCapacity(b.pulses.count)
        var k = 0
        for (group, range) in groups {
            for p in b.pulses[k..<k + Int(group.pulseCount)] {
                let (value, flagged) = readCell(tile, p.cell, volts: volts, averages: Int(group.averages), in: range)
                verified.append(value)
                saturated.append(flagged)
            }
            k += Int(group.pulseCount)
        }
        return .pulsed(PulseReceipt(boardTimeNanoseconds: clock.boardNanoseconds, appliedCount: UInt32(b.pulses.count),
                                    complianceHits: UInt32(hits), verifyAmperes: verified, verifySaturated: saturated))
    }

    /// A batch's verify groups with their ranges (nil range: the ADC's read full scale), or nil
    /// for a batch verified without ranges (or not at all). Refused before anything is done:
    /// groups to a board without ranges (`unsupported`), groups that do not cover the batch or
    /// a range the board lacks (`badArgument`).
    private func verifyGroups(_ b: PulseBatch) throws -> [(VerifyGroup, SimulatedSenseRange?)]? {
        guard let groups = b.verify?.groups else { return nil }
        guard !senseRanges.isEmpty else {
            throw BoardError.fault(BoardFault(code: .unsupported, message: "PULSE_BATCH verify groups need sense ranges; this board has none (capability bit 12)"))
        }
        let covered = groups.reduce(0) { $0 + Int($1.pulseCount) }
        guard covered == b.pulses.count, groups.allSatisfy({ $0.pulseCount > 0 }) else {
            throw badArgument("PULSE_BATCH verify groups hold \(covered) pulses, the batch has \(b.pulses.count)")
        }
        var out: [(VerifyGroup, SimulatedSenseRange?)] = []
        for (i, g) in groups.enumerated() {
            out.append((g, try senseRange(g.senseRange, "PULSE_BATCH verify group \(i)")))
        }
        return out
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
