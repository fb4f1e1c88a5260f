import Foundation
import Testing
import XbarDevice

@Suite("STM cells: potentiation, exact decay, reads")
struct ShortTermMemoryCellTests {
    static func cell(_ p: ShortTermMemoryCellParameters = TestParameters.shortTermMemory) -> ShortTermMemoryCell {
        ShortTermMemoryCell(drawn: ShortTermMemoryCellDraw(drawingFrom: p, key: CellStreams.key(seed: 4, tile: 3, row: 0, column: 0)))
    }

    var fastOnly: ShortTermMemoryCellParameters {
        var p = TestParameters.shortTermMemory
        p.slowFraction = 0
        return p
    }

    @Test("one tau after a pulse the volatile part is 1/e of its value, and decaying in 1000 steps equals one step")
    func exactDecay() {
        var cell = Self.cell(fastOnly)
        var noise = Xoshiro256StarStar(seed: 1)
        cell.pulse(amplitudeVolts: 2, widthSeconds: 5e-6, at: 0, parameters: fastOnly, generator: &noise)
        let g0 = cell.volatileConductance(at: 0)
        let tau = cell.drawn.tauSeconds
        #expect(g0 > 0)
        #expect(abs(cell.volatileConductance(at: tau) / g0 - exp(-1)) < 1e-12)
        var stepped = cell
        for k in 1...1000 { stepped.decay(to: tau * Double(k) / 1000) }
        #expect(abs(stepped.volatileConductance(at: tau) / cell.volatileConductance(at: tau) - 1) < 1e-12)
    }

    @Test("the mean increment from rest is incrementFraction * s(V, w) * ceiling")
    func meanIncrement() {
        let p = fastOnly
        let rest = Self.cell(p)
        var noise = Xoshiro256StarStar(seed: 2)
        let volts = rest.drawn.thresholdVolts + 0.5
        var sum = 0.0
        let n = 4000
        for _ in 0..<n {
            var c = rest
            c.pulse(amplitudeVolts: volts, widthSeconds: 1e-6, at: 0, parameters: p, generator: &noise)
            sum += c.volatileConductance(at: 0)
        }
        // s = 1 at the reference pulse; c2c spread 0.2 over 4000 pulses: SE 0.32 %, 5 SE = 1.6 %.
        let expected = rest.drawn.incrementFraction * rest.drawn.ceilingSiemens
        #expect(abs(sum / Double(n) / expected - 1) < 0.016)
    }

    @Test("repeated pulses saturate below the ceiling with shrinking increments")
    func saturation() {
        let p = fastOnly
        var cell = Self.cell(p)
        var noise = Xoshiro256StarStar(seed: 3)
        var previous = 0.0
        var increments: [Double] = []
        for k in 0..<300 {
            cell.pulse(amplitudeVolts: 1.5, widthSeconds: 1e-6, at: Double(k) * 1e-6, parameters: p, generator: &noise)
            let g = cell.volatileConductance(at: Double(k) * 1e-6)
            #expect(g <= cell.drawn.ceilingSiemens)
            increments.append(g - previous)
            previous = g
        }
        #expect(previous > 0.99 * cell.drawn.ceilingSiemens)
        let early = increments[0..<10].reduce(0, +), late = increments[100..<110].reduce(0, +)
        #expect(late < 0.01 * early)
    }

    @Test("the slow component holds slowFraction of an increment after the fast one has gone")
    func slowComponent() {
        var p = TestParameters.shortTermMemory
        p.slowFraction = 0.3
        var cell = Self.cell(p)
        var noise = Xoshiro256StarStar(seed: 4)
        cell.pulse(amplitudeVolts: 1.5, widthSeconds: 1e-6, at: 0, parameters: p, generator: &noise)
        let g0 = cell.volatileConductance(at: 0)
        let t = 10 * cell.drawn.tauSeconds
        // After 10 fast time constants the fast part is e^-10 = 4.5e-5 of 70 %; the slow part
        // has decayed by exp(-t / slowTau).
        let expected = 0.3 * g0 * exp(-t / cell.drawn.slowTauSeconds)
        #expect(abs(cell.volatileConductance(at: t) / expected - 1) < 2e-4)
    }

    @Test("negative and sub-threshold pulses change nothing")
    func noPotentiationBelowThreshold() {
        var cell = Self.cell()
        let before = cell
        var noise = Xoshiro256StarStar(seed: 5)
        cell.pulse(amplitudeVolts: -2, widthSeconds: 1e-6, at: 1, parameters: TestParameters.shortTermMemory, generator: &noise)
        cell.pulse(amplitudeVolts: cell.drawn.thresholdVolts, widthSeconds: 1e-6, at: 1, parameters: TestParameters.shortTermMemory, generator: &noise)
        #expect(cell == before)
    }

    @Test("reads scatter by the read noise and disturb the cell only slightly")
    func reads() {
        var p = fastOnly
        p.readDisturbFraction = 0
        var cell = Self.cell(p)
        var noise = Xoshiro256StarStar(seed: 6)
        let g = cell.conductance(at: 0)
        let reads = (0..<20_000).map { _ in cell.read(readVolts: 0.1, at: 0, parameters: p, generator: &noise) / 0.1 }
        let mean = reads.reduce(0, +) / 20_000
        let sd = (reads.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 19_999).squareRoot()
        // 1 % read noise: mean within 5 SE (0.035 % of G), sd within 5 SE (2.5 %).
        #expect(abs(mean / g - 1) < 0.00035)
        #expect(abs(sd / (0.01 * g) - 1) < 0.025)
        #expect(cell.conductance(at: 0) == g)

        var disturbed = Self.cell(fastOnly)
        for _ in 0..<100 { _ = disturbed.read(readVolts: 0.1, at: 0, parameters: fastOnly, generator: &noise) }
        // 100 reads at 0.1 % of a reference increment each: at most 100 * 0.001 * 0.05 * ceiling.
        let rise = disturbed.volatileConductance(at: 0)
        #expect(rise > 0 && rise <= 100 * 0.001 * disturbed.drawn.incrementFraction * disturbed.drawn.ceilingSiemens)
    }
}
