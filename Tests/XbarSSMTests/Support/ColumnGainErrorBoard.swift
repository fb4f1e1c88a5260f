import XbarBoard
import XbarWire

/// TEST SUPPORT: a simulated board whose MVM readout has a gain and offset error on chosen
/// columns of one tile, as a board whose firmware turns ADC codes into amperes with wrong
/// per-column factors would give: each such column reads `gain * I + offset` for the current
/// `I` the board measured. Every other request goes to the board unchanged.
final class ColumnGainErrorBoard: Board {
    let board: SimulatedBoard
    let tile: UInt8
    /// Gain and offset (amperes) by column.
    let errors: [Int: (gain: Double, offsetAmperes: Double)]

    init(_ board: SimulatedBoard, tile: UInt8, errors: [Int: (gain: Double, offsetAmperes: Double)]) {
        self.board = board
        self.tile = tile
        self.errors = errors
    }

    var backendDescription: String { board.backendDescription }

    func perform(_ request: Request) throws(BoardError) -> Reply {
        let reply = try board.perform(request)
        guard case .mvm(let m) = request, m.tile == tile, case .currents(var c) = reply else { return reply }
        let columns = c.amperes.count / max(m.vectorCount, 1)
        for n in c.amperes.indices {
            guard let e = errors[n % columns] else { continue }
            c.amperes[n] = Float(e.gain * Double(c.amperes[n]) + e.offsetAmperes)
        }
        return .currents(c)
    }
}
