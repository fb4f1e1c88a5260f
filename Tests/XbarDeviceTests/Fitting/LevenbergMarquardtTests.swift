import Foundation
import Testing
@testable import XbarDevice

/// A reproducible normal generator (SplitMix64 + Box–Muller) for noisy test data.
struct SeededNormal {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func uniform() -> Double {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return (Double(z >> 11) + 0.5) / Double(1 << 53)
    }
    mutating func next() -> Double {
        (-2 * log(uniform())).squareRoot() * cos(2 * Double.pi * uniform())
    }
}

@Suite("Levenberg–Marquardt least squares")
struct LevenbergMarquardtTests {
    @Test("the Rosenbrock valley is followed to its minimum at (1, 1)")
    func rosenbrock() throws {
        let fit = try LevenbergMarquardt().fit(initial: [-1.2, 1], residualCount: 2) { p in
            [10 * (p[1] - p[0] * p[0]), 1 - p[0]]
        }
        #expect(fit.converged)
        // A zero-residual problem: the minimum is exact up to the convergence tolerances.
        #expect(abs(fit.parameters[0] - 1) < 1e-6)
        #expect(abs(fit.parameters[1] - 1) < 1e-6)
    }

    @Test("parameters of a noisy decay lie within three stated sigmas of the truth, in any units")
    func decayWithUncertainties() throws {
        var noise = SeededNormal(seed: 7)
        let amplitude = 3.0e-6, tau = 0.02, base = 1.0e-5, sigma = 2.0e-8
        let times = (0..<200).map { Double($0) * 5e-4 }
        let data = times.map { base + amplitude * exp(-$0 / tau) + sigma * noise.next() }
        let fit = try LevenbergMarquardt().fit(
            initial: [2e-6, 0.05, 0.8e-5], bounds: [.positive, .positive, .free], residualCount: data.count
        ) { p in zip(times, data).map { t, y in y - (p[2] + p[0] * exp(-t / p[1])) } }
        #expect(fit.converged)
        // Three sigmas: the stated uncertainties must cover the truth (a 0.3 % miss chance each).
        #expect(abs(fit.parameters[0] - amplitude) < 3 * fit.uncertainties[0])
        #expect(abs(fit.parameters[1] - tau) < 3 * fit.uncertainties[1])
        #expect(abs(fit.parameters[2] - base) < 3 * fit.uncertainties[2])
        // The uncertainties are not vacuous: the time constant is pinned to better than 2 %.
        #expect(fit.uncertainties[1] / tau < 0.02)
        // The residual variance estimates the noise that was added (200 points: +-10 %).
        #expect(abs(fit.residualVariance.squareRoot() / sigma - 1) < 0.15)
    }

    @Test("stated uncertainties match the scatter of estimates over repeated noisy data sets")
    func uncertaintyCalibration() throws {
        var noise = SeededNormal(seed: 11)
        let xs = (0..<40).map { Double($0) / 39 }
        var slopes: [Double] = [], stated: [Double] = []
        for _ in 0..<200 {
            let ys = xs.map { 2 + 0.5 * $0 + 0.1 * noise.next() }
            let fit = try LevenbergMarquardt().fit(initial: [1, 1], residualCount: xs.count) { p in
                zip(xs, ys).map { x, y in y - (p[0] + p[1] * x) }
            }
            slopes.append(fit.parameters[1])
            stated.append(fit.uncertainties[1])
        }
        let mean = slopes.reduce(0, +) / 200
        let scatter = (slopes.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 199).squareRoot()
        let typical = stated.reduce(0, +) / 200
        // 200 repetitions estimate a standard deviation to about 5 %; allow 15 %.
        #expect(abs(typical / scatter - 1) < 0.15)
    }

    @Test("a bounded parameter never leaves its interval, even when the optimum lies outside")
    func boundsHold() throws {
        var seen: [Double] = []
        let fit = try LevenbergMarquardt().fit(
            initial: [0.5], bounds: [.interval(lower: 0, upper: 1)], residualCount: 1
        ) { p in seen.append(p[0]); return [p[0] - 3] }
        #expect(seen.allSatisfy { $0 > 0 && $0 < 1 })
        #expect(fit.parameters[0] > 0.99)
    }

    @Test("a parameter the data do not constrain gets an infinite uncertainty, the others stay finite")
    func unconstrainedParameter() throws {
        let fit = try LevenbergMarquardt().fit(initial: [1, 1], residualCount: 3) { p in
            [p[0] - 1, p[0] - 2, p[0] - 3]
        }
        #expect(abs(fit.parameters[0] - 2) < 1e-9)
        #expect(fit.uncertainties[0].isFinite)
        #expect(fit.uncertainties[1] == .infinity)
    }

    @Test("an initial value outside its bound is refused with the parameter's index")
    func refusesInvalidStart() {
        #expect(throws: LeastSquaresError.initialOutsideBounds(index: 1, value: -1, bound: .positive)) {
            try LevenbergMarquardt().fit(initial: [1, -1], bounds: [.free, .positive], residualCount: 2) { p in p }
        }
        #expect(throws: LeastSquaresError.underdetermined(parameters: 2, residuals: 1)) {
            try LevenbergMarquardt().fit(initial: [1, 1], residualCount: 1) { p in [p[0]] }
        }
    }
}
