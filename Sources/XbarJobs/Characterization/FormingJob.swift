import XbarBoard
import XbarInstrument
import XbarWire

/// Forms cells of one tile: ramps them with board-timed SWEEPs in forming mode, as many cells
/// per request as the board's reply carries, then checks with one RESET pulse which of the
/// formed cells reset (formed) and which stay high (over-formed).
public struct FormingJob {
    public let board: any Board
    public let instrument: Instrument
    public let settings: FormingSettings

    public init(board: any Board, instrument: Instrument, settings: FormingSettings) {
        self.board = board
        self.instrument = instrument
        self.settings = settings
    }

    /// The forming SWEEP of a batch of cells.
    public func sweep(tile: UInt8, cells: [CellIndex]) -> VoltageSweep {
        VoltageSweep(mode: .forming, stepWidthSeconds: Float(settings.stepWidthSeconds), stepVolts: Float(settings.stepVolts),
                     complianceAmperes: Float(settings.complianceAmperes), readVolts: Float(settings.readVolts),
                     stopAmperes: Float(settings.formedSiemens * settings.readVolts),
                     verticesVolts: [Float(settings.maxVolts)], cells: .list(tile: tile, cells))
    }

    /// Cells per request: as many as the worst case (every cell ramping to the top) fits in
    /// the board's largest payload.
    public func cellsPerRequest(maxPayloadBytes: Int) -> Int {
        let steps = sweep(tile: 0, cells: []).stepCount ?? 1
        return max(1, (maxPayloadBytes - 16) / (3 + VoltageSweep.pointBytes * steps))
    }

    /// The strongest RESET pulse the limits allow at the board's compliance: the RESET limit,
    /// as long as the energy limit lets it be (at most 10 us).
    public var resetCheckPulse: (volts: Double, widthSeconds: Double) {
        let l = instrument.limits
        let volts = Double(l.maxResetVolts)
        let byEnergy = Double(l.maxPulseEnergyJoules) / (volts * Double(l.complianceAmperes)) * 0.9
        let width = min(Double(l.maxPulseWidthSeconds), byEnergy, 10e-6)
        return (-volts, max(width, Double(l.minPulseWidthSeconds)))
    }

    /// Forms `cells` of `tile`, batch after batch; `progress` hears each batch's results.
    ///
    /// - Throws: ``BoardError`` from the board (limits, a lost board); results of finished
    ///   batches have gone to `progress` already.
    public func run(tile: UInt8, cells: [CellIndex], maxPayloadBytes: Int,
                    progress: ([FormingResult]) throws -> Void) throws {
        let perRequest = cellsPerRequest(maxPayloadBytes: maxPayloadBytes)
        var start = 0
        while start < cells.count {
            let batch = Array(cells[start..<min(start + perRequest, cells.count)])
            start += batch.count
            let data = try board.sweep(sweep(tile: tile, cells: batch))
            guard data.cells.count == batch.count else {
                throw BoardError.unexpectedReply(operation: "SWEEP", reply: "SWEEP_DATA of \(data.cells.count) cells for \(batch.count)")
            }
            let reached = batch.indices.filter { data.cells[$0].stopped }
            var afterReset = [Double](repeating: .nan, count: batch.count)
            if !reached.isEmpty {
                let set = CellSet.list(tile: tile, reached.map { batch[$0] })
                let pulse = resetCheckPulse
                try board.pulse(set, amplitudeVolts: pulse.volts, widthSeconds: pulse.widthSeconds, scheme: instrument.defaultBiasScheme)
                let siemens = try board.readConductances(set, readVolts: settings.readVolts)
                for (k, i) in reached.enumerated() { afterReset[i] = siemens[k] }
            }
            var results: [FormingResult] = []
            for (i, cell) in batch.enumerated() {
                let curve = data.cells[i]
                let last = curve.points.last.map { Double($0.readAmperes) / settings.readVolts } ?? 0
                let outcome: FormingOutcome
                if !curve.stopped {
                    outcome = .failed
                } else {
                    outcome = afterReset[i] < settings.formedSiemens ? .formed : .overFormed
                }
                results.append(FormingResult(tile: tile, cell: cell, outcome: outcome,
                                             formingVolts: curve.stopped ? curve.points.last.map { Double($0.volts) } : nil,
                                             formedSiemens: last, afterResetSiemens: curve.stopped ? afterReset[i] : last,
                                             curve: curve))
            }
            try progress(results)
        }
    }
}
