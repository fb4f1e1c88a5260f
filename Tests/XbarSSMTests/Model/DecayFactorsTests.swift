import Foundation
import Testing
@testable import XbarSSM

@Suite("Decay factors eight at a time")
struct DecayFactorsTests {
    /// Units in the last place between two doubles of the same sign.
    func ulps(_ a: Double, _ b: Double) -> UInt64 {
        let x = a.bitPattern, y = b.bitPattern
        return x > y ? x - y : y - x
    }

    @Test("within two units in the last place of the C library's exp over the whole decay range")
    func accuracy() {
        var worst: UInt64 = 0
        var x = -708.0
        while x <= 0 {
            let lanes = SIMD8<Double>((0..<8).map { x + Double($0) * 0.000123 }.map { min($0, 0) })
            let f = DecayFactors.exponential(lanes)
            for i in 0..<8 { worst = max(worst, ulps(f[i], exp(lanes[i]))) }
            x += 0.0137
        }
        #expect(worst <= 2, "worst \(worst) ulp")
    }

    @Test("no time passed keeps the state exactly; beyond the smallest normal double the state is gone")
    func ends() {
        #expect(SSMModel.decay(0, 0.02) == 1)
        #expect(SSMModel.decay(1e300, 0.02) == 0)
        #expect(SSMModel.decay(.infinity, 0.02) == 0)
        #expect(SSMModel.decay(0.02, 0.02) == exp(-1.0))
    }

    @Test("a negative time step keeps the state whole rather than growing it, alone and in a batch")
    func negativeStep() {
        #expect(SSMModel.decay(-0.5, 0.02) == 1)
        let taus = (0..<16).map { 0.001 * Double($0 + 1) }
        var factors = [Double](repeating: -1, count: taus.count)
        taus.withUnsafeBufferPointer { t in
            factors.withUnsafeMutableBufferPointer { DecayFactors.decays(-1e-3, taus: t.baseAddress!, count: t.count, into: $0.baseAddress!) }
        }
        #expect(factors == [Double](repeating: 1, count: taus.count))
    }

    @Test("a batch of time constants gives each the factor it gets alone, bit for bit", arguments: [1, 7, 8, 13, 64])
    func batchEqualsSingle(count: Int) {
        let taus = (0..<count).map { 0.001 * Double($0 + 1) * 1.37 }
        var factors = [Double](repeating: -1, count: count)
        taus.withUnsafeBufferPointer { t in
            factors.withUnsafeMutableBufferPointer { DecayFactors.decays(0.0042, taus: t.baseAddress!, count: count, into: $0.baseAddress!) }
        }
        #expect(factors == taus.map { SSMModel.decay(0.0042, $0) })
    }
}
