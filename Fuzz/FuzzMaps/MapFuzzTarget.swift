import CFuzzerDriver
import Foundation
import XbarJobs

/// Target conductance maps as NPY bytes and as CSV text: any input loads or is refused with
/// a ``MapFileError``, never traps. The first byte picks the reader.
@main
enum MapFuzzer {
    static func main() {
        exit(xbar_fuzz_run(CommandLine.argc, CommandLine.unsafeArgv, mapFuzzTarget))
    }
}

private func mapFuzzTarget(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let mode = bytes.first else { return 0 }
    let rest = Array(bytes.dropFirst())
    if mode & 1 == 0 {
        if let map = try? NPYFile.decode(rest, path: "fuzz.npy") {
            // What was accepted must survive its own writer.
            precondition((try? NPYFile.decode(NPYFile.encode(map), path: "again.npy")) != nil,
                         "an accepted NPY map does not read back after writing")
        }
    } else {
        _ = try? ConductanceCSV.parse(String(decoding: rest, as: UTF8.self), path: "fuzz.csv")
    }
    return 0
}
