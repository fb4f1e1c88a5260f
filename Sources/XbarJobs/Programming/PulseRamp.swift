/// Where each cell stands on a ramp of pulses: how many pulses it has had in a row in its
/// present direction. A ramp restarts when the direction flips (the cell overshot its target).
/// The ramped baselines (amplitude or width) keep one; what a step on the ramp means is theirs.
struct PulseRamp {
    /// Per cell: last pulse direction (+1 SET, -1 RESET, 0 none) and pulses since the ramp started.
    private var direction: [Int8]
    private var rampIndex: [Int]

    init(cellCount: Int) {
        direction = Array(repeating: 0, count: cellCount)
        rampIndex = Array(repeating: 0, count: cellCount)
    }

    /// The step a cell's next pulse takes on its ramp: 0 for the first pulse in a direction.
    func step(cell: Int, up: Bool) -> Int {
        direction[cell] == (up ? 1 : -1) ? rampIndex[cell] : 0
    }

    /// Notes a pulse given to a cell (positive amplitude: SET).
    mutating func record(cell: Int, pulse: PulseChoice) {
        let dir: Int8 = pulse.amplitudeVolts > 0 ? 1 : -1
        if direction[cell] == dir {
            rampIndex[cell] += 1
        } else {
            direction[cell] = dir
            rampIndex[cell] = 1
        }
    }
}
