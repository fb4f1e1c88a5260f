import Foundation
import Testing
@testable import XbarSSM

/// Event data sets whose numbers cannot be used: each is refused naming the tensor, never a crash.
@Suite("event data sets with unusable numbers")
struct EventDatasetNumberTests {
    /// A two-sample, three-event data set written by Python's safetensors, after `edit` (Python
    /// statements changing the dict `t`) has run on it.
    func dataset(_ edit: String) throws -> String {
        try writeWithPython("""
            import sys, json, numpy as np
            from safetensors.numpy import save_file
            t = {
              "events_time_seconds": np.array([0.001, 0.002, 0.003]),
              "events_channel": np.array([0, 1, 2], dtype=np.int32),
              "events_polarity": np.array([1, -1, 1], dtype=np.int8),
              "sample_offsets": np.array([0, 2, 3], dtype=np.int64),
              "labels": np.array([0, 1], dtype=np.int32),
            }
            \(edit)
            save_file(t, sys.argv[1], metadata={"format": "xbarlab-events-1", "class_names": json.dumps(["a", "b"]),
                                                "num_channels": "4"})
            """, name: "data.safetensors")
    }

    func refusal(_ edit: String) throws -> SSMFileError {
        let path = try dataset(edit)
        do {
            _ = try EventDataset(contentsOf: path)
        } catch {
            return error
        }
        Issue.record("the data set was accepted after: \(edit)")
        return SSMFileError(file: path, problem: "accepted")
    }

    @Test("the unedited data set reads: 2 samples, channels and labels exact")
    func plainSetReads() throws {
        let set = try EventDataset(contentsOf: try dataset(""))
        #expect(set.count == 2)
        #expect(set.samples.map(\.label) == [0, 1])
        #expect(set.samples.flatMap { $0.events.map(\.channel) } == [0, 1, 2])
    }

    @Test("labels stored as F64 with a NaN are refused naming labels")
    func nanLabels() throws {
        let e = try refusal("t['labels'] = np.array([float('nan'), 1.0])")
        #expect(e.key == "labels")
        #expect(e.problem.contains("is F64, expected an integer tensor"))
    }

    @Test("a channel of 1e300 (F64) is refused naming events_channel")
    func hugeFloatChannel() throws {
        let e = try refusal("t['events_channel'] = np.array([0.0, 1e300, 2.0])")
        #expect(e.key == "events_channel")
        #expect(e.problem.contains("is F64"))
    }

    @Test("an I64 channel beyond the set's channels is refused with its exact value")
    func hugeIntegerChannel() throws {
        let e = try refusal("t['events_channel'] = np.array([0, 2**62, 2], dtype=np.int64)")
        #expect(e.key == "events_channel")
        #expect(e.problem.contains("channel \(1 << 62)"))
    }

    @Test("a sample offset of INT64_MAX is refused as beyond the event count")
    func hugeOffset() throws {
        let e = try refusal("t['sample_offsets'] = np.array([0, 2**63 - 1, 3], dtype=np.int64)")
        #expect(e.key == "sample_offsets")
        #expect(e.problem.contains("offset 1 (9223372036854775807) is beyond the event count 3"))
    }

    @Test("a U64 label above Int.max is refused naming the element")
    func unsignedAboveIntMax() throws {
        let e = try refusal("t['labels'] = np.array([0, 2**64 - 1], dtype=np.uint64)")
        #expect(e.key == "labels")
        #expect(e.problem.contains("element 1 is 18446744073709551615"))
    }

    @Test("I64 values are read exactly, not through a double (2^53 + 1 stays odd)")
    func exactIntegers() throws {
        let path = try writeWithPython("""
            import sys, numpy as np
            from safetensors.numpy import save_file
            save_file({"o": np.array([2**53 + 1, -(2**63), 2**63 - 1], dtype=np.int64)}, sys.argv[1])
            """, name: "ints.safetensors")
        #expect(try SafeTensorsFile(contentsOf: path).integers("o") == [(1 << 53) + 1, Int.min, Int.max])
    }
}
