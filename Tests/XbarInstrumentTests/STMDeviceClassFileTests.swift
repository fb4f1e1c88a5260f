import Testing
import XbarDevice
import XbarInstrument
import XbarWire

/// `device.short_term_memory_classes` and a tile's `row_device_classes`, on the shipped
/// multi-time-constant board and on broken variants of it.
@Suite("STM device classes in instrument files")
struct STMDeviceClassFileTests {
    static func multitauText() throws -> String {
        try RepositoryFiles.text(RepositoryFiles.shipped("usb-4x64-multitau"))
    }

    /// Parses text that must be refused and returns the error.
    private func rejection(_ yaml: String, path: String = "usb-4x64-multitau.yaml") throws -> InstrumentFileError {
        do throws(InstrumentFileError) {
            let instrument = try Instrument.parse(yaml: yaml, path: path)
            Issue.record("the text was accepted as \(instrument.name)")
            throw InstrumentFileError(path: "", problems: [])
        } catch {
            return error
        }
    }

    private func edited(_ replacements: [(String, String)]) throws -> String {
        var text = try Self.multitauText()
        for (a, b) in replacements {
            #expect(text.contains(a), "the shipped file no longer contains \(a)")
            text = text.replacingOccurrences(of: a, with: b)
        }
        return text
    }

    @Test("usb-4x64-multitau is usb-4x64 with its own product id and model, and four STM classes of 3, 10, 30 and 90 ms, one per row")
    func shippedBoard() throws {
        let multitau = try Instrument.load(path: RepositoryFiles.shipped("usb-4x64-multitau"))
        let usb = try Instrument.load(path: RepositoryFiles.shipped("usb-4x64"))
        #expect(multitau.model == "xbar-usb-4x64-multitau")
        #expect(multitau.transport == .usb(USBSettings(vendorID: 0x1209, productID: 0x58BB, interfaceNumber: 0, outEndpoint: 0x01, inEndpoint: 0x81)))
        #expect(multitau.tiles == usb.tiles)
        // The same electrical limits; the board holds longer PLAY programs (states of a whole
        // sample on many nodes).
        // (usb-4x64 also declares a forming limit, which multitau's file, bound to its example
        // calibration, does not.)
        var limits = multitau.limits
        limits.maxProgramActions = usb.limits.maxProgramActions
        limits.maxFormingVolts = usb.limits.maxFormingVolts
        #expect(limits == usb.limits && multitau.limits.maxProgramActions >= usb.limits.maxProgramActions)
        #expect(multitau.adc == usb.adc && multitau.dac == usb.dac)
        // The same weight cells; usb-4x64's also wear (endurance and disturb), start pristine
        // when asked and conduct with a sinh law, which multitau's file does not describe: its
        // example calibration is bound to the file as it is.
        var weights = usb.device.nonVolatile
        #expect(weights.wear != nil && multitau.device.nonVolatile.wear == nil)
        #expect(weights.forming != nil && multitau.device.nonVolatile.forming == nil)
        weights.wear = nil
        weights.forming = nil
        weights.conductionScaleVolts = nil
        #expect(multitau.device.nonVolatile == weights)
        #expect(multitau.stmRowDeviceClasses == [4: ["wox_3ms", "wox_10ms", "wox_30ms", "wox_90ms"]])
        let classes = multitau.device.shortTermMemoryClasses
        #expect(classes.keys.sorted() == ["wox_10ms", "wox_30ms", "wox_3ms", "wox_90ms"])
        let taus = ["wox_3ms", "wox_10ms", "wox_30ms", "wox_90ms"].map { classes[$0]!.tauSeconds }
        #expect(taus.map(\.mean) == [3e-3, 10e-3, 30e-3, 90e-3])
        #expect(taus.allSatisfy { (0.15...0.2).contains($0.spread) })
        // Smaller devices decay faster, conduct less and fill a larger share per pulse.
        let ordered = ["wox_3ms", "wox_10ms", "wox_30ms", "wox_90ms"].map { classes[$0]! }
        for (small, large) in zip(ordered, ordered.dropFirst()) {
            #expect(small.ceilingSiemens.mean < large.ceilingSiemens.mean)
            #expect(small.incrementFraction.mean > large.incrementFraction.mean)
            #expect(small.slowTauSeconds.mean < large.slowTauSeconds.mean)
        }
        // What a class does not set, it inherits from the default population.
        #expect(classes["wox_3ms"]!.overdriveScaleVolts == multitau.device.shortTermMemory.overdriveScaleVolts)
        #expect(classes["wox_3ms"]!.readDisturbFraction == multitau.device.shortTermMemory.readDisturbFraction)
        #expect(multitau.stmDeviceClass(tile: 4, row: 2) == "wox_30ms")
        #expect(multitau.stmParameters(tile: 4, row: 0)?.tauSeconds.mean == 3e-3)
        #expect(usb.stmRowDeviceClasses.isEmpty && usb.device.shortTermMemoryClasses.isEmpty)
    }

    @Test("an unknown class name in a row is refused at that row's key path, with the closest declared class")
    func unknownClass() throws {
        let error = try rejection(try edited([("row_device_classes: [wox_3ms, wox_10ms, wox_30ms, wox_90ms]",
                                               "row_device_classes: [wox_3ms, wox_10m, wox_30ms, wox_90ms]")]))
        #expect(error.problems.map(\.keyPath) == ["tiles[4].row_device_classes[1]"])
        let message = try #require(error.problems.first?.message)
        #expect(message.hasPrefix("unknown STM device class \"wox_10m\" (row 1); declared in device.short_term_memory_classes: wox_10ms, wox_30ms, wox_3ms, wox_90ms"), "\(message)")
        #expect(message.hasSuffix("did you mean wox_10ms?"), "\(message)")
    }

    @Test("a class list whose length is not the tile's row count is refused naming the key")
    func wrongRowCount() throws {
        let error = try rejection(try edited([("row_device_classes: [wox_3ms, wox_10ms, wox_30ms, wox_90ms]",
                                               "row_device_classes: [wox_3ms, wox_10ms, wox_30ms]")]))
        #expect(error.problems.map(\.keyPath) == ["tiles[4].row_device_classes"])
        #expect(error.problems.first?.message == "lists 3 classes for 4 rows; give one class per row")
    }

    @Test("device classes on a non-volatile tile are refused naming the key")
    func classesOnWeightTile() throws {
        let error = try rejection(try edited([("- {index: 0, kind: nonvolatile_1t1r, rows: 64, columns: 64}",
                                               "- {index: 0, kind: nonvolatile_1t1r, rows: 64, columns: 64, row_device_classes: [wox_3ms]}")]))
        #expect(error.problems.map(\.keyPath) == ["tiles[0].row_device_classes"])
        #expect(error.problems.first?.message.hasPrefix("device classes are for short_term_memory tiles; this tile is nonvolatile_1t1r") == true)
    }

    @Test("rows naming classes on a board that declares none are refused with what to add")
    func noClassesDeclared() throws {
        let text = try RepositoryFiles.text(RepositoryFiles.shipped("usb-4x64"))
            .replacingOccurrences(of: "- {index: 4, kind: short_term_memory, rows: 4, columns: 64}",
                                  with: "- {index: 4, kind: short_term_memory, rows: 4, columns: 64, row_device_classes: [a, a, b, b]}")
        let error = try rejection(text, path: "usb-4x64.yaml")
        #expect(error.problems.map(\.keyPath) == ["tiles[4].row_device_classes[0]", "tiles[4].row_device_classes[1]",
                                                  "tiles[4].row_device_classes[2]", "tiles[4].row_device_classes[3]"])
        #expect(error.problems.first?.message == "unknown STM device class \"a\" (row 0); declare it in device.short_term_memory_classes")
    }

    @Test("a class's keys are those of short_term_memory: a misspelt one is named with the closest key, a bad value with its path")
    func classKeys() throws {
        let error = try rejection(try edited([
            ("      tau_seconds: {mean: 3.0e-3, spread: 0.18}", "      tau_second: {mean: 3.0e-3, spread: 0.18}"),
            ("      increment_fraction: {mean: 0.04, spread: 0.15}", "      increment_fraction: {mean: 1.5, spread: 0.15}"),
        ]))
        #expect(error.problem(at: "device.short_term_memory_classes.wox_3ms.tau_second")?.message == "unknown key; did you mean tau_seconds?")
        #expect(error.problem(at: "device.short_term_memory_classes.wox_90ms.increment_fraction.mean")?.message
                == "must be greater than 0 and at most 1, got 1.5")
        #expect(error.problems.count == 2, "\(error)")
    }

    @Test("a class whose time constant passes the slow one it inherits is refused at the class's slow_tau_seconds")
    func inheritedSlowTau() throws {
        // wox_3ms keeps its own slow time constant (75 ms); without it, it inherits 0.5 s.
        let error = try rejection(try edited([
            ("      slow_tau_seconds: {mean: 2.0, spread: 0.2}\n", ""),
            ("      tau_seconds: {mean: 90.0e-3, spread: 0.15}", "      tau_seconds: {mean: 0.6, spread: 0.15}"),
        ]))
        let problem = try #require(error.problem(at: "device.short_term_memory_classes.wox_90ms.slow_tau_seconds"))
        #expect(problem.message.hasPrefix("0.5 s (inherited from device.short_term_memory; set the class's own) must be above tau_seconds (0.6 s)"), "\(problem)")
    }

    @Test("a class whose threshold is not above the STM read voltage is refused at stm_read_volts, naming the class")
    func readVoltsAgainstClassThreshold() throws {
        let error = try rejection(try edited([("      threshold_volts: {mean: 0.75, spread: 0.1}", "      threshold_volts: {mean: 0.15, spread: 0.1}")]))
        #expect(error.problems.map(\.keyPath) == ["stm_read_volts"])
        #expect(error.problems.first?.message.contains("device.short_term_memory_classes.wox_90ms.threshold_volts (0.15 V)") == true)
    }

    @Test("an empty class section and a class name with spaces are refused")
    func classNames() throws {
        // Inside the device section, which the file's array section follows.
        let shipped = try RepositoryFiles.text(RepositoryFiles.shipped("usb-4x64"))
        let withEmpty = shipped.replacingOccurrences(of: "\narray:", with: "\n  short_term_memory_classes: {}\narray:")
        #expect(withEmpty != shipped)
        let empty = try rejection(withEmpty, path: "usb-4x64.yaml")
        #expect(empty.problems.map(\.keyPath) == ["device.short_term_memory_classes"])
        let spaced = try rejection(try edited([("    wox_3ms:\n", "    \"wox 3ms\":\n")]))
        #expect(spaced.problem(at: "device.short_term_memory_classes.wox 3ms")?.message.contains("not a usable class name") == true)
    }

    @Test("each class is checked against the realistic ranges on its own, by its key path")
    func classRealism() throws {
        let text = try edited([("      tau_seconds: {mean: 90.0e-3, spread: 0.15}", "      tau_seconds: {mean: 0.3, spread: 0.05}")])
        let instrument = try Instrument.parse(yaml: text, path: "usb-4x64-multitau.yaml")
        #expect(instrument.realismWarnings.map(\.keyPath) == ["device.short_term_memory_classes.wox_90ms.tau_seconds",
                                                              "device.short_term_memory_classes.wox_90ms.tau_seconds.spread"])
        #expect(instrument.realismWarnings.first?.message == "STM time constant 300 ms is outside the realistic range 1 ms–100 ms")
    }

    @Test("the canonical text writes every key of every class, and reads back equal whichever keys the file inherited")
    func canonicalText() throws {
        let original = try Instrument.load(path: RepositoryFiles.shipped("usb-4x64-multitau"))
        let canonical = original.canonicalYAML
        #expect(canonical.contains("row_device_classes: [wox_3ms, wox_10ms, wox_30ms, wox_90ms]"))
        #expect(canonical.components(separatedBy: "read_disturb_fraction:").count == 1 + 5)
        // A class changed in one value changes the digest.
        let edited = try Instrument.parse(yaml: try edited([("      base_siemens: {mean: 3.0e-6, spread: 0.1}", "      base_siemens: {mean: 3.1e-6, spread: 0.1}")]),
                                          path: "usb-4x64-multitau.yaml")
        #expect(edited.contentDigest != original.contentDigest)
    }
}
