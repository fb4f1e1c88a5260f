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

    @Test("within two units in the last place of the C library's exp over the whole decay range", arguments: EventSSMKernelTests.runnable)
    func accuracy(instructions: VectorInstructionSet) {
        var worst: UInt64 = 0
        var x = -708.0
        while x <= 0 {
            let lanes = SIMD8<Double>((0..<8).map { x + Double($0) * 0.000123 }.map { min($0, 0) })
            let f = DecayFactors.exponential(lanes, on: instructions)
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

    /// What ``DecayFactors/decayExponential(_:into:on:)`` stores for eight lanes.
    func shortcut(_ x: SIMD8<Double>, on instructions: VectorInstructionSet) -> SIMD8<Double> {
        var out = [Double](repeating: 0, count: 8)
        out.withUnsafeMutableBufferPointer { DecayFactors.decayExponential(x, into: $0.baseAddress!, on: instructions) }
        return SIMD8(out)
    }

    @Test("the shortcut for decays that need no reduction gives the full exponential's factors bit for bit, on both sides of its edge",
          arguments: EventSSMKernelTests.runnable)
    func shortcutEqualsFull(instructions: VectorInstructionSet) {
        var differing = 0, shortcutDiffering = 0, checked = 0, shortcutLanes = 0
        var x = -0.4
        while x <= 0 {
            let lanes = SIMD8<Double>((0..<8).map { min(x + Double($0) * 1.1e-7, 0) })
            let decay = shortcut(lanes, on: instructions), full = DecayFactors.exponential(lanes, on: instructions)
            for i in 0..<8 where decay[i].bitPattern != full[i].bitPattern { differing += 1 }
            // Where the reduction leaves n = 0 in every lane (x log2(e) above -1/2, x above
            // -0.3465736), the shortcut is the Padé fraction of x.
            if lanes.min() > -0.34657 {
                let short = DecayFactors.reducedExponential(lanes, on: instructions)
                for i in 0..<8 where short[i].bitPattern != full[i].bitPattern { shortcutDiffering += 1 }
                shortcutLanes += 8
            }
            checked += 8
            x += 3.7e-6
        }
        for edge in [-0.0, -1e-300, -0.34657359027997264, -0.3465735902799727, -0.5, -1.0] {
            let lanes = SIMD8<Double>(repeating: edge)
            #expect(shortcut(lanes, on: instructions)[0].bitPattern == DecayFactors.exponential(lanes, on: instructions)[0].bitPattern, "x = \(edge)")
        }
        #expect(checked > 800_000 && shortcutLanes > 700_000)
        #expect(differing == 0, "\(differing) of \(checked) lanes differ")
        #expect(shortcutDiffering == 0, "\(shortcutDiffering) of \(shortcutLanes) lanes differ without the reduction")
    }

    @Test("a batch mixing constants that take the shortcut with ones that do not gives each its factor alone, bit for bit",
          arguments: [0.0001, 0.001, 0.0029, 0.0031, 0.01, 0.1])
    func mixedBatch(dtSeconds: Double) {
        // Eight constants from 2.7 ms to 90 ms in each order, so that some vectors of eight lie
        // wholly within the shortcut's reach and others straddle its edge.
        let rising = (0..<32).map { 0.0027 * pow(33.0, Double($0) / 31) }
        let taus = rising + rising.reversed()
        var factors = [Double](repeating: -1, count: taus.count)
        taus.withUnsafeBufferPointer { t in
            factors.withUnsafeMutableBufferPointer { DecayFactors.decays(dtSeconds, taus: t.baseAddress!, count: t.count, into: $0.baseAddress!) }
        }
        #expect(factors.map(\.bitPattern) == taus.map { SSMModel.decay(dtSeconds, $0).bitPattern })
    }

    /// The baseline x86-64 copy of the loops and the AVX2 copy do the same operations per lane.
    // Skipped, with the reason printed, on a CPU without AVX2: only the baseline copy runs there
    // (the CPU check itself is tested against the CPU's flags).
    @Test("the baseline and AVX2 copies give the same factors bit for bit, for whole and partial vectors of constants and across the shortcut's edge",
          .enabled(if: VectorInstructionSet.avx2.isSupported, "this CPU has no AVX2, so only the baseline copy can run"))
    func instructionSetsAgree() {
        let taus = (0..<64).map { 0.0027 * pow(33.0, Double($0) / 63) }
        var compared = 0, differing = 0
        var dt = 1e-6
        while dt < 2 {
            for count in [1, 5, 8, 13, 64] {
                var narrow = [Double](repeating: -1, count: count), wide = narrow
                taus.withUnsafeBufferPointer { t in
                    narrow.withUnsafeMutableBufferPointer { DecayFactors.decays(dt, taus: t.baseAddress!, count: count, into: $0.baseAddress!, on: .baseline) }
                    wide.withUnsafeMutableBufferPointer { DecayFactors.decays(dt, taus: t.baseAddress!, count: count, into: $0.baseAddress!, on: .avx2) }
                }
                differing += zip(narrow, wide).filter { $0.bitPattern != $1.bitPattern }.count
                compared += count
            }
            dt *= 1.003
        }
        #expect(compared > 300_000)
        #expect(differing == 0, "\(differing) of \(compared) factors differ")
    }
}
