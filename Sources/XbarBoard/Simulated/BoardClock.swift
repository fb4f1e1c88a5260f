import Foundation

/// The simulated board's clock, in whole nanoseconds.
///
/// Physics time (``nanoseconds``) starts when the board is created and never goes back; board
/// time, what the board reports, restarts at RESET. With `.virtual` pacing time moves only
/// when the board works; with `.realTime` it also keeps up with the wall clock, and an
/// operation's reply waits until the wall clock has caught up with the board.
struct BoardClock {
    let pacing: SimulatedBoard.Pacing
    private(set) var nanoseconds: UInt64 = 0
    private var epoch: UInt64 = 0
    private let wallStart = ContinuousClock.now

    init(pacing: SimulatedBoard.Pacing) {
        self.pacing = pacing
    }

    /// Nanoseconds since the last RESET.
    var boardNanoseconds: UInt64 { nanoseconds - epoch }

    /// Physics time in seconds, the time base of the device models.
    var seconds: Double { Double(nanoseconds) * 1e-9 }

    /// Converts a board time to physics time.
    func physicsNanoseconds(fromBoard board: UInt64) -> UInt64 { board + epoch }

    mutating func advance(by delta: UInt64) {
        nanoseconds += delta
    }

    mutating func advance(to time: UInt64) {
        nanoseconds = max(nanoseconds, time)
    }

    mutating func restart() {
        epoch = nanoseconds
    }

    /// Wall-clock nanoseconds since the board was created.
    func wallNanoseconds() -> UInt64 {
        let (seconds, attoseconds) = (ContinuousClock.now - wallStart).components
        return UInt64(max(0, seconds)) * 1_000_000_000 + UInt64(max(0, attoseconds) / 1_000_000_000)
    }

    /// Under real-time pacing, sleeps until the wall clock has reached board time.
    func waitForWall() {
        guard pacing == .realTime else { return }
        let wall = wallNanoseconds()
        if nanoseconds > wall {
            Thread.sleep(forTimeInterval: Double(nanoseconds - wall) * 1e-9)
        }
    }
}
