import XbarDevice
import XbarWire

extension SimulatedBoard {
    /// SWEEP: each selected cell in turn walks the staircase; every step is a pulse of the
    /// step's voltage and width under the sweep's compliance (so cells switch, and pristine
    /// cells form, inside the sweep), the current at the end of the step by the cells' I–V law,
    /// then a read. A cell stops early once its read reaches `stopAmperes`.
    func sweep(_ s: VoltageSweep, limits: BoardFault?) throws -> Reply {
        let tile = try tile(s.cells.tile)
        guard case .nonVolatile(_, let array) = tile else {
            throw badArgument("SWEEP needs a non-volatile tile; tile \(s.cells.tile) holds STM nodes")
        }
        let selected = try cells(s.cells, of: tile)
        try pass(limits)
        let volts = s.staircaseVolts
        try checkReplySize(4 + selected.count * (3 + VoltageSweep.pointBytes * volts.count),
                           "SWEEP of \(volts.count) steps on \(selected.count) cells")
        clock.advance(by: timing.requestOverheadSeconds.wholeNanoseconds)
        let compliance = Double(s.complianceAmperes), width = Double(s.stepWidthSeconds)
        let readVolts = Double(s.readVolts), averages = Int(s.readAverages)
        let stop = s.stopAmperes > 0 ? Double(s.stopAmperes) : Double.infinity
        let scale = array.parameters.conductionScaleVolts
        let readNoiseSpread = array.parameters.readNoiseSpread
        let columns = Int(tile.info.columns)
        var out: [SweptCell] = []
        out.reserveCapacity(selected.count)
        var steps = 0, hits = 0
        for cell in selected {
            let index = Int(cell.row) * columns + Int(cell.column)
            var points: [SweepPoint] = []
            points.reserveCapacity(volts.count)
            var stopped = false
            for v in volts {
                let stepVolts = Double(v)
                clock.advance(by: width.wholeNanoseconds)
                hits += applyPulse(tile, cell, volts: stepVolts, width: width, scheme: instrument.defaultBiasScheme,
                                   complianceAmperes: compliance)
                steps += 1
                let g = array.conductance(index, at: clock.seconds)
                var amperes = ConductionLaw.amperes(siemens: g, volts: stepVolts, scaleVolts: scale)
                amperes *= 1 + readNoiseSpread * readNoise.nextNormal()
                amperes = min(max(amperes, -compliance), compliance)
                let stamp = clock.boardNanoseconds
                var read = 0.0
                for _ in 0..<averages {
                    read += sense(tile, cell, volts: readVolts, converter: false)
                    clock.advance(by: timing.readSeconds.wholeNanoseconds)
                }
                read /= Double(averages)
                points.append(SweepPoint(boardTimeNanoseconds: stamp, volts: v, amperes: Float(amperes), readAmperes: Float(read)))
                if read >= stop {
                    stopped = true
                    break
                }
            }
            out.append(SweptCell(stopped: stopped, points: points))
        }
        pulsesApplied += UInt64(steps)
        complianceHits += UInt64(hits)
        return .sweep(SweepData(cells: out))
    }
}
