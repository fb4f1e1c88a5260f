import Testing
@testable import XbarSSM

@Suite("readout input recorder")
struct ReadoutInputRecorderTests {
    /// The refit of a board model's last block and readout (tools/board_readout.py) takes the
    /// recorded inputs for what the chip's forward pass used: the pooled vector must give the
    /// logits through the readout, and the last block's recorded inputs and states must give
    /// the pooled vector through `h = u + gelu(C x + D u)`.
    @Test("what it records gives back the run's pooled vectors and logits, for the shipped spoken board model")
    func recordsWhatTheReadoutAndLastBlockUsed() throws {
        let model = try Examples.model("spoken_digits_event_ssm_usb-4x64-multitau")
        let samples = Array(try Examples.testData(of: model).samples.prefix(3))
        let recorder = ReadoutInputRecorder()
        var forward = SSMForward(model: model)
        forward.recorder = recorder
        var backend = DigitalBackend(model: model)
        let logits = try forward.logits(samples, backend: &backend)
        let r = recorder.take()
        #expect(r.pooled.count == 3 && r.lastBlockInputs.map(\.count) == samples.map(\.events.count))
        #expect(recorder.take().pooled.isEmpty, "take() leaves the recorder empty")
        let last = model.layers.count - 1
        let W = try #require(model.matrix(named: "readout.W")), C = try #require(model.matrix(named: "layers.\(last).C"))
        let D = model.layers[last].D
        for s in 0..<3 {
            let scale = logits[s].map(abs).max() ?? 1
            let again = zip(W.times(r.pooled[s]), model.readoutBias).map { $0 + $1 }
            #expect(zip(again, logits[s]).allSatisfy { abs($0 - $1) <= 1e-12 * scale })
            var pooled = [Double](repeating: 0, count: model.modelWidth)
            for (u, x) in zip(r.lastBlockInputs[s], r.lastBlockStates[s]) {
                let y = C.times(x)
                for i in pooled.indices { pooled[i] += u[i] + geluTanh(y[i] + D[i] * u[i]) }
            }
            let n = Double(samples[s].events.count)
            #expect(zip(pooled, r.pooled[s]).allSatisfy { abs($0 / n - $1) <= 1e-12 * max(1, abs($1)) })
        }
    }
}
