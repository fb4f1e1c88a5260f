import XbarDevice
import XbarWire

/// Pristine chips: a simulated board's chip is formed when the board is created (what every
/// job before forming expects); ``makePristine()`` turns it into a chip fresh from the fab.
extension SimulatedBoard {
    /// Whether the device model describes forming, so the chip can be made pristine.
    public var canBePristine: Bool { parameters.nonVolatile.forming != nil }

    /// Makes every non-volatile cell pristine (simulation setup, before any request): each
    /// draws its forming voltage, pristine conductance and forming outcome from the model's
    /// ``XbarDevice/FormingParameters``.
    ///
    /// - Precondition: ``canBePristine``.
    public func makePristine() {
        precondition(canBePristine, "the device model of \(instrument.name) has no forming parameters")
        for case .nonVolatile(let info, let array)? in tiles {
            let index = info.index
            array.makePristine { CellStreams.key(seed: self.seed, tile: index, row: $0, column: $1) }
        }
    }

    /// Whether a non-volatile cell is still pristine. Simulation only.
    public func formingState(tile: UInt8, row: Int, column: Int) -> FormingState {
        guard case .nonVolatile(let info, let array)? = tiles[Int(tile)] else { return .formed }
        return array.formingState(row * Int(info.columns) + column)
    }

    /// A cell's forming draw, nil on a chip that was never pristine. Simulation only.
    public func formingDraw(tile: UInt8, row: Int, column: Int) -> FormingDraw? {
        guard case .nonVolatile(let info, let array)? = tiles[Int(tile)] else { return nil }
        return array.formingDraw(row * Int(info.columns) + column)
    }

    /// The chip's forming so far, in chip-state order; nil for a chip never made pristine.
    func formingRecord() -> ChipStateFile.FormingRecord? {
        var record = ChipStateFile.FormingRecord(pristine: [], overFormed: [])
        var base = 0, pristineChip = false
        for case .nonVolatile(let info, let array)? in tiles {
            for i in 0..<info.cellCount {
                guard let draw = array.formingDraw(i) else { continue }
                pristineChip = true
                if array.formingState(i) == .pristine {
                    record.pristine.append(base + i)
                } else if draw.outcome == .overForms {
                    record.overFormed.append(base + i)
                }
            }
            base += info.cellCount
        }
        return pristineChip ? record : nil
    }

    /// Restores a saved forming record onto a board just created with the same seed.
    func adoptFormingRecord(_ record: ChipStateFile.FormingRecord) {
        guard canBePristine else { return }
        makePristine()
        var base = 0
        for case .nonVolatile(let info, let array)? in tiles {
            let range = base..<(base + info.cellCount)
            array.restoreForming(pristine: Set(record.pristine.filter(range.contains).map { $0 - base }),
                                 overFormed: Set(record.overFormed.filter(range.contains).map { $0 - base }))
            base += info.cellCount
        }
    }
}
