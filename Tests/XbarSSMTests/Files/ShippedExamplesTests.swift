import Foundation
import Testing
import XbarSSM

/// The example models and event data sets in examples/, written by the Python tools.
@Suite("shipped example files")
struct ShippedExamplesTests {
    static let examples = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("examples")

    static var files: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: examples.path)) ?? [])
            .filter { $0.hasSuffix(".safetensors") }.sorted()
    }

    @Test("examples/ holds the event data sets, the models of both architectures and the reference outputs")
    func inventory() {
        let names = Self.files
        #expect(names.contains("event_digits_test.safetensors"))
        #expect(names.contains("spoken_digits_test.safetensors"))
        #expect(names.contains("reference_outputs.safetensors"))
        #expect(names.filter { $0.contains("event_ssm") }.count >= 2)
        #expect(names.filter { $0.contains("s4d") }.count >= 2)
    }

    @Test("every shipped file is a valid safetensors file", arguments: ShippedExamplesTests.files)
    func readsEveryFile(name: String) throws {
        let file = try SafeTensorsFile(contentsOf: Self.examples.appendingPathComponent(name).path)
        #expect(!file.tensors.isEmpty)
        for tensor in file.tensors.keys {
            let values = try file.doubles(tensor)
            #expect(values.allSatisfy { $0.isFinite }, "\(name): \(tensor) holds a non-finite value")
        }
        if let architecture = file.metadata["architecture"] {
            #expect(["event_ssm", "s4d"].contains(architecture), "\(name)")
            #expect(try file.metadataJSON("decay_tau_seconds") != nil, "\(name): decay constants missing")
        }
    }

    @Test("event data sets are consistent: offsets cover every event, times sorted within a sample, channels in range",
          arguments: ["event_digits_test.safetensors", "spoken_digits_test.safetensors"])
    func eventDataSets(name: String) throws {
        let file = try SafeTensorsFile(contentsOf: Self.examples.appendingPathComponent(name).path)
        #expect(file.metadata["format"] == "xbarlab-events-1")
        let times = try file.doubles("events_time_seconds")
        let channels = try file.integers("events_channel")
        let offsets = try file.integers("sample_offsets")
        let labels = try file.integers("labels")
        let channelCount = Int(file.metadata["num_channels"] ?? "") ?? -1
        #expect(offsets.first == 0)
        #expect(offsets.last == times.count)
        #expect(offsets.count == labels.count + 1)
        #expect(channels.count == times.count)
        #expect(channels.allSatisfy { $0 >= 0 && $0 < channelCount })
        for s in 0..<labels.count {
            #expect(offsets[s] <= offsets[s + 1])
            let sample = times[offsets[s]..<offsets[s + 1]]
            #expect(zip(sample, sample.dropFirst()).allSatisfy { $0 <= $1 }, "\(name): sample \(s) is not sorted by time")
        }
    }
}
