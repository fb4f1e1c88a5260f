import Testing
@testable import XbarJobs

@Suite("tolerances beyond what a read resolves")
struct ToleranceRangeTests {
    @Test("1e-12 S and 0.000001 % are accepted; 1e-300 S, 1e-300 %, 100 %, NaN and infinity refused naming the text")
    func boundaries() throws {
        #expect(try Tolerance(parsing: "1e-12") == .siemens(1e-12))
        #expect(try Tolerance(parsing: "1") == .siemens(1))
        #expect(try Tolerance(parsing: "0.000001%") == .percentOfRange(1e-6))
        for text in ["1e-300", "9.9e-13", "1e-300%", "100%", "nan", "inf", "-1%"] {
            do {
                _ = try Tolerance(parsing: text)
                Issue.record("\(text) was accepted")
            } catch {
                guard case .badTolerance(let typed, _) = error else { Issue.record("\(text): \(error)"); continue }
                #expect(typed == text)
            }
        }
    }

    @Test("the verify averaging for the smallest tolerance is the most the board averages, not an overflow")
    func averagingCapped() {
        #expect(ProgrammingSettings.verifyAverages(readNoiseSpread: 0.015, highSiemens: 100e-6, toleranceSiemens: 1e-12,
                                                   maxAverages: 128) == 128)
        // 1.5 uS of noise against a 3 uS tolerance: (8 x 1.5 / 3)^2 = 16 reads.
        #expect(ProgrammingSettings.verifyAverages(readNoiseSpread: 0.015, highSiemens: 100e-6, toleranceSiemens: 3e-6,
                                                   maxAverages: 128) == 16)
    }
}
