import CFuzzerDriver
import Foundation
import XbarInstrument

/// Instrument files as a user may write them, or damage them: any text must load or be
/// refused with an ``InstrumentFileError``, never trap.
@main
enum InstrumentFuzzer {
    static func main() {
        exit(xbar_fuzz_run(CommandLine.argc, CommandLine.unsafeArgv, instrumentFuzzTarget))
    }
}

private func instrumentFuzzTarget(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    _ = try? Instrument.parse(yaml: text, path: "fuzz.yaml")
    return 0
}
