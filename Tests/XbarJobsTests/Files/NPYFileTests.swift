import Foundation
import Testing
@testable import XbarJobs

/// Runs `python3 -c script args...`; returns stdout, or nil with the reason when Python or
/// NumPy is missing (the caller records why it skipped).
func runPython(_ script: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script] + arguments
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    process.waitUntilExit()
    let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        + String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    return (process.terminationStatus, text)
}

func temporaryFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("xbar-files-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

@Suite("NumPy .npy files")
struct NPYFileTests {
    @Test("a map written here loads in NumPy with the same shape and values, bit for bit")
    func numpyReadsOurs() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("map.npy").path
        let map = ConductanceMap(rows: 3, columns: 5, siemens: (0..<15).map { 1e-6 * Double($0) + 1.0 / 3.0 * 1e-7 })
        try NPYFile.write(map, path: path)
        let script = """
            import sys, numpy
            a = numpy.load(sys.argv[1])
            assert a.dtype == numpy.float64 and a.shape == (3, 5), (a.dtype, a.shape)
            assert a.flags['C_CONTIGUOUS']
            print(' '.join(repr(float(x)) for x in a.ravel()))
            """
        let (status, output) = try runPython(script, [path])
        #expect(status == 0, "python3 failed: \(output)")
        let values = output.split(separator: " ").compactMap { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        #expect(values == map.siemens)
    }

    @Test("files NumPy writes (float64, float32, big-endian, version 2.0) are read with their values")
    func weReadNumPys() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let script = """
            import sys, numpy
            a = (numpy.arange(12, dtype=numpy.float64).reshape(3, 4) + 0.5) * 1e-6
            numpy.save(sys.argv[1] + '/f8.npy', a)
            numpy.save(sys.argv[1] + '/f4.npy', a.astype(numpy.float32))
            numpy.save(sys.argv[1] + '/be.npy', a.astype('>f8'))
            numpy.lib.format.write_array(open(sys.argv[1] + '/v2.npy', 'wb'), a, version=(2, 0))
            numpy.save(sys.argv[1] + '/f.npy', numpy.asfortranarray(a))
            numpy.save(sys.argv[1] + '/i.npy', numpy.arange(12).reshape(3, 4))
            numpy.save(sys.argv[1] + '/3d.npy', numpy.zeros((2, 2, 2)))
            """
        let (status, output) = try runPython(script, [folder.path])
        #expect(status == 0, "python3 failed: \(output)")
        let expected = (0..<12).map { (Double($0) + 0.5) * 1e-6 }
        for name in ["f8", "be", "v2"] {
            let map = try NPYFile.read(path: folder.appendingPathComponent("\(name).npy").path)
            #expect(map.rows == 3 && map.columns == 4)
            #expect(map.siemens == expected, "\(name).npy")
        }
        let f4 = try NPYFile.read(path: folder.appendingPathComponent("f4.npy").path)
        // float32 keeps 24 bits of mantissa: relative error below 2^-24.
        for (a, b) in zip(f4.siemens, expected) { #expect(abs(a - b) <= b * 6e-8) }
        let fortran = folder.appendingPathComponent("f.npy").path
        #expect { try NPYFile.read(path: fortran) } throws: { "\($0)".contains("Fortran order") && "\($0)".contains(fortran) }
        #expect { try NPYFile.read(path: folder.appendingPathComponent("i.npy").path) } throws: { "\($0)".contains("float64 or float32") }
        #expect { try NPYFile.read(path: folder.appendingPathComponent("3d.npy").path) } throws: { "\($0)".contains("2-D") }
    }

    @Test("corrupt files are refused with the file name and what is wrong")
    func corrupt() throws {
        let good = NPYFile.encode(ConductanceMap(rows: 2, columns: 2, siemens: [1, 2, 3, 4]))
        #expect { try NPYFile.decode(Array("hello".utf8), path: "x.npy") } throws: { "\($0)" .contains("x.npy") && "\($0)".contains("magic") }
        #expect { try NPYFile.decode(Array(good.dropLast(3)), path: "t.npy") } throws: { "\($0)".contains("t.npy") && "\($0)".contains("data bytes") }
        var badVersion = good
        badVersion[6] = 9
        #expect { try NPYFile.decode(badVersion, path: "v.npy") } throws: { "\($0)".contains("version 9") }
        var badHeader = good
        badHeader[11] = UInt8(ascii: "[")
        #expect { try NPYFile.decode(badHeader, path: "h.npy") } throws: { "\($0)".contains("h.npy") && "\($0)".contains("header") }
        var shortHeader = good
        shortHeader[8] = 0xFF
        #expect { try NPYFile.decode(shortHeader, path: "s.npy") } throws: { "\($0)".contains("header claims") }
        #expect(try NPYFile.decode(good, path: "ok.npy").siemens == [1, 2, 3, 4])
    }
}

@Suite("CSV conductance maps")
struct ConductanceCSVTests {
    @Test("values round-trip through CSV text exactly, comments and blank lines skipped")
    func roundTrip() throws {
        let map = ConductanceMap(rows: 2, columns: 3, siemens: [1e-6, 2.5e-5, 7.123456789e-5, 3e-6, 4e-6, 5e-6])
        let text = "# siemens\n" + ConductanceCSV.text(map) + "\n"
        #expect(try ConductanceCSV.parse(text, path: "m.csv") == map)
    }

    @Test("a non-number or a ragged line is refused naming the file, line and column")
    func badCSV() throws {
        #expect { try ConductanceCSV.parse("1e-6,2e-6\n3e-6,abc\n", path: "m.csv") } throws: {
            "\($0)" == "m.csv: line 2, column 2: \"abc\" is not a number"
        }
        #expect { try ConductanceCSV.parse("1e-6,2e-6\n3e-6\n", path: "m.csv") } throws: {
            "\($0)" == "m.csv: line 2: 1 values, but the first row has 2"
        }
        #expect { try ConductanceCSV.parse("# nothing\n", path: "e.csv") } throws: { "\($0)".contains("no values") }
    }
}

@Suite("NumPy .npy headers that lie about their size")
struct NPYHeaderSizeTests {
    /// A version 1.0 file whose header claims `shape` and which holds `dataBytes` zero bytes.
    func file(shape: String, dataBytes: Int) -> [UInt8] {
        var header = "{'descr': '<f8', 'fortran_order': False, 'shape': \(shape), }"
        header += String(repeating: " ", count: (64 - (10 + header.utf8.count + 1) % 64) % 64) + "\n"
        let length = header.utf8.count
        return NPYFile.magic + [1, 0, UInt8(length & 0xFF), UInt8(length >> 8)] + Array(header.utf8)
            + [UInt8](repeating: 0, count: dataBytes)
    }

    @Test("a shape whose element count overflows, (2^62, 4), is refused as larger than any file, not a crash")
    func overflowingShape() {
        #expect {
            _ = try NPYFile.decode(file(shape: "(4611686018427387904, 4)", dataBytes: 0), path: "big.npy")
        } throws: { error in
            "\(error)".contains("big.npy: not a valid .npy file: shape (4611686018427387904, 4) of 8-byte floats needs more data bytes than any file holds")
        }
        // Count fits but bytes overflow: 2^61 x 1 elements of 8 bytes.
        #expect(throws: MapFileError.self) { _ = try NPYFile.decode(file(shape: "(2305843009213693952, 1)", dataBytes: 0), path: "b.npy") }
    }

    @Test("a (2, 3) header over 48 data bytes reads; over 40 it is refused naming both sizes")
    func honestShape() throws {
        #expect(try NPYFile.decode(file(shape: "(2, 3)", dataBytes: 48), path: "ok.npy").siemens.count == 6)
        #expect {
            _ = try NPYFile.decode(file(shape: "(2, 3)", dataBytes: 40), path: "short.npy")
        } throws: { error in
            "\(error)".contains("needs 48 data bytes, the file has 40")
        }
    }
}
