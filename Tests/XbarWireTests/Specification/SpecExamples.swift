import XbarWire

/// The messages of the worked examples in `protocols/xbar-wire-v1.md`. The specification's
/// hex dumps are checked against these, encoded by the codec, byte for byte.
///
/// They tell one session with the shipped `usb-4x64` board (`instruments/usb-4x64.yaml`):
/// STATUS, IDENTIFY, then one request after another under consecutive sequence numbers.
enum SpecExamples {
    static let limits = ElectricalLimits(
        maxSetVolts: 3.0, maxResetVolts: 3.3, maxReadVolts: 0.5, maxMVMVolts: 0.3,
        minPulseWidthSeconds: 50e-9, maxPulseWidthSeconds: 10e-6, complianceAmperes: 200e-6,
        maxPulseEnergyJoules: 5e-9, maxReadAverages: 256, maxReadTrainLength: 4096, maxProgramActions: 65_536)

    static let identity = BoardIdentity(
        protocolVersion: 1, model: "xbar-usb-4x64", serialNumber: "SN0042", firmwareVersion: "1.0.3",
        capabilities: [.halfVoltageScheme, .thirdVoltageScheme, .mvm, .mvmPulseWidth, .readTrain, .play, .pulseBatch,
                       .simultaneousNodeActions, .boardSession, .senseRanges, .voltageSweep, .rangedPlayReads, .rangedVerify],
        maxPayloadBytes: 65_536, replyCacheDepth: 32,
        adc: ADCInfo(bits: 8, readFullScaleAmperes: 40e-6, mvmFullScaleAmperes: 1e-3),
        dac: DACInfo(bits: 8, fullScaleVolts: 0.25),
        limits: limits,
        tiles: [
            TileInfo(index: 0, kind: .nonVolatile1T1R, rows: 64, columns: 64),
            TileInfo(index: 1, kind: .nonVolatile1T1R, rows: 64, columns: 64),
            TileInfo(index: 2, kind: .nonVolatile1T1R, rows: 64, columns: 64),
            TileInfo(index: 3, kind: .nonVolatile1T1R, rows: 64, columns: 64),
            TileInfo(index: 4, kind: .shortTermMemory, rows: 4, columns: 64),
        ])

    /// The board's sense ranges, as `instruments/usb-4x64.yaml` declares them.
    static let senseRanges = [
        SenseRange(fullScaleAmperes: 1e-3, noiseAmperes: 1e-6),
        SenseRange(fullScaleAmperes: 250e-6, noiseAmperes: 250e-9),
        SenseRange(fullScaleAmperes: 64e-6, noiseAmperes: 80e-9),
        SenseRange(fullScaleAmperes: 16e-6, noiseAmperes: 40e-9),
        SenseRange(fullScaleAmperes: 4e-6, noiseAmperes: 30e-9),
    ]

    static var identityWithRanges: BoardIdentity {
        var id = identity
        id.senseRanges = senseRanges
        return id
    }

    /// Two cells of tile 0 read in the 16 uA range (index 3).
    static let rangedRead = Request.read(ReadCells(
        cells: .list(tile: 0, [CellIndex(row: 3, column: 5), CellIndex(row: 3, column: 6)]),
        readVolts: 0.2, averages: 1, senseRange: 3))

    /// A forming ramp of two pristine cells of tile 0: 0 V to 3 V in 1 V steps of 1 us under
    /// 100 uA, read at 0.2 V after each step, each cell stopping once its read reaches 2 uA.
    static let formingSweep = Request.sweep(VoltageSweep(
        mode: .forming, stepWidthSeconds: 1e-6, stepVolts: 1, complianceAmperes: 100e-6, readVolts: 0.2,
        readAverages: 1, stopAmperes: 2e-6, cycles: 1, verticesVolts: [3],
        cells: .list(tile: 0, [CellIndex(row: 0, column: 0), CellIndex(row: 0, column: 1)])))

    /// A one-chunk program on the STM tile: a pulse on node (0, 3) 100 us after the start, then
    /// a read of it at 0.5 V in the 16 uA range (index 3).
    static let rangedPlayLoad = Request.playLoad(PlayLoad(programID: 7, chunkIndex: 0, chunkCount: 1, actions: [
        PlayAction(offsetNanoseconds: 100_000, tile: 4, cell: CellIndex(row: 0, column: 3),
                   operation: .pulse(amplitudeVolts: 1.2, widthSeconds: 100e-9)),
        PlayAction(offsetNanoseconds: 100_000, tile: 4, cell: CellIndex(row: 0, column: 3),
                   operation: .read(readVolts: 0.5, senseRange: 3)),
    ]))

    /// The pulses of `pulseBatch`, verified in sense ranges: the first two cells (targets near
    /// 25 uS, 5 uA at 0.2 V) in the 16 uA range (index 3) twice each, the third (a RESET towards
    /// 4 uS) in the 4 uA range (index 4) once.
    static let rangedVerifyBatch = Request.pulseBatch(PulseBatch(
        tile: 0, scheme: .grounded,
        verify: VerifyRead(readVolts: 0.2, groups: [
            VerifyGroup(pulseCount: 2, senseRange: 3, averages: 2),
            VerifyGroup(pulseCount: 1, senseRange: 4, averages: 1),
        ]),
        pulses: [
            CellPulse(cell: CellIndex(row: 3, column: 5), amplitudeVolts: 1.2, widthSeconds: 100e-9),
            CellPulse(cell: CellIndex(row: 3, column: 6), amplitudeVolts: 1.3, widthSeconds: 100e-9),
            CellPulse(cell: CellIndex(row: 4, column: 5), amplitudeVolts: -1.1, widthSeconds: 200e-9),
        ]))

    static let pulseBatch = Request.pulseBatch(PulseBatch(
        tile: 0, scheme: .grounded, verify: VerifyRead(readVolts: 0.2, averages: 4),
        pulses: [
            CellPulse(cell: CellIndex(row: 3, column: 5), amplitudeVolts: 1.2, widthSeconds: 100e-9),
            CellPulse(cell: CellIndex(row: 3, column: 6), amplitudeVolts: 1.3, widthSeconds: 100e-9),
            CellPulse(cell: CellIndex(row: 4, column: 5), amplitudeVolts: -1.1, widthSeconds: 200e-9),
        ]))

    static let readColumn = Request.read(ReadCells(cells: .column(tile: 4, column: 5), readVolts: 0.1, averages: 1))

    static let readTrain = Request.readTrain(ReadTrain(
        cells: .list(tile: 4, [CellIndex(row: 0, column: 0), CellIndex(row: 0, column: 1)]),
        pulse: TrainPulse(amplitudeVolts: 1.0, widthSeconds: 1e-6),
        readVolts: 0.1, readCount: 3, intervalSeconds: 1e-3))

    /// A long train, stopped by ABORT.
    static let longTrain = Request.readTrain(ReadTrain(
        cells: .cell(tile: 4, CellIndex(row: 0, column: 0)), pulse: nil, readVolts: 0.2, readCount: 1000, intervalSeconds: 1e-3))

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
            // The STATUS reply echoed back to the board by the link: refused at frame level, not cached.
            ("looped-reply-fault", WireCodec.frame(.fault(BoardFault(
                code: .unknownOpcode, message: "opcode STATUS_REPORT is a reply, not a request; not executed")), sequence: 0x0100)),
            // IDENTIFY and STATUS do not consume a number: the first request takes 0x0100.
            ("pulse-batch-request", WireCodec.frame(pulseBatch, sequence: 0x0100)),
            ("pulse-batch-retry", WireCodec.frame(pulseBatch, sequence: 0x0100, flags: .retry)),
            ("pulse-batch-reply", WireCodec.frame(.pulsed(PulseReceipt(
                boardTimeNanoseconds: 5_012_000_000, appliedCount: 3, complianceHits: 0,
                verifyAmperes: [2.5e-6, 3.1e-6, 0.8e-6])), sequence: 0x0100)),
            ("read-column-request", WireCodec.frame(readColumn, sequence: 0x0101)),
            ("read-column-reply", WireCodec.frame(.currents(Currents(
                boardTimeNanoseconds: 5_020_000_000,
                amperes: [1.0e-6, 1.1e-6, 1.2e-6, 1.3e-6])), sequence: 0x0101)),
            ("read-train-request", WireCodec.frame(readTrain, sequence: 0x0102)),
            // The request starts at 5.030 s; the 1 us pulse ends at 5.030001 s, and the reads
            // follow 1 ms, 2 ms and 3 ms later.
            ("read-train-reply", WireCodec.frame(.readTrain(ReadTrainData(
                timestampsNanoseconds: [5_031_001_000, 5_032_001_000, 5_033_001_000],
                amperes: [4.0e-6, 3.0e-6, 3.6e-6, 2.8e-6, 3.3e-6, 2.6e-6])), sequence: 0x0102)),
            ("pulse-request", WireCodec.frame(tooHighPulse, sequence: 0x0103)),
            ("fault-reply", WireCodec.frame(.fault(tooHighPulseFault), sequence: 0x0103)),
            ("long-train-request", WireCodec.frame(longTrain, sequence: 0x0104)),
            ("abort-request", WireCodec.frame(.abort, sequence: 0x0105)),
            ("aborted-fault-reply", WireCodec.frame(.fault(BoardFault(
                code: .aborted, message: "READ_TRAIN stopped by ABORT after 250 of 1000 reads")), sequence: 0x0104)),
            ("abort-reply", WireCodec.frame(.done, sequence: 0x0105)),
            ("session-status-request", WireCodec.frame(.sessionStatus, sequence: 0x0200)),
            ("session-status-reply", WireCodec.frame(.status(BoardStatus(state: .idle, boardTimeNanoseconds: 5_100_000_000,
                pulsesApplied: 1000, programID: 0, nextSequence: 0x0200, sessionID: 0x1F52_372F_ADA0_4BDC)), sequence: 0x0200)),
            // IDENTIFY asking for the sense ranges takes no number either.
            ("identify-ranges-request", WireCodec.frame(.identifyWithSenseRanges, sequence: 0x0200)),
            ("identify-ranges-reply", WireCodec.frame(.identity(identityWithRanges), sequence: 0x0200)),
            ("ranged-read-request", WireCodec.frame(rangedRead, sequence: 0x0200)),
            // 26 uA of the second cell is beyond the 16 uA range: it reads full scale, flagged.
            ("ranged-read-reply", WireCodec.frame(.currents(Currents(
                boardTimeNanoseconds: 5_200_000_000, amperes: [5.25e-6, 16e-6], saturated: [false, true])), sequence: 0x0200)),

            ("sweep-request", WireCodec.frame(formingSweep, sequence: 0x0201)),
            // Cell 0:0 forms at 2 V (its step current at compliance, its read 9 uA reaches the
            // 2 uA stop) and stops; cell 0:1 stays pristine up to 3 V. Each step holds 1 us,
            // each read takes 1 us.
            ("sweep-reply", WireCodec.frame(.sweep(SweepData(cells: [
                SweptCell(stopped: true, points: [
                    SweepPoint(boardTimeNanoseconds: 5_200_001_000, volts: 1, amperes: 4.5e-9, readAmperes: 1e-9),
                    SweepPoint(boardTimeNanoseconds: 5_200_003_000, volts: 2, amperes: 100e-6, readAmperes: 9e-6),
                ]),
                SweptCell(stopped: false, points: [
                    SweepPoint(boardTimeNanoseconds: 5_200_005_000, volts: 1, amperes: 4.5e-9, readAmperes: 1e-9),
                    SweepPoint(boardTimeNanoseconds: 5_200_007_000, volts: 2, amperes: 68e-9, readAmperes: 1e-9),
                    SweepPoint(boardTimeNanoseconds: 5_200_009_000, volts: 3, amperes: 504e-9, readAmperes: 1e-9),
                ]),
            ])), sequence: 0x0201)),
            ("ranged-play-load-request", WireCodec.frame(rangedPlayLoad, sequence: 0x0202)),
            ("ranged-play-loaded-reply", WireCodec.frame(.playLoaded(programID: 7, chunksReceived: 1), sequence: 0x0202)),
            ("ranged-verify-request", WireCodec.frame(rangedVerifyBatch, sequence: 0x0203)),
            // The second cell overshot to 26 uA: beyond the 16 uA range, it reads full scale, flagged.
            ("ranged-verify-reply", WireCodec.frame(.pulsed(PulseReceipt(
                boardTimeNanoseconds: 5_300_000_000, appliedCount: 3, complianceHits: 0,
                verifyAmperes: [5.25e-6, 16e-6, 0.8e-6], verifySaturated: [false, true, false])), sequence: 0x0203)),
        ]
    }
}
