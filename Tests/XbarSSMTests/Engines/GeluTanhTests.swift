import Foundation
import Testing
@testable import XbarSSM

@Suite("GELU eight at a time")
struct GeluTanhTests {
    /// Units in the last place between two doubles, across zero too (the bit patterns mapped
    /// to integers in the order of the values).
    func ulps(_ a: Double, _ b: Double) -> UInt64 {
        func ordered(_ v: Double) -> Int64 {
            let bits = Int64(bitPattern: v.bitPattern)
            return bits < 0 ? Int64.min &- bits : bits
        }
        let x = ordered(a), y = ordered(b)
        return x > y ? UInt64(x &- y) : UInt64(y &- x)
    }

    func z(_ x: Double) -> Double { (2.0 / Double.pi).squareRoot() * (x + 0.044715 * (x * x * x)) }

    /// The model's definition as the Python reference writes it, with the C library's tanh.
    func definition(_ x: Double) -> Double { 0.5 * x * (1 + tanh(z(x))) }

    /// The same function as `x / (1 + e^(−2z))` with the C library's exp, in the form that
    /// neither overflows nor cancels for either sign of z.
    func logistic(_ x: Double) -> Double {
        let z = z(x)
        return z >= 0 ? x / (1 + exp(-2 * z)) : x * exp(2 * z) / (1 + exp(2 * z))
    }

    /// Every lane of a vector of 0.000117-spaced arguments, swept over [-12, 40] in steps of 0.001.
    func sweep(on instructions: VectorInstructionSet = .fastest, _ body: (Double, Double) -> Void) {
        var start = -12.0
        while start < 40 {
            let lanes = SIMD8<Double>((0..<8).map { start + Double($0) * 0.000117 })
            let g = geluTanh(lanes, on: instructions)
            for i in 0..<8 { body(lanes[i], g[i]) }
            start += 0.001
        }
    }

    /// Measured: 3 ulp. The exponential is within 2 ulp of the library's, then 1 + t and one
    /// division (or a product and a division) round once each.
    @Test("within 4 ulp of the same logistic form with the C library's exp, from 1e-300 to 1e300 in magnitude",
          arguments: EventSSMKernelTests.runnable)
    func closeToLibraryExp(instructions: VectorInstructionSet) {
        var worst: UInt64 = 0
        sweep(on: instructions) { x, g in worst = max(worst, ulps(g, logistic(x))) }
        var magnitude = 1e-300
        while magnitude < 1e300 {
            for x in [-magnitude, magnitude] {
                let want = logistic(x), got = geluTanh(x, on: instructions)
                // Below e^-708 of x the vector exponential gives 0 where the library's goes
                // subnormal: both results are then under 1e-300, not compared in ulps.
                if abs(want) < 1e-300 && abs(got) < 1e-300 { continue }
                worst = max(worst, ulps(got, want))
            }
            magnitude *= 1.01
        }
        #expect(worst <= 4, "worst \(worst) ulp")
    }

    /// Measured: 7 ulp, 1.1e-15 relative where 1 + tanh z keeps its digits (x ≥ −1.5); below
    /// that the definition itself loses digits to the cancellation, so it is compared in units
    /// of |x| (measured 5.5e-17).
    @Test("within 8 ulp and 2e-15 relative of the model's tanh definition for x ≥ −1.5, and 1e-16 |x| below")
    func closeToTanhDefinition() {
        var worstUlps: UInt64 = 0, worstRelative = 0.0, worstBelow = 0.0
        sweep { x, g in
            let want = definition(x)
            if x >= -1.5 {
                worstUlps = max(worstUlps, ulps(g, want))
                if want != 0 { worstRelative = max(worstRelative, abs(g - want) / abs(want)) }
            } else {
                worstBelow = max(worstBelow, abs(g - want) / abs(x))
            }
        }
        #expect(worstUlps <= 8, "worst \(worstUlps) ulp")
        #expect(worstRelative <= 2e-15, "worst relative error \(worstRelative)")
        #expect(worstBelow <= 1e-16, "worst error \(worstBelow) |x|")
    }

    @Test("one value gives what its lane gives among others, bit for bit; the ends are x and −0", arguments: EventSSMKernelTests.runnable)
    func laneEqualsScalar(instructions: VectorInstructionSet) {
        let lanes = SIMD8<Double>(-7.5, -1.25, -0.0, 0, 1e-9, 0.5, 3.75, 12)
        let g = geluTanh(lanes, on: instructions)
        for i in 0..<8 { #expect(g[i].bitPattern == geluTanh(lanes[i], on: instructions).bitPattern, "lane \(i): x = \(lanes[i])") }
        #expect(geluTanh(1e200, on: instructions) == 1e200)
        #expect(geluTanh(-1e200, on: instructions).bitPattern == (-0.0).bitPattern)
        #expect(geluTanh(-40.0, on: instructions) == 0)
    }

    // Skipped, with the reason printed, on a CPU without AVX2: only the baseline copy runs there
    // (the CPU check itself is tested against the CPU's flags).
    @Test("the baseline and AVX2 copies give the same activations bit for bit over the whole sweep",
          .enabled(if: VectorInstructionSet.avx2.isSupported, "this CPU has no AVX2, so only the baseline copy can run"))
    func instructionSetsAgree() {
        var narrow: [UInt64] = [], wide: [UInt64] = []
        sweep(on: .baseline) { _, g in narrow.append(g.bitPattern) }
        sweep(on: .avx2) { _, g in wide.append(g.bitPattern) }
        #expect(narrow.count > 400_000)
        #expect(narrow == wide, "\(zip(narrow, wide).filter { $0 != $1 }.count) of \(narrow.count) activations differ")
    }
}
