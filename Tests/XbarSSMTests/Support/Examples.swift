import Foundation
import XbarInstrument
@testable import XbarSSM

/// The repository's shipped example models and data sets (`examples/`), found from this
/// source file's location so tests run from any working directory.
enum Examples {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let folder = root.appendingPathComponent("examples")

    static func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    /// The reference logits file; its keys are `<model file stem>.logits`.
    static var referenceOutputs: String { path("reference_outputs.safetensors") }

    /// Model stems that have reference logits.
    static func modelsWithReferenceLogits() throws -> [String] {
        let f = try SafeTensorsFile(contentsOf: referenceOutputs)
        return f.tensors.keys.filter { $0.hasSuffix(".logits") }.map { String($0.dropLast(".logits".count)) }.sorted()
    }

    static func model(_ stem: String) throws -> SSMModel { try SSMModel(contentsOf: path("\(stem).safetensors")) }

    /// The test split a model was evaluated on.
    static func testData(of model: SSMModel) throws -> EventDataset {
        guard let name = model.testDataFile else {
            throw SSMFileError(file: model.file, key: "__metadata__.test_data", problem: "is missing")
        }
        return try EventDataset(contentsOf: path(name))
    }

    static func instrument() throws -> Instrument {
        try InstrumentCatalog(directory: root.appendingPathComponent("instruments").path).resolve("usb-4x64")
    }
}

/// Runs a Python script with the real `numpy` and `safetensors` packages; arguments follow the script.
enum Python {
    @discardableResult
    static func run(_ script: String, _ arguments: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", script] + arguments
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let output = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw SSMFileError(file: "python3", problem: "the script failed (needs numpy and safetensors: python3 -m pip install -r tools/requirements-test.txt): \(message)")
        }
        return output
    }

    static func temporaryFolder() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("xbar-ssm-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }
}
