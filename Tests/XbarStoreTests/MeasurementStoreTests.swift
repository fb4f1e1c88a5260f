import Foundation
import Testing
@testable import XbarStore

@Suite("Run store: STM traces, pulse-response curves and calibrations")
struct MeasurementStoreTests {
    let draft = RunDraft(kind: "calibrate", user: "tester", backend: "simulated", argumentsJSON: "{}")

    @Test("STM traces come back exactly, board times beyond 2^53 ns included")
    func tracesRoundTrip() throws {
        let t = try TemporaryStore()
        defer { t.cleanup() }
        let run = try t.store.startRun(draft)
        // 2^53 + 1 ns (104 days of uptime) is the first time a double would round.
        let late: UInt64 = (1 << 53) + 1
        let traces = [
            TraceRecord(tile: 4, row: 0, column: 3, point: 0, repetition: 1, amplitudeVolts: 1.4, widthSeconds: 1e-6, pulseCount: 2,
                        pulseEndNanoseconds: late, pulseTimesNanoseconds: [late - 10, late],
                        timestampsNanoseconds: [late + 1_000, late + 2_001], conductancesSiemens: [12.5e-6, 11.25e-6]),
            TraceRecord(tile: 4, row: 1, column: 0, point: -2, repetition: 0, amplitudeVolts: nil, widthSeconds: nil, pulseCount: 0,
                        pulseEndNanoseconds: nil, pulseTimesNanoseconds: [], timestampsNanoseconds: [5], conductancesSiemens: [3e-6]),
        ]
        try t.store.saveTraces(run: run, traces)
        try t.store.saveTraces(run: run, [traces[0]])
        #expect(try t.store.traces(run: run) == traces + [traces[0]])
        let curve = PulseResponseRecord(tile: 0, row: 2, column: 5, polarity: "set", amplitudeVolts: 1.8, widthSeconds: 1e-7,
                                        conductancesSiemens: [2e-6, 4e-6, 5.5e-6])
        try t.store.savePulseResponses(run: run, [curve])
        #expect(try t.store.pulseResponses(run: run) == [curve])
        #expect(try t.store.traces(run: run + 1).isEmpty)
    }

    @Test("a calibration registered twice by content is one calibration, and names the run that made it")
    func calibrationRegistration() throws {
        let t = try TemporaryStore()
        defer { t.cleanup() }
        let run = try t.store.startRun(draft)
        let created = Date(timeIntervalSince1970: 1_800_000_000)
        let first = try t.store.registerCalibration(path: "/tmp/a.json", contentDigest: "d1", content: "{}", instrumentName: "usb-4x64",
                                                    instrumentDigest: "i1", formatVersion: 1, createdAt: created, runID: nil)
        let again = try t.store.registerCalibration(path: "/tmp/copy.json", contentDigest: "d1", content: "{}", instrumentName: "usb-4x64",
                                                    instrumentDigest: "i1", formatVersion: 1, createdAt: created, runID: run)
        let other = try t.store.registerCalibration(path: "/tmp/b.json", contentDigest: "d2", content: nil, instrumentName: "usb-4x64",
                                                    instrumentDigest: "i1", formatVersion: 1, createdAt: created, runID: nil)
        #expect(first == again)
        #expect(other != first)
        let record = try t.store.calibration(first)
        #expect(record == CalibrationRecord(id: first, path: "/tmp/a.json", contentDigest: "d1", instrumentName: "usb-4x64",
                                            instrumentDigest: "i1", formatVersion: 1, createdAt: created, runID: run))
        #expect(try t.store.calibrations(madeBy: run).map(\.id) == [first])
        #expect(throws: StoreError.unknownCalibration(id: 99, path: t.store.path)) { try t.store.calibration(99) }
    }
}
