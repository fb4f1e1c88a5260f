import XbarWire

extension Board {
    /// Runs a board-timed SWEEP (capability ``XbarWire/Capabilities/voltageSweep``): each
    /// selected cell's staircase with the current at every step and the read after it, board
    /// times in nanoseconds, currents in amperes.
    ///
    /// - Throws: ``BoardError``: `.fault` for a sweep outside the limits (`formingVolts`,
    ///   `setVolts`, `resetVolts`, `pulseEnergy`, `complianceCurrent`, ...) or a board without
    ///   the capability (`unsupported`); `.unexpectedReply` when the reply is not SWEEP_DATA for
    ///   as many cells, or carries a non-finite current; the link's errors.
    public func sweep(_ request: VoltageSweep) throws(BoardError) -> SweepData {
        let reply = try perform(.sweep(request))
        guard case .sweep(let data) = reply else { throw unexpected("SWEEP", reply) }
        for cell in data.cells {
            try requireFinite(cell.points.map(\.amperes), "SWEEP")
            try requireFinite(cell.points.map(\.readAmperes), "SWEEP")
        }
        return data
    }
}
