import ArgumentParser
import XbarWire

/// The address lists `--cells` and `--nodes` share: `ROW:COLUMN` items separated by commas,
/// each item a single address, a run along a row (`ROW:C1-C2`) or a rectangle
/// (`ROW1:C1-ROW2:C2`).
enum CellAddressList {
    /// The grammar, for help texts and error messages.
    static let grammar = "ROW:COLUMN[,ROW:COLUMN...], ROW:C1-C2 or ROW1:C1-ROW2:C2 (rows and columns from 0)"

    /// The addresses `text` lists, in the order written, rectangles row by row.
    ///
    /// - Parameters:
    ///   - option: the option's name, for messages (`--cells`).
    ///   - rows, columns: the tile's size when known; addresses outside it are refused here.
    ///     When nil, the board refuses them and names the cell.
    /// - Throws: `ValidationError` naming the item that is not understood or lies outside the tile.
    static func parse(_ text: String, option: String, rows: UInt16? = nil, columns: UInt16? = nil) throws -> [CellIndex] {
        var out: [CellIndex] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let (first, last) = try range(item, text: text, option: option)
            if let rows, let columns, last.row >= rows || last.column >= columns {
                throw ValidationError("\(option) \(text): \"\(item)\" is outside the \(rows)x\(columns) tile")
            }
            for r in first.row...last.row { for c in first.column...last.column { out.append(CellIndex(row: r, column: c)) } }
        }
        return out
    }

    private static func range(_ item: Substring, text: String, option: String) throws -> (CellIndex, CellIndex) {
        let ends = item.split(separator: "-", omittingEmptySubsequences: false)
        guard ends.count == 1 || ends.count == 2, let first = CellIndex(String(ends[0])) else {
            throw unreadable(item, text: text, option: option)
        }
        guard ends.count == 2 else { return (first, first) }
        let last: CellIndex
        if let column = UInt16(ends[1]) {
            last = CellIndex(row: first.row, column: column)
        } else if let end = CellIndex(String(ends[1])) {
            last = end
        } else {
            throw unreadable(item, text: text, option: option)
        }
        guard first.row <= last.row, first.column <= last.column else {
            throw ValidationError("\(option) \(text): \"\(item)\" runs backwards; write the lower address first")
        }
        return (first, last)
    }

    private static func unreadable(_ item: Substring, text: String, option: String) -> ValidationError {
        // The pre-colon form `R,C;R,C` reads as two bare numbers; say how to write it now.
        let numbers = text.split(separator: ";").map { $0.split(separator: ",") }
        if !text.contains(":"), numbers.allSatisfy({ $0.count == 2 && $0.allSatisfy { UInt16($0) != nil } }) {
            let rewritten = numbers.map { "\($0[0]):\($0[1])" }.joined(separator: ",")
            return ValidationError("\(option) \(text): a cell is written ROW:COLUMN; did you mean \(option) \(rewritten)?")
        }
        return ValidationError("\(option) \(text): \"\(item)\" is not \(grammar)")
    }
}
