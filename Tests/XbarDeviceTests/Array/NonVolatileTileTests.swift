import Foundation
import Testing
import XbarDevice

@Suite("Non-volatile tiles: device-to-device draws, stuck cells, relaxation")
struct NonVolatileTileTests {
    @Test("over 4096 cells the sample mean and relative spread of Gmax match the population's 100 uS and 10 %")
    func gMaxStatistics() {
        let tile = TestParameters.tile(seed: 5)
        let g = tile.draws.map(\.gMaxSiemens)
        let n = Double(g.count)
        let mean = g.reduce(0, +) / n
        let sd = (g.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / (n - 1)).squareRoot()
        // Mean: SE = 10 % / sqrt(4096) = 0.16 %, tolerance 5 SE = 0.8 %. Relative spread: a
        // lognormal with 10 % spread has kurtosis 3.16, so the sample sd has relative SE
        // sqrt(2.16 / (4 * 4096)) = 1.15 %; tolerance 5 SE = 5.8 %.
        #expect(abs(mean / 100e-6 - 1) < 0.008)
        #expect(abs(sd / mean / 0.1 - 1) < 0.058)
    }

    @Test("stuck-at-Gmin and stuck-at-Gmax rates match 1 % and 2 % within binomial tolerance, and stuck cells sit at their bound")
    func stuckRates() {
        let tile = TestParameters.tile(seed: 6)
        let atMin = tile.draws.filter { $0.stuck == .atMin }.count
        let atMax = tile.draws.filter { $0.stuck == .atMax }.count
        // Binomial on 4096 cells: expected 41 and 82, sd 6.4 and 9.0; tolerance 4 sd.
        #expect(abs(Double(atMin) - 40.96) < 4 * 6.37)
        #expect(abs(Double(atMax) - 81.92) < 4 * 8.96)
        for (i, d) in tile.draws.enumerated() where d.stuck != .none {
            #expect(tile.conductances[i] == d.stuckConductance)
        }
    }

    @Test("a cell's draws depend only on (seed, tile, row, column), not on how or when the tile was built")
    func drawsAreAddressed() {
        let tile = TestParameters.tile(seed: 9)
        let key = CellStreams.key(seed: 9, tile: 0, row: 17, column: 42)
        #expect(tile.draws[17 * 64 + 42] == NonVolatileCellDraw(drawingFrom: TestParameters.nonVolatile, key: key))
        #expect(TestParameters.tile(seed: 10).draws != tile.draws)
    }

    @Test("relaxation: nothing in the first second, then a drift whose spread after a day is 0.5 % * sqrt(4.9 decades) of the range")
    func relaxationSpread() {
        let tile = TestParameters.tile(seed: 11)
        let mid = tile.draws.map { ($0.gMinSiemens + $0.gMaxSiemens) / 2 }
        for i in 0..<4096 { tile.setConductance(i, siemens: mid[i], at: 0) }
        tile.refresh(to: 0.99)
        for i in 0..<4096 where tile.draws[i].stuck == .none { #expect(tile.conductances[i] == mid[i]) }
        tile.refresh(to: 86_400)
        var drift: [Double] = []
        for (i, d) in tile.draws.enumerated() where d.stuck == .none {
            drift.append((tile.conductances[i] - mid[i]) / (d.gMaxSiemens - d.gMinSiemens))
        }
        let n = Double(drift.count)
        let mean = drift.reduce(0, +) / n
        let sd = (drift.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / (n - 1)).squareRoot()
        // A day is 4.94 decades: 49 steps of a tenth of a decade, variance 4.9 * 0.005^2.
        let expected = 0.005 * 4.9.squareRoot()
        // About 3970 free cells: SE of the sd 1/sqrt(2n) = 1.1 %, tolerance 5 SE; the mean is
        // 0 within 5 * sd / sqrt(n).
        #expect(abs(sd / expected - 1) < 0.056)
        #expect(abs(mean) < 5 * expected / n.squareRoot())
    }

    @Test("the relaxation path does not depend on when or how often the cells are looked at")
    func relaxationIsPathIndependent() {
        let watched = TestParameters.tile(seed: 12), unwatched = TestParameters.tile(seed: 12)
        for tile in [watched, unwatched] {
            for i in 0..<4096 { tile.setConductance(i, siemens: 40e-6, at: 0) }
        }
        var t = 0.5
        while t < 1e6 {
            watched.refresh(to: t)
            _ = watched.conductance(7, at: t * 1.1)
            t *= 1.37
        }
        watched.refresh(to: 1e6)
        unwatched.refresh(to: 1e6)
        #expect(watched.conductances == unwatched.conductances)
    }

    @Test("column currents are the matrix product of the conductances and the row voltages")
    func columnCurrents() {
        let tile = TestParameters.tile(seed: 13)
        for i in 0..<4096 { tile.setConductance(i, siemens: Double(i % 97) * 1e-6, at: 0) }
        let v = (0..<64).map { Double($0 % 5) * 0.05 - 0.1 }
        var currents = [Double](repeating: 0, count: 64), squares = [Double](repeating: 0, count: 64)
        v.withUnsafeBufferPointer { vp in
            currents.withUnsafeMutableBufferPointer { c in
                squares.withUnsafeMutableBufferPointer { s in tile.accumulateColumnCurrents(voltages: vp, currents: c, squares: s) }
            }
        }
        for j in 0..<64 {
            let terms = (0..<64).map { tile.conductances[$0 * 64 + j] * v[$0] }
            // Same sums in another order: equal to rounding (1e-12 relative of the magnitude).
            let scale = terms.map(abs).reduce(0, +)
            #expect(abs(currents[j] - terms.reduce(0, +)) <= 1e-12 * scale)
            #expect(abs(squares[j] - terms.map { $0 * $0 }.reduce(0, +)) <= 1e-12 * scale * scale)
        }
    }
}
