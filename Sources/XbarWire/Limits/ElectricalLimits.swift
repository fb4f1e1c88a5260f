/// The electrical limits of a board, from its instrument file. Host and board check every
/// request against the same limits with ``check(_:)``; a request outside them is refused,
/// never clamped.
public struct ElectricalLimits: Hashable, Sendable, Codable {
    /// Largest SET (positive) pulse amplitude, volts.
    public var maxSetVolts: Float
    /// Largest RESET (negative) pulse amplitude in magnitude, volts.
    public var maxResetVolts: Float
    /// Largest read amplitude, volts.
    public var maxReadVolts: Float
    /// Largest MVM row input magnitude, volts.
    public var maxMVMVolts: Float
    /// Shortest pulse, seconds.
    public var minPulseWidthSeconds: Float
    /// Longest pulse (and longest MVM input pulse), seconds.
    public var maxPulseWidthSeconds: Float
    /// Compliance current a pulse is limited to, amperes.
    public var complianceAmperes: Float
    /// Largest worst-case pulse energy |V| x compliance x width, joules.
    public var maxPulseEnergyJoules: Float
    /// Largest averaging count of a read.
    public var maxReadAverages: UInt16
    /// Longest read train.
    public var maxReadTrainLength: UInt16
    /// Most actions in one timed program.
    public var maxProgramActions: UInt32
    /// Largest positive step of a forming SWEEP, volts; nil when the board forms no cells
    /// (forming steps are then held to `maxSetVolts`). Not part of IDENTITY, whose layout
    /// protocol 1 fixed: a host takes it from the instrument file, a board from its own.
    public var maxFormingVolts: Float?

    public init(maxSetVolts: Float, maxResetVolts: Float, maxReadVolts: Float, maxMVMVolts: Float,
                minPulseWidthSeconds: Float, maxPulseWidthSeconds: Float, complianceAmperes: Float,
                maxPulseEnergyJoules: Float, maxReadAverages: UInt16, maxReadTrainLength: UInt16,
                maxProgramActions: UInt32, maxFormingVolts: Float? = nil) {
        self.maxSetVolts = maxSetVolts
        self.maxResetVolts = maxResetVolts
        self.maxReadVolts = maxReadVolts
        self.maxMVMVolts = maxMVMVolts
        self.minPulseWidthSeconds = minPulseWidthSeconds
        self.maxPulseWidthSeconds = maxPulseWidthSeconds
        self.complianceAmperes = complianceAmperes
        self.maxPulseEnergyJoules = maxPulseEnergyJoules
        self.maxReadAverages = maxReadAverages
        self.maxReadTrainLength = maxReadTrainLength
        self.maxProgramActions = maxProgramActions
        self.maxFormingVolts = maxFormingVolts
    }
}

extension ElectricalLimits {
    /// Longest time one request may keep a board busy, seconds: one week. Board clocks count
    /// nanoseconds in 64 bits (about 584 years); this bound keeps every offset and duration a
    /// request can carry far inside that, and no lab operation needs longer in one request.
    public static let maxRequestSeconds: Double = 604_800

    /// Checks one pulse: amplitude by polarity, width, and worst-case energy.
    public func checkPulse(amplitudeVolts v: Float, widthSeconds w: Float) -> BoardFault? {
        guard v.isFinite, w.isFinite else {
            return BoardFault(code: .badArgument, message: "pulse amplitude and width must be finite numbers")
        }
        if v > maxSetVolts {
            return refuse(.setVolts, v, maxSetVolts, "SET pulse amplitude \(v) V above the limit")
        }
        if -v > maxResetVolts {
            return refuse(.resetVolts, -v, maxResetVolts, "RESET pulse amplitude \(-v) V above the limit")
        }
        if w < minPulseWidthSeconds {
            return refuse(.minPulseWidth, w, minPulseWidthSeconds, "pulse width \(w) s below the limit")
        }
        if w > maxPulseWidthSeconds {
            return refuse(.maxPulseWidth, w, maxPulseWidthSeconds, "pulse width \(w) s above the limit")
        }
        let energy = abs(v) * complianceAmperes * w
        if energy > maxPulseEnergyJoules {
            return refuse(.pulseEnergy, energy, maxPulseEnergyJoules, "worst-case pulse energy \(energy) J above the limit")
        }
        return nil
    }

    /// Checks a read amplitude and averaging count.
    public func checkRead(readVolts v: Float, averages: UInt16) -> BoardFault? {
        guard v.isFinite else { return BoardFault(code: .badArgument, message: "read voltage must be a finite number") }
        if v <= 0 || v > maxReadVolts {
            return refuse(.readVolts, v, maxReadVolts, "read voltage \(v) V outside (0, limit]")
        }
        if averages == 0 || averages > maxReadAverages {
            return refuse(.readAverages, Float(averages), Float(maxReadAverages), "read averaging count \(averages) outside 1...limit")
        }
        return nil
    }

    /// Checks a request against every limit that applies to it. Returns the first violation.
    ///
    /// Geometry (tiles, cells) is not checked here: that needs the board's tiles.
    public func check(_ request: Request) -> BoardFault? {
        switch request {
        case .identify, .identifyWithSenseRanges, .status, .sessionStatus, .abort, .reset, .playStart, .playFetch:
            return nil
        case .read(let r):
            return checkRead(readVolts: r.readVolts, averages: r.averages)
        case .pulse(let p):
            return checkPulse(amplitudeVolts: p.amplitudeVolts, widthSeconds: p.widthSeconds)
        case .pulseBatch(let b):
            if let v = b.verify {
                for averages in v.groups.map({ $0.map(\.averages) }) ?? [v.averages] {
                    if let f = checkRead(readVolts: v.readVolts, averages: averages) { return f }
                }
            }
            for p in b.pulses {
                if let f = checkPulse(amplitudeVolts: p.amplitudeVolts, widthSeconds: p.widthSeconds) { return f }
            }
            return nil
        case .mvm(let m):
            switch m.encoding {
            case .voltage:
                for x in m.inputs {
                    guard x.isFinite else { return BoardFault(code: .badArgument, message: "MVM input must be a finite number") }
                    if abs(x) > maxMVMVolts { return refuse(.mvmVolts, abs(x), maxMVMVolts, "MVM input \(x) V above the limit") }
                }
            case .pulseWidth:
                if let f = checkRead(readVolts: m.readVolts, averages: 1) { return f }
                for x in m.inputs {
                    guard x.isFinite, x >= 0 else { return BoardFault(code: .badArgument, message: "MVM pulse widths must be finite and non-negative") }
                    if x > maxPulseWidthSeconds { return refuse(.maxPulseWidth, x, maxPulseWidthSeconds, "MVM input pulse width \(x) s above the limit") }
                }
            }
            return nil
        case .readTrain(let t):
            if let f = checkRead(readVolts: t.readVolts, averages: 1) { return f }
            if let p = t.pulse, let f = checkPulse(amplitudeVolts: p.amplitudeVolts, widthSeconds: p.widthSeconds) { return f }
            if t.readCount == 0 || t.readCount > maxReadTrainLength {
                return refuse(.readTrainLength, Float(t.readCount), Float(maxReadTrainLength), "read train of \(t.readCount) reads outside 1...limit")
            }
            guard t.intervalSeconds.isFinite, t.intervalSeconds > 0 else {
                return BoardFault(code: .badArgument, message: "read train interval must be a positive number of seconds")
            }
            let span = Double(t.intervalSeconds) * Double(t.readCount)
            guard span <= Self.maxRequestSeconds else {
                return BoardFault(code: .badArgument, message: "read train of \(t.readCount) reads every \(t.intervalSeconds) s lasts \(span) s, longer than the \(Int(Self.maxRequestSeconds)) s one request may take")
            }
            return nil
        case .playLoad(let l):
            let latest = UInt64(Self.maxRequestSeconds * 1e9)
            for a in l.actions {
                guard a.offsetNanoseconds <= latest else {
                    return BoardFault(code: .badArgument, message: "timed action at offset \(a.offsetNanoseconds) ns is later than the \(Int(Self.maxRequestSeconds)) s one program may take")
                }
                switch a.operation {
                case let .pulse(v, w):
                    if let f = checkPulse(amplitudeVolts: v, widthSeconds: w) { return f }
                case let .read(v, _):
                    if let f = checkRead(readVolts: v, averages: 1) { return f }
                }
            }
            return nil
        case .sweep(let s):
            return checkSweep(s)
        }
    }

    /// Checks a SWEEP: its read, compliance, step width and count, and every step's voltage
    /// against the limit of its mode (forming: `maxFormingVolts`, positive only) and its
    /// worst-case energy at the sweep's own compliance.
    public func checkSweep(_ s: VoltageSweep) -> BoardFault? {
        if let f = checkRead(readVolts: s.readVolts, averages: s.readAverages) { return f }
        guard s.complianceAmperes.isFinite, s.complianceAmperes > 0 else {
            return BoardFault(code: .badArgument, message: "sweep compliance must be a positive number of amperes")
        }
        if s.complianceAmperes > complianceAmperes {
            return refuse(.complianceCurrent, s.complianceAmperes, complianceAmperes, "sweep compliance \(s.complianceAmperes) A above the limit")
        }
        guard s.stepWidthSeconds.isFinite, s.stepVolts.isFinite, s.stepVolts > 0, s.stopAmperes.isFinite, s.stopAmperes >= 0 else {
            return BoardFault(code: .badArgument, message: "sweep step, width and stop current must be finite, the step above 0 V and the stop current not negative")
        }
        if s.stepWidthSeconds < minPulseWidthSeconds {
            return refuse(.minPulseWidth, s.stepWidthSeconds, minPulseWidthSeconds, "sweep step width \(s.stepWidthSeconds) s below the limit")
        }
        if s.stepWidthSeconds > maxPulseWidthSeconds {
            return refuse(.maxPulseWidth, s.stepWidthSeconds, maxPulseWidthSeconds, "sweep step width \(s.stepWidthSeconds) s above the limit")
        }
        guard !s.verticesVolts.isEmpty, s.verticesVolts.count <= VoltageSweep.maxVertices, s.cycles >= 1 else {
            return BoardFault(code: .badArgument, message: "a sweep needs 1 to \(VoltageSweep.maxVertices) vertices and at least one cycle")
        }
        guard let steps = s.stepCount, steps >= 1, steps <= VoltageSweep.maxStepsPerCell else {
            return BoardFault(code: .badArgument, message: "a sweep of \(s.stepCount.map(String.init) ?? "non-finite") steps per cell is outside 1...\(VoltageSweep.maxStepsPerCell); use a larger step or fewer cycles")
        }
        for v in s.verticesVolts {
            switch s.mode {
            case .forming:
                let limit = maxFormingVolts ?? maxSetVolts
                if v < 0 { return BoardFault(code: .badArgument, message: "a forming sweep has positive steps only, not \(v) V") }
                if v > limit {
                    return refuse(maxFormingVolts == nil ? .setVolts : .formingVolts, v, limit, "forming step \(v) V above the limit")
                }
            case .switching:
                if v > maxSetVolts { return refuse(.setVolts, v, maxSetVolts, "sweep step \(v) V above the SET limit") }
                if -v > maxResetVolts { return refuse(.resetVolts, -v, maxResetVolts, "sweep step \(-v) V above the RESET limit") }
            }
            let energy = abs(v) * s.complianceAmperes * s.stepWidthSeconds
            if energy > maxPulseEnergyJoules {
                return refuse(.pulseEnergy, energy, maxPulseEnergyJoules, "worst-case sweep step energy \(energy) J above the limit")
            }
        }
        return nil
    }

    private func refuse(_ id: LimitID, _ value: Float, _ limit: Float, _ message: String) -> BoardFault {
        BoardFault(code: .outOfLimits, limit: id, value: value, limitValue: limit, message: message)
    }
}
