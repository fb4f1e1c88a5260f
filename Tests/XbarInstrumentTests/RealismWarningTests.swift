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

    @Test("relaxation is judged over a day: the per-decade spread times sqrt(4.94 decades)")
    func relaxationOverADay() throws {
        // sqrt(log10(86400)) = 2.222: 0.015 per decade is 3.33 % of the range after a day (above
        // 3 %), 0.004 is 0.89 % (below 1 %), 0.0135 is 3.0 % and 0.0045 is 1.0 % (just inside).
        let base = try RepositoryFiles.text(RepositoryFiles.shipped("usb-4x64"))
        func warnings(_ perDecade: String) throws -> [String] {
            let text = base.replacingOccurrences(of: "relaxation_spread_per_decade: 0.01\n", with: "relaxation_spread_per_decade: \(perDecade)\n")
            #expect(text != base)
            return try Instrument.parse(yaml: text, path: "usb-4x64.yaml").realismWarnings.map(\.keyPath)
        }
        #expect(try warnings("0.015") == ["device.non_volatile.relaxation_spread_per_decade"])
        #expect(try warnings("0.004") == ["device.non_volatile.relaxation_spread_per_decade"])
        #expect(try warnings("0.0134") == [])
        #expect(try warnings("0.0046") == [])
    }
}
