import XbarWire

/// The messages of the worked examples in `protocols/xbar-wire-v1.md`. The specification's
/// hex dumps are checked against these, encoded by the codec, byte for byte.
enum SpecExamples {
    static let limits = ElectricalLimits(
        maxSetVolts: 3.0, maxResetVolts: 3.0, maxReadVolts: 0.5, maxMVMVolts: 0.3,
        minPulseWidthSeconds: 50e-9, maxPulseWidthSeconds: 10e-6, complianceAmperes: 200e-6,
        maxPulseEnergyJoules: 6e-9, maxReadAverages: 64, maxReadTrainLength: 1024, maxProgramActions: 100_000)

    static let identity = BoardIdentity(
        protocolVersion: 1, model: "xbar-usb-4x64", serialNumber: "SN0042", firmwareVersion: "1.0.3",
        capabilities: [.halfVoltageScheme, .thirdVoltageScheme, .mvm, .mvmPulseWidth, .readTrain, .play, .pulseBatch],
        maxPayloadBytes: 65_536, replyCacheDepth: 32,
        adc: ADCInfo(bits: 8, readFullScaleAmperes: 100e-6, mvmFullScaleAmperes: 1e-3),
        dac: DACInfo(bits: 8, fullScaleVolts: 0.3),
        limits: limits,
        tiles: [
            TileInfo(index: 0, kind: .nonVolatile1T1R, rows: 64, columns: 64),
            TileInfo(index: 1, kind: .nonVolatile1T1R, rows: 64, columns: 64),
            TileInfo(index: 2, kind: .nonVolatile1T1R, rows: 64, columns: 64),
            TileInfo(index: 3, kind: .shortTermMemory, rows: 8, columns: 8),
        ])

    static let pulseBatch = Request.pulseBatch(PulseBatch(
        tile: 0, scheme: .grounded, verify: VerifyRead(readVolts: 0.2, averages: 4),
        pulses: [
            CellPulse(cell: CellIndex(row: 3, column: 5), amplitudeVolts: 1.2, widthSeconds: 100e-9),
            CellPulse(cell: CellIndex(row: 3, column: 6), amplitudeVolts: 1.3, widthSeconds: 100e-9),
            CellPulse(cell: CellIndex(row: 4, column: 5), amplitudeVolts: -1.1, widthSeconds: 200e-9),
        ]))

    static let readRow = Request.read(ReadCells(cells: .row(tile: 3, row: 2), readVolts: 0.1, averages: 1))

    static let readTrain = Request.readTrain(ReadTrain(
        cells: .list(tile: 3, [CellIndex(row: 0, column: 0), CellIndex(row: 0, column: 1)]),
        pulse: TrainPulse(amplitudeVolts: 1.0, widthSeconds: 1e-6),
        readVolts: 0.1, readCount: 3, intervalSeconds: 1e-3))

    static let tooHighPulse = Request.pulse(PulseCells(
        cells: .cell(tile: 0, CellIndex(row: 1, column: 2)), amplitudeVolts: 3.5, widthSeconds: 100e-9, scheme: .grounded))

    /// The board's answer to `tooHighPulse`: what the limits check says, sent as FAULT.
    static var tooHighPulseFault: BoardFault {
        limits.check(tooHighPulse) ?? BoardFault(code: .internalError, message: "the example pulse is within the limits")
    }

    /// Every example: its name in the specification and its frame.
    static var all: [(name: String, frame: Frame)] {
        [
            ("identify-request", WireCodec.frame(.identify, sequence: 0x0100)),
            ("identify-reply", WireCodec.frame(.identity(identity), sequence: 0x0100)),
            ("status-reply", WireCodec.frame(.status(BoardStatus(state: .idle, boardTimeNanoseconds: 5_000_000_000,
                                                                 pulsesApplied: 1_000, programID: 0, nextSequence: 0x0100)),
                                             sequence: 0x0100)),
            ("pulse-batch-request", WireCodec.frame(pulseBatch, sequence: 0x0101)),
            ("pulse-batch-retry", WireCodec.frame(pulseBatch, sequence: 0x0101, flags: .retry)),
            ("pulse-batch-reply", WireCodec.frame(.pulsed(PulseReceipt(
                boardTimeNanoseconds: 5_012_000_000, appliedCount: 3, complianceHits: 0,
                verifyAmperes: [2.5e-6, 3.1e-6, 0.8e-6])), sequence: 0x0101)),
            ("read-row-request", WireCodec.frame(readRow, sequence: 0x0102)),
            ("read-row-reply", WireCodec.frame(.currents(Currents(
                boardTimeNanoseconds: 5_020_000_000,
                amperes: [1.0e-6, 1.1e-6, 1.2e-6, 1.3e-6, 1.4e-6, 1.5e-6, 1.6e-6, 1.7e-6])), sequence: 0x0102)),
            ("read-train-request", WireCodec.frame(readTrain, sequence: 0x0103)),
            ("read-train-reply", WireCodec.frame(.readTrain(ReadTrainData(
                timestampsNanoseconds: [5_030_001_000, 5_030_002_000, 5_030_003_000],
                amperes: [4.0e-6, 3.0e-6, 3.6e-6, 2.8e-6, 3.3e-6, 2.6e-6])), sequence: 0x0103)),
            ("pulse-request", WireCodec.frame(tooHighPulse, sequence: 0x0104)),
            ("fault-reply", WireCodec.frame(.fault(tooHighPulseFault), sequence: 0x0104)),
            ("session-status-request", WireCodec.frame(.sessionStatus, sequence: 0x0200)),
            ("session-status-reply", WireCodec.frame(.status(BoardStatus(state: .idle, boardTimeNanoseconds: 5_000_000_000,
                pulsesApplied: 1000, programID: 0, nextSequence: 0x0200, sessionID: 0x1F52_372F_ADA0_4BDC)), sequence: 0x0200)),
        ]
    }
}
