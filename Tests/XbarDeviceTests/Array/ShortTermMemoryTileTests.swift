import Foundation
import Testing
import XbarDevice

@Suite("STM tiles with a population per row")
struct ShortTermMemoryTileTests {
    static func key(_ r: Int, _ c: Int) -> UInt64 { CellStreams.key(seed: 9, tile: 4, row: r, column: c) }

    @Test("a tile of one population draws every cell exactly as a tile whose rows all name that population")
    func onePopulationUnchanged() {
        let p = TestParameters.shortTermMemory
        let single = ShortTermMemoryTile(rows: 4, columns: 64, parameters: p, cellKey: Self.key)
        let perRow = ShortTermMemoryTile(columns: 64, rowParameters: [p, p, p, p], cellKey: Self.key)
        #expect(single.cells.map(\.drawn) == perRow.cells.map(\.drawn))
        #expect(single.rows == 4)
    }

    @Test("each row draws from its own population: row means of tau within 4 sigma of the sampling error of 64 cells")
    func rowsDrawFromTheirPopulation() {
        let taus = [3e-3, 10e-3, 30e-3, 90e-3]
        let rows = taus.map { tau -> ShortTermMemoryCellParameters in
            var p = TestParameters.shortTermMemory
            p.tauSeconds = DistributedParameter(tau, spread: 0.15)
            return p
        }
        let tile = ShortTermMemoryTile(columns: 64, rowParameters: rows, cellKey: Self.key)
        for (r, tau) in taus.enumerated() {
            let drawn = (0..<64).map { tile.cells[r * 64 + $0].drawn.tauSeconds }
            let mean = drawn.reduce(0, +) / 64
            // The mean of 64 lognormal draws with a 15 % spread scatters by 15 % / 8 = 1.9 %.
            #expect(abs(mean - tau) / tau < 4 * 0.15 / 8, "row \(r): mean tau \(mean) s against \(tau) s")
            #expect(tile.parameters(ofCell: r * 64 + 5).tauSeconds.mean == tau)
        }
    }

    @Test("a node follows its row's time constant: after a pulse its volatile part halves in tau times ln 2")
    func nodeDecaysWithItsRowTau() {
        var fast = TestParameters.shortTermMemory
        fast.tauSeconds = DistributedParameter(3e-3)
        fast.slowFraction = 0
        var slow = fast
        slow.tauSeconds = DistributedParameter(90e-3)
        let tile = ShortTermMemoryTile(columns: 2, rowParameters: [fast, slow], cellKey: Self.key)
        var generator = Xoshiro256StarStar(seed: 1)
        for (index, tau) in [(0, 3e-3), (2, 90e-3)] {
            _ = tile.pulse(index, amplitudeVolts: 1.5, widthSeconds: 1e-6, at: 0, complianceAmperes: 1, generator: &generator)
            let base = tile.cells[index].drawn.baseSiemens
            let start = tile.conductance(index, at: 0) - base
            let half = tile.conductance(index, at: tau * log(2)) - base
            #expect(abs(half / start - 0.5) < 1e-9, "node \(index)")
        }
    }
}
