import XbarWire

/// A simulated board whose chip state is saved to a ``ChipStateFile`` after every request that
/// applied a pulse, before the reply goes out: killed at any moment, the emulator leaves the
/// chip as it was after the last pulsed request it answered (a request it was killed in the
/// middle of is lost, as a power cut during a pulse train would lose it).
public final class ChipStateKeeper: Board {
    public let board: SimulatedBoard
    public let file: ChipStateFile
    /// Told when saving fails: the chip's non-volatile promise no longer holds.
    public let onSaveFailure: (ChipStateError) -> Void
    private var savedCounter: UInt64

    public init(board: SimulatedBoard, file: ChipStateFile, onSaveFailure: @escaping (ChipStateError) -> Void) {
        self.board = board
        self.file = file
        self.onSaveFailure = onSaveFailure
        savedCounter = board.pulsesApplied
    }

    public var backendDescription: String { board.backendDescription }

    public func perform(_ request: Request) throws(BoardError) -> Reply {
        defer {
            if board.pulsesApplied != savedCounter {
                do {
                    try file.save(board)
                    savedCounter = board.pulsesApplied
                } catch {
                    onSaveFailure(error)
                }
            }
        }
        return try board.perform(request)
    }
}
