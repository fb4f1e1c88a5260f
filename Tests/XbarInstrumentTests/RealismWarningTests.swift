import Testing
import XbarInstrument

@Suite("realism warnings")
struct RealismWarningTests {
    @Test("a valid file with values outside the realistic ranges loads, with a warning per value")
    func unrealisticLoads() throws {
        let instrument = try Instrument.load(path: RepositoryFiles.fixture("unrealistic"))
        let warnings = instrument.realismWarnings
        #expect(warnings.map(\.keyPath) == ["device.non_volatile.g_min_siemens", "device.short_term_memory.tau_seconds"])
        #expect(warnings.first?.message == "Gmin 0.2 uS is outside the realistic range 0.5 uS–5 uS")
        #expect(warnings.last?.message == "STM time constant 500 ms is outside the realistic range 1 ms–100 ms")
    }

    @Test("the step per pulse is judged at mid-range: half the step fraction of the range")
    func stepAtMidRange() throws {
        // 0.12 moves 6 % of the range at mid-range (above 5 %); 0.005 moves 0.25 % (below 0.3 %).
        let text = try RepositoryFiles.text(RepositoryFiles.shipped("usb-4x64"))
            .replacingOccurrences(of: "set_step_fraction: {mean: 0.04, spread: 0.2}", with: "set_step_fraction: {mean: 0.12, spread: 0.2}")
            .replacingOccurrences(of: "reset_step_fraction: {mean: 0.05, spread: 0.2}", with: "reset_step_fraction: {mean: 0.005, spread: 0.2}")
        let instrument = try Instrument.parse(yaml: text, path: "usb-4x64.yaml")
        #expect(instrument.realismWarnings.map(\.keyPath) == ["device.non_volatile.set_step_fraction", "device.non_volatile.reset_step_fraction"])
    }

    @Test("relaxation is judged over a day: about 4.94 decades of the per-decade spread")
    func relaxationOverADay() throws {
        // 0.01 per decade is 4.9 % of the range after a day, above the 3 % bound;
        // 0.006 is 2.96 %, inside it.
        let base = try RepositoryFiles.text(RepositoryFiles.shipped("usb-4x64"))
        let high = try Instrument.parse(yaml: base.replacingOccurrences(of: "relaxation_spread_per_decade: 0.004", with: "relaxation_spread_per_decade: 0.01"), path: "usb-4x64.yaml")
        #expect(high.realismWarnings.map(\.keyPath) == ["device.non_volatile.relaxation_spread_per_decade"])
        let inside = try Instrument.parse(yaml: base.replacingOccurrences(of: "relaxation_spread_per_decade: 0.004", with: "relaxation_spread_per_decade: 0.006"), path: "usb-4x64.yaml")
        #expect(inside.realismWarnings == [])
    }
}
