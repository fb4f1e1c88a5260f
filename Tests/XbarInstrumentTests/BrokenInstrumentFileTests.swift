import Testing
import XbarInstrument
import XbarWire

/// Each fixture in Fixtures/ breaks the shipped usb-4x64 (or serial-32x32) file in a known way.
@Suite("broken instrument files")
struct BrokenInstrumentFileTests {
    /// Loads a fixture that must be rejected and returns the error.
    private func rejection(_ fixture: String) throws -> InstrumentFileError {
        let path = RepositoryFiles.fixture(fixture)
        do throws(InstrumentFileError) {
            let instrument = try Instrument.load(path: path)
            Issue.record("\(fixture).yaml was accepted as \(instrument.name)")
            throw InstrumentFileError(path: path, problems: [])
        } catch {
            #expect(error.path == path)
            return error
        }
    }

    @Test("a word where a number belongs is named by key path, with the word quoted")
    func badNumber() throws {
        let error = try rejection("bad-number")
        #expect(error.problems.map(\.keyPath) == ["limits.max_set_volts"])
        #expect(error.description == "\(RepositoryFiles.fixture("bad-number")): limits.max_set_volts: expected a number, got \"abc\" (line 26)")
    }

    @Test("a misspelt key is reported as unknown with the closest known key, and the real key as missing")
    func misspeltKey() throws {
        let error = try rejection("misspelt-key")
        let unknown = try #require(error.problem(at: "limits.max_set_volt"))
        #expect(unknown.message == "unknown key; did you mean max_set_volts?")
        #expect(unknown.line == 26)
        #expect(error.problem(at: "limits.max_set_volts")?.message.contains("missing") == true)
    }

    @Test("a key that resembles nothing lists the keys that are allowed there")
    func unrelatedKey() throws {
        let text = try RepositoryFiles.text(RepositoryFiles.shipped("usb-4x64"))
            .replacingOccurrences(of: "dac:\n  bits: 8", with: "dac:\n  flux_capacitor: 1\n  bits: 8")
        let error = try rejection(yaml: text)
        #expect(error.problem(at: "dac.flux_capacitor")?.message == "unknown key; known keys here: bits, full_scale_volts")
    }

    @Test("a sense range whose noise is a tenth of its full scale or more, or without a full scale, is refused naming the range")
    func badSenseRanges() throws {
        let shipped = try RepositoryFiles.text(RepositoryFiles.shipped("usb-4x64"))
        let noisy = shipped.replacingOccurrences(of: "{full_scale_amperes: 4e-06, noise_amperes: 3e-08}",
                                                 with: "{full_scale_amperes: 4e-06, noise_amperes: 5e-07}")
        #expect(noisy != shipped)
        let error = try rejection(yaml: noisy)
        #expect(error.problem(at: "adc.sense_ranges[4].noise_amperes")?.message.contains("a tenth of the range's") == true)
        let missing = shipped.replacingOccurrences(of: "{full_scale_amperes: 1.6e-05, noise_amperes: 4e-08}", with: "{noise_amperes: 4e-08}")
        #expect(try rejection(yaml: missing).problem(at: "adc.sense_ranges[3].full_scale_amperes")?.message.contains("missing") == true)
    }

    @Test("camel case and hyphens find the snake_case key")
    func suggestionIgnoresCaseAndSeparators() throws {
        let text = try RepositoryFiles.text(RepositoryFiles.shipped("usb-4x64"))
            .replacingOccurrences(of: "compliance_amperes:", with: "complianceAmperes:")
            .replacingOccurrences(of: "max_read_train_length:", with: "max-read-train-length:")
        let error = try rejection(yaml: text)
        #expect(error.problem(at: "limits.complianceAmperes")?.message == "unknown key; did you mean compliance_amperes?")
        #expect(error.problem(at: "limits.max-read-train-length")?.message == "unknown key; did you mean max_read_train_length?")
    }

    @Test("a YAML syntax error names its line and column")
    func syntaxError() throws {
        let error = try rejection("syntax-error")
        let problem = try #require(error.problems.first)
        #expect(error.problems.count == 1)
        // The fixture indents `max_reset_volts` (line 27) by one space instead of two.
        #expect(problem.line == 27)
        #expect(problem.column == 2)
        #expect(problem.keyPath == "")
        #expect(error.description.hasPrefix("\(RepositoryFiles.fixture("syntax-error")): line 27, column 2: YAML syntax error: "))
    }

    @Test("swapped endpoint addresses are both reported with the direction bit explained")
    func swappedEndpoints() throws {
        let error = try rejection("swapped-endpoints")
        #expect(error.problems.map(\.keyPath) == ["transport.out_endpoint", "transport.in_endpoint"])
        #expect(error.problem(at: "transport.out_endpoint")?.message.hasPrefix("0x81 is an IN address") == true)
        #expect(error.problem(at: "transport.in_endpoint")?.message.hasPrefix("0x02 is an OUT address") == true)
    }

    @Test("every out-of-range value in a file is reported at once, in file order")
    func outOfRange() throws {
        let error = try rejection("out-of-range")
        #expect(error.problems.map(\.keyPath) == [
            "transport.vendor_id",
            "tiles[2].rows",
            "tiles[2].index",
            "limits.min_pulse_width_seconds",
            "adc.bits",
            "device.non_volatile.g_min_siemens",
            "device.non_volatile.set_threshold_volts",
            "device.non_volatile.width_exponent",
            "device.non_volatile.stuck_at_max_rate",
            "device.short_term_memory.tau_seconds.spread",
            "device.short_term_memory.width_exponent",
        ])
        let lines = error.problems.compactMap(\.line)
        #expect(lines.count == error.problems.count)
        #expect(lines == lines.sorted())
        #expect(error.description.split(separator: "\n").count == 11)
        #expect(error.problem(at: "transport.vendor_id")?.message == "must be in 0x0000...0xFFFF, got 0x1FFFF")
        #expect(error.problem(at: "tiles[2].index")?.message == "tile index 1 is already used by tiles[1]; tile indices must be unique")
    }

    @Test("missing required keys and sections are each named")
    func missingKeys() throws {
        let error = try rejection("missing-keys")
        #expect(error.problems.map(\.keyPath) == ["model", "adc", "device.non_volatile.read_noise_spread"])
        #expect(error.problems.allSatisfy { $0.message.hasPrefix("missing; add it (") })
        #expect(error.problem(at: "device.non_volatile.read_noise_spread")?.message == "missing; add it (a fraction, e.g. 0.05)")
    }

    @Test("serial settings: bad data bits, a misspelt parity, and half an adapter VID/PID")
    func badSerial() throws {
        let error = try rejection("bad-serial")
        #expect(Set(error.problems.map(\.keyPath)) == ["transport.data_bits", "transport.parity", "transport.usb_product_id"])
        #expect(error.problem(at: "transport.parity")?.message == "expected one of none, odd, even, got \"evn\"; did you mean even?")
    }

    @Test("a quoted number, an empty value, a list, NaN and a value too small for a float are each explained")
    func wrongShapes() throws {
        let text = try RepositoryFiles.text(RepositoryFiles.shipped("usb-4x64"))
            .replacingOccurrences(of: "max_set_volts: 3.0", with: "max_set_volts: \"3.0\"")
            .replacingOccurrences(of: "max_reset_volts: 3.3", with: "max_reset_volts:")
            .replacingOccurrences(of: "max_read_volts: 0.5", with: "max_read_volts: [0.5]")
            .replacingOccurrences(of: "max_mvm_volts: 0.3", with: "max_mvm_volts: .nan")
            .replacingOccurrences(of: "compliance_amperes: 200.0e-6", with: "compliance_amperes: 1e-60")
        let error = try rejection(yaml: text)
        #expect(error.problem(at: "limits.max_set_volts")?.message == "expected a number, got the quoted text \"3.0\"; write numbers without quotes")
        #expect(error.problem(at: "limits.max_reset_volts")?.message == "expected a number, got nothing")
        #expect(error.problem(at: "limits.max_read_volts")?.message == "expected a number, got a list")
        #expect(error.problem(at: "limits.max_mvm_volts")?.message == "expected a number, got \".nan\"")
        #expect(error.problem(at: "limits.compliance_amperes")?.message == "1e-60 is outside the range of a 32-bit float (about 1e-38...3e38)")
    }

    @Test("a name key that differs from the file name is refused")
    func nameMismatch() throws {
        let text = try RepositoryFiles.text(RepositoryFiles.shipped("usb-4x64"))
        let error = try rejection(yaml: text, path: "/tmp/usb-copy.yaml")
        #expect(error.problems.map(\.keyPath) == ["name"])
    }

    @Test("a default read voltage above the read limit or at the SET threshold is refused")
    func readVoltsAgainstLimits() throws {
        let text = try RepositoryFiles.text(RepositoryFiles.shipped("usb-4x64"))
            .replacingOccurrences(of: "read_volts: 0.2\nstm_read_volts: 0.2", with: "read_volts: 1.0\nstm_read_volts: 0.6")
        let error = try rejection(yaml: text)
        // 1.0 V breaks both the 0.5 V read limit and the 1.0 V SET threshold; 0.6 V only the limit.
        #expect(error.problems.map(\.keyPath) == ["read_volts", "read_volts", "stm_read_volts"])
    }

    @Test("a key given twice is named with the line of its first appearance")
    func duplicateKey() throws {
        let text = try RepositoryFiles.text(RepositoryFiles.shipped("usb-4x64"))
            .replacingOccurrences(of: "  max_reset_volts: 3.3\n", with: "  max_reset_volts: 3.3\n  max_set_volts: 2.0\n")
        let error = try rejection(yaml: text)
        #expect(error.problems == [InstrumentProblem(keyPath: "max_set_volts", message: "appears more than once in the same mapping; keep one", line: 26, column: 3)])
    }

    @Test("an empty file, a folder and a missing file are explained")
    func emptyAndMissing() throws {
        let empty = try rejection(yaml: "# nothing here\n", path: "empty.yaml")
        #expect(empty.problems.first?.message.hasPrefix("the file is empty") == true)
        let folderPath = RepositoryFiles.testsFolder.appendingPathComponent("Fixtures").path
        #expect(throws: InstrumentFileError(path: folderPath, problems: [
            InstrumentProblem(keyPath: "", message: "is a folder; give one instrument file in it (.yaml)"),
        ])) {
            try Instrument.load(path: folderPath)
        }
        let missing = try rejection("../../nonexistent")
        #expect(missing.description.hasSuffix("nonexistent.yaml: no such file; give the path of an instrument file (.yaml) or a name from `xbar instruments`"))
    }

    /// Parses text that must be rejected and returns the error.
    private func rejection(yaml: String, path: String = "usb-4x64.yaml") throws -> InstrumentFileError {
        do throws(InstrumentFileError) {
            let instrument = try Instrument.parse(yaml: yaml, path: path)
            Issue.record("the text was accepted as \(instrument.name)")
            throw InstrumentFileError(path: path, problems: [])
        } catch {
            return error
        }
    }
}

@Suite("limit keys in instrument files")
struct LimitKeyTests {
    /// A refusal names `LimitID.instrumentKey`; the user must find exactly that key in the file.
    @Test("every limit a board can refuse is read from the key its refusal names",
          arguments: LimitID.allCases.filter { $0 != .none })
    func limitKeysMatch(limit: LimitID) throws {
        let key = try #require(limit.instrumentKey.split(separator: ".").last.map(String.init))
        let text = try RepositoryFiles.text(RepositoryFiles.shipped("usb-4x64"))
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let without = lines.filter { !$0.hasPrefix("  \(key):") }.joined(separator: "\n")
        #expect(without.count < text.count, "the shipped file has no line for \(key)")
        do throws(InstrumentFileError) {
            let parsed = try Instrument.parse(yaml: without, path: "usb-4x64.yaml")
            // The forming limit is optional: a board without it forms nothing beyond SET.
            if limit == .formingVolts {
                #expect(parsed.limits.maxFormingVolts == nil)
                return
            }
            Issue.record("the file without \(key) was accepted")
        } catch {
            #expect(error.problems.map(\.keyPath) == [limit.instrumentKey])
        }
    }
}
