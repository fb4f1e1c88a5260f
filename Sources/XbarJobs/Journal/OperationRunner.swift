import Foundation
import XbarBoard
import XbarStore
import XbarWire

/// Carries out logged operations on a board: logs the intent, sends the request, logs the
/// result. Between the two logs the operation is in doubt; see ``WriteVerifyProgrammer/absorbInDoubt(_:)``.
public final class OperationRunner {
    public let board: any Board
    public let journal: any OperationJournal
    /// Waits for conductances to relax, seconds: a real wait on hardware; the simulated board
    /// advances its clock instead.
    public let settle: (Double) throws -> Void

    public init(board: any Board, journal: any OperationJournal,
                settle: @escaping (Double) throws -> Void = { Thread.sleep(forTimeInterval: $0) }) {
        self.board = board
        self.journal = journal
        self.settle = settle
    }

    /// Logs, performs and logs the result of one operation; returns the measured conductances.
    ///
    /// - Throws: ``BoardError`` from the board, ``ProgrammingError/badReply(_:)`` when the reply
    ///   does not carry one value per cell, or a store error. After a throw the operation stays
    ///   logged as intent (in doubt).
    @discardableResult
    public func perform(_ operation: JournalOperation) throws -> (measured: [Double], at: Date) {
        let seq = try journal.logIntent(operation)
        let measured = try Self.execute(operation, on: board, settle: settle)
        let now = Date()
        try journal.logResult(seq: seq, measuredSiemens: measured, at: now)
        return (measured, now)
    }

    /// Sends an operation to a board without logging it (also used to replay a ledger).
    public static func execute(_ operation: JournalOperation, on board: any Board,
                               settle: (Double) throws -> Void) throws -> [Double] {
        switch operation {
        case let .settle(_, seconds):
            try WaitLimit.check(seconds: seconds, "settle time")
            try settle(seconds)
            return []
        case let .read(tile, cells, _, _, volts, averages):
            let t: UInt8 = try exact(tile, "tile")
            let set: CellSet = try cells.map { list in
                .list(tile: t, try list.map { CellIndex(row: try exact($0.row, "row"), column: try exact($0.column, "column")) })
            } ?? .tile(t)
            let count: UInt16 = try exact(averages, "averages")
            let values = try board.readConductances(set, readVolts: volts, averages: Int(count))
            if values.count != operation.cells.count {
                throw ProgrammingError.badReply("READ of \(operation.cells.count) cells of tile \(tile) returned \(values.count) values")
            }
            return values
        case let .pulseBatch(tile, scheme, verifyVolts, averages, pulses):
            guard let code = UInt8(exactly: scheme), let bias = BiasScheme(rawValue: code) else {
                throw ProgrammingError.badJournal(field: "bias scheme", value: "\(scheme)")
            }
            let count: UInt16 = try exact(averages, "averages")
            let batch = PulseBatch(
                tile: try exact(tile, "tile"), scheme: bias,
                verify: verifyVolts.map { VerifyRead(readVolts: Float($0), averages: count) },
                pulses: try pulses.map { CellPulse(cell: CellIndex(row: try exact($0.row, "row"), column: try exact($0.column, "column")),
                                                   amplitudeVolts: Float($0.amplitudeVolts), widthSeconds: Float($0.widthSeconds)) })
            let receipt = try board.pulseBatch(batch)
            guard let volts = verifyVolts else { return [] }
            if receipt.verifyAmperes.count != pulses.count {
                throw ProgrammingError.badReply("PULSE_BATCH of \(pulses.count) pulses on tile \(tile) returned \(receipt.verifyAmperes.count) verify reads")
            }
            return receipt.verifyAmperes.map { Double($0) / volts }
        }
    }

    /// A logged number converted exactly to the type a request carries. A number that does not
    /// fit (a store edited, or written by another build) is refused naming the field, never
    /// truncated on its way to the board.
    private static func exact<T: BinaryInteger>(_ value: Int, _ field: String) throws(ProgrammingError) -> T {
        guard let converted = T(exactly: value) else { throw .badJournal(field: field, value: "\(value)") }
        return converted
    }
}
