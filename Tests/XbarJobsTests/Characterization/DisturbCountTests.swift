import Foundation
import Testing
import XbarBoard
import XbarDevice
import XbarInstrument
import XbarJobs
import XbarStore
import XbarWire

@Suite("half-select disturb on the simulated passive board")
struct DisturbCountTests {
    /// The median count of pulses on cell (8, 8) of a simulated serial-32x32 (tile cut to 16x16)
    /// that moves 8 row neighbours by 1 % of the range, under `scheme`.
    func count(scheme: BiasScheme, disturb: Double, maxPulses: Int) throws -> DisturbAnalysis.Scheme {
        var instrument = try SimulatedProgramming(instrument: "serial-32x32", rows: 16, columns: 16).instrument
        instrument.device.nonVolatile.wear?.disturbStepFraction = disturb
        let board = SimulatedBoard(instrument: instrument, seed: 21)
        let device = instrument.device.nonVolatile
        let aggressor = CellIndex(row: 8, column: 8)
        let job = DisturbJob(board: board, tile: 0, aggressor: aggressor, victims: DisturbJob.neighbours(of: aggressor, columns: 16, count: 8),
                             stress: try ModulePulse(volts: 1.8 * device.setThresholdVolts.mean, seconds: device.referenceWidthSeconds,
                                                     "stress", limits: instrument.limits),
                             scheme: scheme, maxPulses: maxPulses, readVolts: instrument.defaultReadVolts, averages: 64,
                             maxPulsesPerBatch: ProgrammingSettings.maxPulsesPerBatch(maxPayloadBytes: Int(Instrument.maxPayloadBytes)))
        var series: [CellSeries] = []
        try job.run(preparation: try device.midRangePulses(limits: instrument.limits)) { series += $0 }
        let analysis = DisturbAnalysis(series, rangeSiemens: device.gMaxSiemens.mean - device.gMinSiemens.mean)
        return try #require(analysis.schemes.first)
    }

    @Test("a V/2 pulse at 0.9 of the SET threshold moves the row's neighbours by 1 % in hundreds of pulses, twice as fast with twice the disturb")
    func respondsToDisturbParameters() throws {
        // serial-32x32: 2e-4 of the distance at threshold, falling by e every 80 mV; at V/2 a
        // 2.52 V pulse leaves 0.14 V to a 1.4 V threshold: 2e-4 x exp(-1.75) x half the range
        // per pulse, about 570 pulses to 1 %, for a typical cell.
        let base = try count(scheme: .halfVoltage, disturb: 2e-4, maxPulses: 1 << 13)
        let doubled = try count(scheme: .halfVoltage, disturb: 4e-4, maxPulses: 1 << 13)
        let n = try #require(base.medianPulses), m = try #require(doubled.medianPulses)
        #expect((128...2048).contains(n), "\(n) pulses")
        // Doubling rounds: the count is known to a factor of two, so twice the disturb gives
        // half the count or the same round.
        #expect(m < n || m == n / 2 || m == n, "\(m) vs \(n)")
        #expect(m <= n / 2 || m == n, "\(m) vs \(n)")
    }

    @Test("under V/3 the same pulses leave the neighbours alone far longer than under V/2, and not at all without disturb")
    func thirdVoltageDisturbsLess() throws {
        let half = try count(scheme: .halfVoltage, disturb: 2e-4, maxPulses: 1 << 12)
        let third = try count(scheme: .thirdVoltage, disturb: 2e-4, maxPulses: 1 << 12)
        let none = try count(scheme: .halfVoltage, disturb: 0, maxPulses: 1 << 12)
        let n = try #require(half.medianPulses)
        #expect(third.medianPulses == nil || third.medianPulses! >= 4 * n, "V/3: \(String(describing: third.medianPulses)), V/2: \(n)")
        #expect(none.medianPulses == nil, "no disturb: \(String(describing: none.medianPulses))")
    }
}
