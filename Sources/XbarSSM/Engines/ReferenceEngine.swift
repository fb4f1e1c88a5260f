import Foundation

/// The digital reference: the model's forward pass in float64 on the host, reproducing
/// `tools/reference_forward.py`.
public struct ReferenceEngine: Sendable {
    public let model: SSMModel

    public init(model: SSMModel) { self.model = model }

    /// Runs the samples, one at a time.
    public func run(_ samples: [EventSample]) -> InferenceRun {
        var backend = DigitalBackend(model: model)
        let forward = SSMForward(model: model)
        let clock = ContinuousClock()
        let start = clock.now
        var logits: [[Double]] = []
        for s in samples {
            // The digital backend cannot fail.
            logits += (try? forward.logits([s], backend: &backend)) ?? []
        }
        let elapsed = start.duration(to: clock.now)
        return InferenceRun(logits: logits, labels: samples.map(\.label), backend: backend.backendDescription,
                            eventCount: samples.reduce(0) { $0 + $1.events.count },
                            wallSeconds: elapsed.seconds, mvmRequests: 0, mvmVectors: 0)
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
