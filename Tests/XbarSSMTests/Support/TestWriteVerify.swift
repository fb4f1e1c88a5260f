import XbarBoard
import XbarWire
import XbarSSM

/// TEST SUPPORT ONLY: a short write-verify loop so that inference tests can program the
/// simulated board before the lab's write-verify job is available to this module. It is not
/// the lab's programming algorithm and is not used outside these tests.
///
/// Each round pulses every cell outside tolerance once, with an amplitude chosen from the
/// instrument's default switching law for a damped fraction of the remaining error, and
/// verifies in the same batch with averaged reads.
struct TestWriteVerify: WeightProgrammer {
    var toleranceSiemens = 1.0e-6
    var readVolts = 0.45
    var averages: UInt16 = 16
    var rounds = 40
    /// Instrument defaults of the switching law (usb-4x64).
    var gMax = 100e-6, gMin = 1.5e-6, setThreshold = 1.0, resetThreshold = 1.2
    var setStep = 0.04, resetStep = 0.05, overdriveScale = 0.5

    func program(tile: TileInfo, targetSiemens: [Double], on board: any Board) throws -> TileProgrammingOutcome {
        let columns = Int(tile.columns)
        var g = try board.readConductances(.tile(tile.index), readVolts: readVolts, averages: Int(averages))
        var pulses = 0
        for _ in 0..<rounds {
            var list: [CellPulse] = []
            for i in 0..<g.count where abs(g[i] - targetSiemens[i]) > toleranceSiemens {
                let error = targetSiemens[i] - g[i]
                let up = error > 0
                // Fraction of the distance to the bound wanted, damped against overshoot.
                let distance = up ? max(gMax - g[i], 1e-9) : max(g[i] - gMin, 1e-9)
                let s = min(0.7 * abs(error) / (distance * (up ? setStep : resetStep)), 20)
                let overdrive = overdriveScale * log(1 + s * (M_E - 1))
                let volts = min((up ? setThreshold : resetThreshold) + max(overdrive, 0.02), up ? 2.8 : 3.0)
                list.append(CellPulse(cell: CellIndex(row: UInt16(i / columns), column: UInt16(i % columns)),
                                      amplitudeVolts: Float(up ? volts : -volts), widthSeconds: 1e-6))
            }
            if list.isEmpty { break }
            let receipt = try board.pulseBatch(PulseBatch(tile: tile.index, scheme: .grounded,
                                                          verify: VerifyRead(readVolts: Float(readVolts), averages: averages), pulses: list))
            pulses += list.count
            for (p, a) in zip(list, receipt.verifyAmperes) {
                g[Int(p.cell.row) * columns + Int(p.cell.column)] = Double(a) / readVolts
            }
        }
        g = try board.readConductances(.tile(tile.index), readVolts: readVolts, averages: Int(averages))
        let ok = zip(g, targetSiemens).filter { abs($0 - $1) <= 2 * toleranceSiemens }.count
        return TileProgrammingOutcome(tile: tile.index, cells: g.count, cellsInTolerance: ok, pulses: pulses, measuredSiemens: g)
    }
}

#if canImport(Glibc)
import Glibc
#endif
