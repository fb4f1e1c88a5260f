import XbarBoard
import XbarDevice
import XbarWire

/// What the non-volatile part of a calibration measured on one cell.
public struct NonVolatileCellMeasurement: Hashable, Sendable, Codable {
    public var tile: UInt8
    public var cell: CellIndex
    /// SET curves in the plan's condition order.
    public var setCurves: [PulseResponseCurve]
    /// RESET curves in the plan's condition order.
    public var resetCurves: [PulseResponseCurve]
    /// Repeated reads near `gMax`, siemens.
    public var noiseReads: [Double]
}

extension CalibrationPlan.NonVolatile {
    /// Measures every sampled cell: for each condition, prepare at the lower bound, a SET
    /// curve, prepare at the upper bound, a RESET curve (one pulse per cell per round trip,
    /// verified by the batch's own read); then repeated reads at the upper bound.
    ///
    /// - Throws: ``BoardError`` from the board (limits were checked when planning).
    public func measure(on board: any Board, maxPayloadBytes: Int,
                        progress: (Int, Int) -> Void = { _, _ in }) throws -> [NonVolatileCellMeasurement] {
        var out: [NonVolatileCellMeasurement] = []
        let tiles = cells.keys.sorted()
        let total = tiles.count * max(setConditions.count, resetConditions.count)
        var done = 0
        for tile in tiles {
            let list = cells[tile]!
            let set = CellSet.list(tile: tile, list)
            var setCurves = [[PulseResponseCurve]](repeating: [], count: list.count)
            var resetCurves = setCurves
            // 16 bytes bound one encoded cell-pulse.
            let perBatch = max(1, (maxPayloadBytes - 64) / 16)

            func prepare(_ c: PulseCondition, sign: Double) throws -> [Double] {
                var pulses: [CellPulse] = []
                for _ in 0..<preparePulses {
                    for cell in list { pulses.append(CellPulse(cell: cell, amplitudeVolts: Float(sign * c.amplitudeVolts), widthSeconds: Float(c.widthSeconds))) }
                }
                for start in stride(from: 0, to: pulses.count, by: perBatch) {
                    _ = try board.pulseBatch(PulseBatch(tile: tile, scheme: scheme, verify: nil, pulses: Array(pulses[start..<min(start + perBatch, pulses.count)])))
                }
                return try board.readConductances(set, readVolts: readVolts, averages: verifyAverages)
            }
            func curve(_ c: PulseCondition, sign: Double, from start: [Double]) throws -> [[Double]] {
                var g = start.map { [$0] }
                for _ in 0..<pulsesPerCurve {
                    let pulses = list.map { CellPulse(cell: $0, amplitudeVolts: Float(sign * c.amplitudeVolts), widthSeconds: Float(c.widthSeconds)) }
                    var verified: [Float] = []
                    for s in stride(from: 0, to: pulses.count, by: perBatch) {
                        let receipt = try board.pulseBatch(PulseBatch(tile: tile, scheme: scheme, verify: VerifyRead(readVolts: Float(readVolts), averages: UInt16(verifyAverages)),
                                                                      pulses: Array(pulses[s..<min(s + perBatch, pulses.count)])))
                        verified += receipt.verifyAmperes
                    }
                    for k in list.indices { g[k].append(Double(verified[k]) / readVolts) }
                }
                return g
            }

            for index in 0..<max(setConditions.count, resetConditions.count) {
                if index < setConditions.count {
                    let setCondition = setConditions[index]
                    let low = try prepare(prepareReset, sign: -1)
                    for (k, g) in try curve(setCondition, sign: 1, from: low).enumerated() {
                        setCurves[k].append(PulseResponseCurve(polarity: .set, amplitudeVolts: setCondition.amplitudeVolts,
                                                               widthSeconds: setCondition.widthSeconds, conductancesSiemens: g))
                    }
                }
                if index < resetConditions.count {
                    let resetCondition = resetConditions[index]
                    let high = try prepare(prepareSet, sign: 1)
                    for (k, g) in try curve(resetCondition, sign: -1, from: high).enumerated() {
                        resetCurves[k].append(PulseResponseCurve(polarity: .reset, amplitudeVolts: resetCondition.amplitudeVolts,
                                                                 widthSeconds: resetCondition.widthSeconds, conductancesSiemens: g))
                    }
                }
                done += 1
                progress(done, total)
            }
            _ = try prepare(prepareSet, sign: 1)
            var noise = [[Double]](repeating: [], count: list.count)
            for _ in 0..<noiseReads {
                for (k, g) in try board.readConductances(set, readVolts: readVolts).enumerated() { noise[k].append(g) }
            }
            for (k, cell) in list.enumerated() {
                out.append(NonVolatileCellMeasurement(tile: tile, cell: cell, setCurves: setCurves[k],
                                                      resetCurves: resetCurves[k], noiseReads: noise[k]))
            }
        }
        return out
    }
}
