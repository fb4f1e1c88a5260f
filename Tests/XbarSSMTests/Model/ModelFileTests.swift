import Foundation
import Testing
@testable import XbarSSM

/// Writes a broken copy of a shipped model with Python's safetensors: `edit` is Python code that
/// changes the dict `t` (tensors) and the dict `m` (metadata strings, JSON parsed in `j`).
private func brokenCopy(of stem: String, _ edit: String) throws -> String {
    let out = try Python.temporaryFolder().appendingPathComponent("broken.safetensors").path
    try Python.run("""
        import sys, json
        from safetensors.numpy import load_file, save_file
        from safetensors import safe_open
        t = load_file(sys.argv[1])
        with safe_open(sys.argv[1], "numpy") as f: m = dict(f.metadata())
        j = {k: json.loads(m[k]) for k in ("tile_map", "blocks", "quantisation")}
        \(edit)
        for k, v in j.items(): m[k] = json.dumps(v)
        save_file(t, sys.argv[2], metadata=m)
        """, [Examples.path("\(stem).safetensors"), out])
    return out
}

@Suite("model files")
struct ModelFileTests {
    @Test("every shipped model loads with its architecture, layers, decay constants and placements")
    func shippedModelsLoad() throws {
        for stem in try Examples.modelsWithReferenceLogits() {
            let model = try Examples.model(stem)
            #expect(model.layers.count >= 1)
            #expect(model.layers.allSatisfy { $0.tauSeconds.allSatisfy { $0 > 1e-4 && $0 < 1 } })
            #expect(!model.placements.isEmpty)
            #expect(model.classNames.count == model.readoutBias.count)
        }
    }

    @Test("a missing tensor is refused naming the file and the tensor")
    func missingTensor() throws {
        let stem = try #require(try Examples.modelsWithReferenceLogits().first)
        let path = try brokenCopy(of: stem, "del t['layers.1.C']")
        let error = #expect(throws: SSMFileError.self) { try SSMModel(contentsOf: path) }
        #expect(error?.file == path)
        #expect(error?.key == "layers.1.C")
        #expect(error?.problem.contains("missing") == true)
    }

    @Test("a tensor of the wrong shape is refused naming its shape and the one expected")
    func wrongShape() throws {
        let stem = try #require(try Examples.modelsWithReferenceLogits().first)
        let path = try brokenCopy(of: stem, "t['layers.0.B'] = t['layers.0.B'][:, :-1].copy()")
        let error = #expect(throws: SSMFileError.self) { try SSMModel(contentsOf: path) }
        #expect(error?.key == "layers.0.B")
        #expect(error?.problem.contains("expected") == true)
    }

    @Test("placements that lie (wrong output count, overlapping slabs, an input left out) are refused naming the placement")
    func lyingPlacements() throws {
        let stem = try #require(try Examples.modelsWithReferenceLogits().first)
        let cases: [(String, String)] = [
            ("j['tile_map']['placements'][0]['outputs'] += 1", "outputs"),
            ("j['tile_map']['placements'][1]['tile'] = j['tile_map']['placements'][0]['tile']; j['tile_map']['placements'][1]['row_offset'] = j['tile_map']['placements'][0]['row_offset']", "already used"),
            ("j['tile_map']['placements'][0]['rows'] -= 1", "exactly one"),
            ("j['tile_map']['placements'][0]['tile'] = 7", "does not exist"),
            ("j['tile_map']['placements'][0]['col_pair_offset'] = 2**62", "col_pair_offset is 4611686018427387904; expected 0...65535"),
            ("j['tile_map']['placements'][0]['row_offset'] = 2**63 - 1", "row_offset is 9223372036854775807; expected 0...65535"),
            ("j['tile_map']['placements'][0]['input_offset'] = -1", "input_offset is -1; expected 0...65535"),
        ]
        for (edit, phrase) in cases {
            let path = try brokenCopy(of: stem, edit)
            let error = #expect(throws: SSMFileError.self, "\(edit)") { try SSMModel(contentsOf: path) }
            #expect(error?.key == "__metadata__.tile_map", "\(edit): \(String(describing: error))")
            #expect(error?.description.contains(phrase) == true, "\(edit): \(String(describing: error))")
        }
    }

    @Test("decay constants that disagree with the metadata's groups are refused naming the state")
    func decayDisagrees() throws {
        let stem = try #require(try Examples.modelsWithReferenceLogits().first)
        let path = try brokenCopy(of: stem, "t['layers.0.tau_seconds'] = t['layers.0.tau_seconds'] * 2")
        let error = #expect(throws: SSMFileError.self) { try SSMModel(contentsOf: path) }
        #expect(error?.key == "layers.0.tau_seconds")
    }

    @Test("an unknown architecture is refused naming the ones known")
    func unknownArchitecture() throws {
        let stem = try #require(try Examples.modelsWithReferenceLogits().first)
        let path = try brokenCopy(of: stem, "m['architecture'] = 'mamba'")
        let error = #expect(throws: SSMFileError.self) { try SSMModel(contentsOf: path) }
        #expect(error?.key == "__metadata__.architecture")
        #expect(error?.problem.contains("event_ssm") == true)
    }
}
