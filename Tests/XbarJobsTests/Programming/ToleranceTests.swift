import Testing
import XbarJobs

@Suite("Programming tolerances as typed")
struct ToleranceTests {
    /// The usb-4x64 defaults' programmable range: 1.95-70 uS, nominal range 78 uS (2-80 uS means).
    let range = ProgrammableRange(lowSiemens: 1.95e-6, highSiemens: 70e-6, nominalRangeSiemens: 78e-6)

    @Test("siemens with or without a prefix, and percentages of the nominal range, resolve to siemens")
    func accepted() throws {
        #expect(try Tolerance(parsing: "1e-6").checkedSiemens(in: range) == 1e-6)
        #expect(abs(try Tolerance(parsing: "0.5uS").checkedSiemens(in: range) - 0.5e-6) < 1e-18)
        // 1 % of the 78 uS nominal range.
        #expect(abs(try Tolerance(parsing: "1%").checkedSiemens(in: range) - 0.78e-6) < 1e-18)
        // Just inside a tenth of the 68.05 uS programmable range (6.805 uS).
        #expect(abs(try Tolerance(parsing: "6.8uS").checkedSiemens(in: range) - 6.8e-6) < 1e-18)
    }

    @Test("a bare tolerance wider than a tenth of the programmable range is refused with the allowed range and a hint")
    func bareOneSiemens() throws {
        let one = try Tolerance(parsing: "1")
        #expect(one == .siemens(1))
        #expect {
            _ = try one.checkedSiemens(in: range, typed: "1")
        } throws: { error in
            let text = "\(error)"
            return text.contains("--tolerance 1:") && text.contains("up to 6.81e-06 S") && text.contains("did you mean 1% or 1uS?")
        }
        // 7 uS is just over the 6.805 uS limit.
        #expect(throws: ProgrammingError.self) { try Tolerance(parsing: "7uS").checkedSiemens(in: range) }
        // 9 % of 78 uS is 7.02 uS: over the limit too, though under 10 %.
        #expect(throws: ProgrammingError.self) { try Tolerance(parsing: "9%").checkedSiemens(in: range) }
    }

    @Test("100%, zero, negative and unreadable tolerances are refused saying what is allowed", arguments: [
        ("100%", "up to 10% of the nominal range"), ("0%", "above 0%"), ("0", "above 0 S"), ("-1e-6", "above 0 S"),
        ("-2%", "above 0%"), ("1 siemens", "expected siemens"), ("abc%", "is not a number"),
    ])
    func refused(text: String, message: String) {
        #expect {
            _ = try Tolerance(parsing: text)
        } throws: { error in
            "\(error)".contains(message) && "\(error)".contains("--tolerance \(text)")
        }
    }
}
