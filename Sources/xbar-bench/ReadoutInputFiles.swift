import Foundation
import XbarSSM

/// Records what an event SSM's last block and readout are given on the chip, sample by sample
/// over a data set, as raw little-endian float32 files and a JSON index the model tools read
/// (`tools/board_readout.py`): `<prefix>_pooled.f32` `[samples, d]`, `<prefix>_inputs.f32`
/// `[events, d]`, `<prefix>_states.f32` `[events, n]`, and in `<prefix>.json` the shapes, the
/// labels, each sample's first event and the engine's accuracy on them.
enum ReadoutInputFiles {
    /// Samples run between two writes: a 2000-sample split's per-event inputs (about 0.3 GB as
    /// doubles) are never all in memory.
    static let chunk = 16

    /// - Throws: what the engine throws (a board fault), or a file error writing the outputs.
    static func record(engine: ChipInLoopEngine, data: EventDataset, limit: Int, prefix: String) throws {
        let samples = Array(data.samples.prefix(limit))
        let recorder = ReadoutInputRecorder()
        engine.recorder = recorder
        defer { engine.recorder = nil }
        let names = ["pooled", "inputs", "states"]
        for n in names { _ = FileManager.default.createFile(atPath: "\(prefix)_\(n).f32", contents: nil) }
        let handles = try names.map { try FileHandle(forWritingTo: URL(fileURLWithPath: "\(prefix)_\($0).f32")) }
        defer { for h in handles { try? h.close() } }
        var offsets = [0], correct = 0, widths = [0, 0, 0]
        var hostSeconds = 0.0
        var i = 0
        while i < samples.count {
            let part = Array(samples[i..<min(i + chunk, samples.count)])
            let run = try engine.run(part)
            hostSeconds += run.wallSeconds
            correct += zip(run.predictions, run.labels).filter { $0 == $1 }.count
            let r = recorder.take()
            for (h, rows) in zip(handles, [r.pooled, r.lastBlockInputs.flatMap { $0 }, r.lastBlockStates.flatMap { $0 }]) {
                try h.write(contentsOf: float32Bytes(rows))
            }
            widths = [r.pooled.first?.count ?? 0, r.lastBlockInputs.first?.first?.count ?? 0, r.lastBlockStates.first?.first?.count ?? 0]
            for e in r.lastBlockInputs { offsets.append(offsets.last! + e.count) }
            i += part.count
            print(String(format: "  recorded %d of %d samples, engine accuracy %.2f %% so far (%.0f s)", i, samples.count,
                         100 * Double(correct) / Double(i), hostSeconds))
        }
        let index: [String: Any] = [
            "samples": samples.count, "events": offsets.last!, "pooled_width": widths[0], "input_width": widths[1],
            "state_width": widths[2], "sample_offsets": offsets, "labels": samples.map(\.label),
            "engine_accuracy": Double(correct) / Double(max(samples.count, 1)),
        ]
        try JSONSerialization.data(withJSONObject: index, options: [.sortedKeys]).write(to: URL(fileURLWithPath: "\(prefix).json"))
        print("  wrote \(prefix).json and its .f32 files")
    }

    private static func float32Bytes(_ rows: [[Double]]) -> Data {
        var out = Data(capacity: rows.reduce(0) { $0 + 4 * $1.count })
        for row in rows {
            for v in row { withUnsafeBytes(of: Float(v).bitPattern.littleEndian) { out.append(contentsOf: $0) } }
        }
        return out
    }
}
