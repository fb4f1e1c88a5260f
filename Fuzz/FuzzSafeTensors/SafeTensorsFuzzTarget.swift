import CFuzzerDriver
import Foundation
import XbarSSM

/// Model and data set files: any bytes parse or are refused with an ``SSMFileError``, and
/// whatever parses goes on through the model and data set validation, which must refuse
/// what it cannot use (non-finite values, offsets past the end, labels out of range) rather
/// than trap.
@main
enum SafeTensorsFuzzer {
    static func main() {
        exit(xbar_fuzz_run(CommandLine.argc, CommandLine.unsafeArgv, safeTensorsFuzzTarget))
    }
}

private func safeTensorsFuzzTarget(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let file = try? SafeTensorsFile(bytes: bytes, file: "fuzz.safetensors") else { return 0 }
    for name in file.tensors.keys.sorted() {
        _ = try? file.doubles(name)
        _ = try? file.integers(name)
    }
    _ = try? SSMModel(file: file)
    // The data set reader takes a path, as users give it one.
    let path = scratchPath
    guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
        fatalError("cannot write the scratch file \(path)")
    }
    _ = try? EventDataset(contentsOf: path)
    return 0
}

private let scratchPath = NSTemporaryDirectory() + "xbar-fuzz-\(getpid()).safetensors"
