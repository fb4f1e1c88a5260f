import Foundation
import Testing
@testable import XbarSSM

/// Writes a file with the real Python `safetensors` package and returns its path.
func writeWithPython(_ script: String, name: String) throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("xbar-st-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let path = dir.appendingPathComponent(name).path
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["python3", "-c", script, path]
    let err = Pipe()
    p.standardError = err
    try p.run()
    p.waitUntilExit()
    let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    guard p.terminationStatus == 0 else {
        throw SSMFileError(file: path, problem: "python3 with numpy and safetensors failed (install: python3 -m pip install -r tools/requirements-test.txt): \(message)")
    }
    return path
}

@Suite("safetensors files")
struct SafeTensorsFileTests {
    @Test("a file written by Python's safetensors reads back every dtype, shape, value and metadata string")
    func readsPythonFile() throws {
        let path = try writeWithPython("""
            import sys, numpy as np
            from safetensors.numpy import save_file
            save_file({
              "w": np.arange(12, dtype=np.float32).reshape(3, 4) * 0.5 - 1.0,
              "d": np.array([1e-9, -2.5, 3.0e20], dtype=np.float64),
              "h": np.array([0.5, -2.0, 65504.0], dtype=np.float16),
              "i": np.array([[-3, 7], [2**31 - 1, -2**31]], dtype=np.int32),
              "q": np.array([-128, 0, 127], dtype=np.int8),
              "o": np.array([0, 1, 2, 3], dtype=np.int64),
              "b": np.array([True, False, True]),
            }, sys.argv[1], metadata={"arch": "event-ssm", "tau_seconds": "[0.005, 0.02]"})
            """, name: "model.safetensors")
        let f = try SafeTensorsFile(contentsOf: path)
        #expect(f.metadata["arch"] == "event-ssm")
        #expect(try f.metadataJSON("tau_seconds") as? [Double] == [0.005, 0.02])
        #expect(try f.info("w").shape == [3, 4])
        #expect(try f.info("w").dtype == .float32)
        #expect(try f.doubles("w") == (0..<12).map { Double($0) * 0.5 - 1.0 })
        #expect(try f.doubles("d") == [1e-9, -2.5, 3.0e20])
        #expect(try f.doubles("h") == [0.5, -2.0, 65504.0])
        #expect(try f.integers("i") == [-3, 7, Int(Int32.max), Int(Int32.min)])
        #expect(try f.integers("q") == [-128, 0, 127])
        #expect(try f.integers("o") == [0, 1, 2, 3])
        #expect(try f.integers("b") == [1, 0, 1])
        #expect(throws: SSMFileError.self) { try f.integers("w") }
        #expect(throws: SSMFileError.self) { try f.doubles("missing") }
    }

    @Test("a file truncated at any length is an error naming the file, never a crash")
    func truncatedFiles() throws {
        let path = try writeWithPython("""
            import sys, numpy as np
            from safetensors.numpy import save_file
            save_file({"a": np.ones((4, 4), dtype=np.float32), "b": np.zeros(3, dtype=np.int64)}, sys.argv[1])
            """, name: "t.safetensors")
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        _ = try SafeTensorsFile(bytes: bytes, file: path)
        for n in 0..<bytes.count {
            let error = #expect(throws: SSMFileError.self) { try SafeTensorsFile(bytes: Array(bytes[0..<n]), file: "cut.safetensors") }
            #expect(error?.file == "cut.safetensors")
        }
    }

    @Test("headers that lie about sizes, offsets, dtypes or length are refused with the tensor named")
    func lyingHeaders() throws {
        func file(_ header: String, dataBytes: Int) -> [UInt8] {
            let h = Array(header.utf8)
            var out = (0..<8).map { UInt8((UInt64(h.count) >> (8 * UInt64($0))) & 0xFF) }
            out += h
            out += [UInt8](repeating: 0, count: dataBytes)
            return out
        }
        let cases: [(String, Int, String?, String)] = [
            (#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,12]}}"#, 12, "a", "needs 8"),
            (#"{"a":{"dtype":"F33","shape":[2],"data_offsets":[0,8]}}"#, 8, "a", "unknown dtype"),
            (#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, 4, "a", "truncated"),
            (#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, 8, "b", "overlaps"),
            (#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#, 12, "a", "hole"),
            (#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, 9, nil, "belong to no tensor"),
            (#"{"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,8]}}"#, 8, "a", "larger than the file"),
            (#"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,8]}}"#, 8, "a", "non-negative"),
            (#"{"a": [1, 2"#, 0, nil, "not valid JSON"),
            (#"{"__metadata__":{"k":3}}"#, 0, "__metadata__.k", "strings"),
        ]
        for (header, n, key, phrase) in cases {
            let error = #expect(throws: SSMFileError.self) { try SafeTensorsFile(bytes: file(header, dataBytes: n)) }
            #expect(error?.key == key, "\(header)")
            #expect(error?.problem.contains(phrase) == true, "\(header): \(error?.problem ?? "")")
        }
        var huge = file("{}", dataBytes: 0)
        huge.replaceSubrange(0..<8, with: [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F])
        let error = #expect(throws: SSMFileError.self) { try SafeTensorsFile(bytes: huge) }
        #expect(error?.problem.contains("limit") == true)
    }
}
