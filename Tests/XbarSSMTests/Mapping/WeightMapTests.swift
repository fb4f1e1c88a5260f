import Foundation
import Testing
import XbarInstrument
import XbarJobs
@testable import XbarSSM

@Suite("weight-to-conductance mapping")
struct WeightMapTests {
    /// The targets are doubles and the mapping is linear, so the only error is floating-point
    /// rounding of a few hundred additions (about 1e-13 of the largest product); 1e-9 of the
    /// largest product is a strict bound that still leaves no room for a misplaced cell.
    @Test("an ideal MVM of the target conductances reproduces W @ x for every matrix of every shipped model")
    func roundTrip() throws {
        let instrument = try Examples.instrument()
        var generator = SystemRandomNumberGenerator()
        for stem in try Examples.modelsWithReferenceLogits() {
            let model = try Examples.model(stem)
            let map = try WeightMap(model: model, instrument: instrument)
            for name in Set(model.placements.map(\.matrix)) {
                let W = try #require(map.weights(of: name, in: model))
                for _ in 0..<5 {
                    let x = (0..<W.columns).map { _ in Double.random(in: -1...1, using: &generator) }
                    let want = W.times(x)
                    let got = map.idealProducts(of: name, input: x)
                    let scale = max(want.map(abs).max() ?? 0, 1e-12)
                    let worst = zip(got, want).map { abs($0 - $1) }.max() ?? 0
                    #expect(worst <= 1e-9 * scale, "\(stem) \(name): error \(worst) of \(scale)")
                }
            }
            // Every target inside the programmable range, strictly (`xbar program` refuses a
            // target even one rounding bit outside it); the largest weight spans it.
            let (low, high) = WeightMap.programmableRange(of: instrument)
            let all = map.tiles.flatMap(\.siemens)
            #expect(all.allSatisfy { $0 >= low && $0 <= high }, "\(stem): \(all.filter { $0 < low || $0 > high }.prefix(3)) outside \(low)...\(high) S")
            #expect(abs((all.max() ?? 0) - high) <= 1e-12)
        }
    }

    @Test("the stacked map is written as a 256x64 float64 .npy that NumPy reads back exactly")
    func npyReadByNumPy() throws {
        let instrument = try Examples.instrument()
        let stem = try #require(try Examples.modelsWithReferenceLogits().first)
        let map = try WeightMap(model: try Examples.model(stem), instrument: instrument)
        let stacked = map.stacked
        #expect(stacked.rows == 256 && stacked.columns == 64)
        let path = try Python.temporaryFolder().appendingPathComponent("map.npy").path
        try NPYFile.write(ConductanceMap(rows: stacked.rows, columns: stacked.columns, siemens: stacked.siemens), path: path)
        let out = try Python.run("""
            import sys, numpy as np
            a = np.load(sys.argv[1])
            print(a.dtype, a.shape[0], a.shape[1], repr(float(a.sum())), repr(float(a[3, 5])))
            """, [path])
        let fields = out.split(separator: " ").map { String($0).trimmingCharacters(in: .whitespacesAndNewlines) }
        #expect(fields[0] == "float64" && fields[1] == "256" && fields[2] == "64")
        // NumPy sums pairwise, Swift in order: equal to rounding.
        let sum = stacked.siemens.reduce(0, +)
        #expect(abs((Double(fields[3]) ?? .nan) - sum) <= 1e-12 * sum)
        #expect(Double(fields[4]) == stacked.siemens[3 * 64 + 5])
    }
}
