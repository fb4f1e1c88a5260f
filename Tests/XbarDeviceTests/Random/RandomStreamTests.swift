import Foundation
import Testing
import XbarDevice

@Suite("Seeded random streams")
struct RandomStreamTests {
    @Test("xoshiro256** and SplitMix64 reproduce the reference outputs of their published algorithms")
    func referenceOutputs() {
        var x = Xoshiro256StarStar(state: (1, 2, 3, 4))
        #expect((0..<6).map { _ in x.next() } == [11520, 0, 1_509_978_240, 1_215_971_899_390_074_240,
                                                   1_216_172_134_540_287_360, 607_988_272_756_665_600])
        var s = SplitMix64(state: 0)
        #expect((0..<3).map { _ in s.next() } == [16_294_208_416_658_607_535, 7_960_286_522_194_355_700, 487_617_019_471_545_679])
    }

    @Test("the same seed gives the same sequence and different seeds different ones")
    func seeding() {
        var a = Xoshiro256StarStar(seed: 42), b = Xoshiro256StarStar(seed: 42), c = Xoshiro256StarStar(seed: 43)
        let sa = (0..<100).map { _ in a.nextNormal() }
        #expect(sa == (0..<100).map { _ in b.nextNormal() })
        #expect(sa != (0..<100).map { _ in c.nextNormal() })
    }

    @Test("normal numbers have mean 0, variance 1 and the normal tail beyond 3 sigma")
    func normalMoments() {
        var g = Xoshiro256StarStar(seed: 7)
        let n = 200_000
        let z = (0..<n).map { _ in g.nextNormal() }
        let mean = z.reduce(0, +) / Double(n)
        let variance = z.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n - 1)
        let tail = Double(z.filter { abs($0) > 3 }.count) / Double(n)
        // 5 standard errors: mean 5/sqrt(n) = 0.011, variance 5*sqrt(2/n) = 0.016,
        // tail fraction (p = 0.0027) 5*sqrt(p(1-p)/n) = 0.00058.
        #expect(abs(mean) < 0.011)
        #expect(abs(variance - 1) < 0.016)
        #expect(abs(tail - 0.0027) < 0.00058)
    }

    @Test("a lognormal draw has the parameter's mean and relative spread")
    func lognormalMoments() {
        var g = Xoshiro256StarStar(seed: 8)
        let p = DistributedParameter(50e-6, spread: 0.25)
        let n = 100_000
        let x = (0..<n).map { _ in p.drawPositive(using: &g) }
        let mean = x.reduce(0, +) / Double(n)
        let sd = (x.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n - 1)).squareRoot()
        // Mean: SE 0.25/sqrt(n) = 0.079 % relative, 5 SE = 0.4 %. Spread: the sample sd of a
        // lognormal with 25 % spread has SE about 0.3 % relative (kurtosis included); 2 % is generous.
        #expect(abs(mean / 50e-6 - 1) < 0.004)
        #expect(abs(sd / mean / 0.25 - 1) < 0.02)
        #expect(x.allSatisfy { $0 > 0 })
        #expect(DistributedParameter(3).drawPositive(using: &g) == 3)
    }

    @Test("cell keys depend on seed, tile, row and column, and hashed normals are pure functions of their arguments")
    func cellKeys() {
        let keys = Set((0..<64).flatMap { r in (0..<64).map { c in CellStreams.key(seed: 1, tile: 0, row: r, column: c) } })
        #expect(keys.count == 4096)
        #expect(CellStreams.key(seed: 1, tile: 0, row: 3, column: 4) != CellStreams.key(seed: 1, tile: 1, row: 3, column: 4))
        #expect(CellStreams.key(seed: 1, tile: 0, row: 3, column: 4) != CellStreams.key(seed: 2, tile: 0, row: 3, column: 4))
        #expect(CellStreams.key(seed: 1, tile: 0, row: 3, column: 4) != CellStreams.key(seed: 1, tile: 0, row: 4, column: 3))
        #expect(CellStreams.normal(key: 5, epoch: 1, step: 2) == CellStreams.normal(key: 5, epoch: 1, step: 2))
        let z = (0..<50_000).map { CellStreams.normal(key: 99, epoch: 1, step: UInt64($0)) }
        let mean = z.reduce(0, +) / 50_000
        let variance = z.map { $0 * $0 }.reduce(0, +) / 50_000 - mean * mean
        // 5 SE: mean 0.022, variance 0.032.
        #expect(abs(mean) < 0.022 && abs(variance - 1) < 0.032)
    }
}
