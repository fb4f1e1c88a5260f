import ArgumentParser
import Foundation
import XbarSSM

/// What an inference run records when it starts: enough to resume it, and to notice that a
/// file it read changed since.
struct InferArguments: Codable {
    var model: String
    /// SHA-256 of the model file, hex.
    var modelDigest: String
    var data: String
    /// SHA-256 of the data set file, hex.
    var dataDigest: String
    var classNames: [String]
    /// Samples of the run: the first `sampleCount` of the data set.
    var sampleCount: Int
    var board: String
    var instrument: String
    var calibration: String?
    var seed: UInt64
    var program: Bool
    var readout: ChipPreparation.Readout
    var ditherPairs: Int
    var decayOnChip: Bool
    var defectThresholdSiemens: Double
    var weightScaling: String
    var readoutCalibration: String?
    /// "twin" or "none", as decided when the run started.
    var fallback: String
    var chunkSize: Int
    /// Where an event SSM's states live (nil: the model's default).
    var state: InferCommand.StatePlace?
    var nodeCalibration: String?
    /// Whether the calibrated readout converts in the board's sense ranges (nil, as runs recorded
    /// before ranges existed: it does).
    var senseRanges: Bool? = nil
    /// Whether an S4D's decay on the chip is mapped as `a - 1`, the chip giving each step's
    /// increment (nil, as runs recorded before that mapping: it was mapped as `a`).
    var decayIncrements: Bool? = nil
    /// Whether drifted pairs are touched up before inference (nil, as runs recorded before the
    /// touch-up existed: they are not).
    var touchUp: Bool? = nil
    /// Samples played at once on disjoint STM node sets (nil: as many as the tile holds).
    var parallelSamples: Int? = nil
    /// Most runs of a close call and its margin in standard errors (nil, as runs recorded before
    /// close calls were run again: every sample decided on one run).
    var closeCallRuns: Int? = nil
    var closeCallSigmas: Double? = nil

    /// The close-call repeats the run decides with; nil: one run per sample.
    var closeCalls: CloseCallRepeats? {
        get throws { try Self.closeCalls(runs: closeCallRuns ?? 1, sigmas: closeCallSigmas ?? CloseCallRepeats.standard.marginSigmas) }
    }

    /// - Throws: `ValidationError` for a margin that is not a positive number.
    static func closeCalls(runs: Int, sigmas: Double) throws -> CloseCallRepeats? {
        guard runs > 1 else { return nil }
        do {
            return try CloseCallRepeats(marginSigmas: sigmas, largestRuns: runs)
        } catch let error as CloseCallRepeats.Invalid {
            throw ValidationError("\(error)")
        }
    }

    static func decode(_ json: String) throws -> InferArguments {
        try JSONDecoder().decode(InferArguments.self, from: Data(json.utf8))
    }

    func encoded() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}
