/// Pristine cells and forming, by the law of ``FormingParameters``.
extension NonVolatileTile {
    /// Makes every cell pristine: as the chip leaves the fab, each at its pristine conductance
    /// with its forming draw. Simulation setup, before any pulse.
    ///
    /// - Precondition: the population has ``NonVolatileCellParameters/forming``.
    public func makePristine(cellKey: (Int, Int) -> UInt64) {
        guard let forming = parameters.forming else {
            preconditionFailure("the device model has no forming parameters: its cells cannot be pristine")
        }
        formingDraws = []
        formingDraws.reserveCapacity(rows * columns)
        for r in 0..<rows { for c in 0..<columns { formingDraws.append(FormingDraw(drawingFrom: forming, key: cellKey(r, c))) } }
        formingStates = [FormingState](repeating: .pristine, count: rows * columns)
        pristineCount = rows * columns
        for i in 0..<formingStates.count { setPristineConductance(i) }
    }

    /// Whether cell `index` (row-major) is pristine.
    public func formingState(_ index: Int) -> FormingState {
        formingStates.isEmpty ? .formed : formingStates[index]
    }

    /// Cell `index`'s forming draw; nil when the tile was never made pristine. Simulation only.
    public func formingDraw(_ index: Int) -> FormingDraw? {
        formingDraws.isEmpty ? nil : formingDraws[index]
    }

    /// Cells still pristine.
    public var pristineCellCount: Int { pristineCount }

    /// Restores a recorded forming state (a chip state file): `pristine` cells go back to their
    /// pristine conductance, `overFormed` cells are stuck at their `gMax`; other cells are
    /// formed and keep their conductance until it is set. The tile must have been made
    /// pristine first (its draws exist).
    public func restoreForming(pristine: Set<Int>, overFormed: Set<Int>) {
        guard !formingDraws.isEmpty else { return }
        pristineCount = 0
        for i in 0..<formingStates.count {
            if pristine.contains(i) {
                formingStates[i] = .pristine
                pristineCount += 1
                setPristineConductance(i)
            } else {
                formingStates[i] = .formed
                if overFormed.contains(i) {
                    draws[i].stuck = .atMax
                }
                // A stuck cell ignores the saved conductance that follows: it takes its stuck value here.
                if let stuck = draws[i].stuckConductance { program(i, to: stuck, at: 0) }
            }
        }
    }

    /// One pulse on a pristine cell: forms it when it reaches the cell's forming voltage.
    /// Returns whether compliance limited it (forming always runs into compliance unless the
    /// cell over-forms or is stuck).
    func formingStep(_ i: Int, _ v: Double, _ t: Double, _ compliance: Double) -> Bool {
        guard v > 0, let g = formingDraws[i].formedConductance(volts: v, complianceAmperes: compliance, cell: draws[i]) else {
            return false
        }
        formingStates[i] = .formed
        pristineCount -= 1
        if formingDraws[i].outcome == .overForms { draws[i].stuck = .atMax }
        program(i, to: g, at: t)
        return formingDraws[i].outcome == .forms && draws[i].stuck == .none
    }

    private func setPristineConductance(_ i: Int) {
        let g = formingDraws[i].pristineSiemens
        conductances[i] = g
        squaredConductances[i] = g * g
        revision &+= 1
    }
}
