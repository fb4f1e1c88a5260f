import XbarBoard
import XbarWire

/// TEST SUPPORT: a simulated board that keeps every MVM request it passes on, so that a test can
/// see which tiles a product used and the row voltages it sent.
final class RecordingBoard: Board {
    let board: SimulatedBoard
    private(set) var products: [MatrixVectorProduct] = []

    init(_ board: SimulatedBoard) { self.board = board }

    var backendDescription: String { board.backendDescription }

    func perform(_ request: Request) throws(BoardError) -> Reply {
        if case .mvm(let m) = request { products.append(m) }
        return try board.perform(request)
    }

    func forget() { products = [] }
}
