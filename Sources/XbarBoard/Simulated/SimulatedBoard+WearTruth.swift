extension SimulatedBoard {
    /// The cycles a non-volatile cell drew to fail after, and the cycles it has done; nil for
    /// STM cells and for cells of a model without wear. Looking does not change the cell.
    public func endurance(tile: UInt8, row: Int, column: Int) -> (failureCycles: Double, cycles: Double)? {
        let (t, index) = locate(tile, row, column)
        guard case .nonVolatile(_, let array) = t, let wear = array.wear else { return nil }
        return (wear.failureCycles[index], wear.cycles[index])
    }
}
