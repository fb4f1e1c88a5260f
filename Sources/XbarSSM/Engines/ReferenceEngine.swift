import Foundation

/// The digital reference: the model's forward pass in float64 on the host, reproducing
/// `tools/reference_forward.py`.
public struct ReferenceEngine: Sendable {
    public let model: SSMModel
    /// Which compiled copy of the event kernel's vector loops runs (the same logits from either).
    public let instructions: VectorInstructionSet

    /// - Parameter instructions: must be one this CPU runs (``VectorInstructionSet/isSupported``);
    ///   the kernel stops the process otherwise rather than fault on an illegal instruction.
    public init(model: SSMModel, instructions: VectorInstructionSet = .fastest) {
        self.model = model
        self.instructions = instructions
    }

    /// Runs the samples, one at a time: an event SSM through ``EventSSMKernel`` (event by event
    /// in flat buffers), an S4D through ``SSMForward`` with the ``DigitalBackend``.
    public func run(_ samples: [EventSample]) -> InferenceRun {
        let clock = ContinuousClock()
        let start = clock.now
        let logits = model.architecture == .eventSSM ? eventLogits(samples) : layerwiseLogits(samples)
        let elapsed = start.duration(to: clock.now)
        return InferenceRun(logits: logits, labels: samples.map(\.label), backend: DigitalBackend(model: model).backendDescription,
                            eventCount: samples.reduce(0) { $0 + $1.events.count },
                            wallSeconds: elapsed.seconds, mvmRequests: 0, mvmVectors: 0)
    }

    /// The same logits computed layer by layer over whole samples with a vector per event
    /// (``SSMForward``), the way the chip-in-loop engine computes them; kept to compare the
    /// two paths' speed and results.
    public func runLayerwise(_ samples: [EventSample]) -> InferenceRun {
        let clock = ContinuousClock()
        let start = clock.now
        let logits = layerwiseLogits(samples)
        let elapsed = start.duration(to: clock.now)
        return InferenceRun(logits: logits, labels: samples.map(\.label), backend: DigitalBackend(model: model).backendDescription,
                            eventCount: samples.reduce(0) { $0 + $1.events.count },
                            wallSeconds: elapsed.seconds, mvmRequests: 0, mvmVectors: 0)
    }

    private func eventLogits(_ samples: [EventSample]) -> [[Double]] {
        let kernel = EventSSMKernel(model: model, instructions: instructions)
        return samples.map(kernel.logits)
    }

    private func layerwiseLogits(_ samples: [EventSample]) -> [[Double]] {
        var backend = DigitalBackend(model: model)
        let forward = SSMForward(model: model)
        var logits: [[Double]] = []
        for s in samples {
            // The digital backend cannot fail.
            logits += (try? forward.logits([s], backend: &backend)) ?? []
        }
        return logits
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
