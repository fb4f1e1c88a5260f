/// What an event SSM's last block and its readout were given in a run, per sample: the inputs a
/// host can refit the last block's `C`, `D` and the readout on, measured on the chip that will
/// run them (the states as read from its nodes, the earlier blocks' outputs as its products made
/// them) rather than on a model of it.
///
/// Kept by reference so a run records into it as it goes; ``take()`` hands over what was
/// recorded and starts afresh, so long data sets can be recorded in chunks.
public final class ReadoutInputRecorder {
    /// Per sample, the pooled vector the readout multiplied, `[d]`.
    public private(set) var pooled: [[Double]] = []
    /// Per sample and event, the last block's input `u`, `[events][d]`.
    public private(set) var lastBlockInputs: [[[Double]]] = []
    /// Per sample and event, the last block's states as the engine had them, `[events][n]`.
    public private(set) var lastBlockStates: [[[Double]]] = []

    public init() {}

    func record(pooled p: [[Double]], inputs: [[[Double]]], states: [[[Double]]]) {
        pooled += p
        lastBlockInputs += inputs
        lastBlockStates += states
    }

    /// What was recorded so far, in sample order; the recorder is empty after.
    public func take() -> (pooled: [[Double]], lastBlockInputs: [[[Double]]], lastBlockStates: [[[Double]]]) {
        defer { pooled = []; lastBlockInputs = []; lastBlockStates = [] }
        return (pooled, lastBlockInputs, lastBlockStates)
    }
}
