import Foundation

/// One classified sample of an inference run, as stored.
public struct InferenceSampleRecord: Sendable, Hashable {
    /// The sample's index in the data set file.
    public var sample: Int
    public var label: Int
    public var prediction: Int
    /// The model's output for the sample, one value per class.
    public var logits: [Double]
    /// What computed it: the board ("serial:/dev/ttyUSB0"), a twin, the digital reference.
    public var backend: String
    public var completedAt: Date

    public init(sample: Int, label: Int, prediction: Int, logits: [Double], backend: String, completedAt: Date) {
        self.sample = sample
        self.label = label
        self.prediction = prediction
        self.logits = logits
        self.backend = backend
        self.completedAt = completedAt
    }
}
