/// Where a board is, as written after `--board`.
///
/// - `sim`: the simulated board, in process: a fresh chip from the seed in every command.
/// - `sim:FILE`: the simulated board whose chip is kept in a chip state file (the format of
///   `xbar sim --state FILE`), so what one command programs the next one reads.
/// - `serial:PATH`: a board (or the emulator) on a serial device, e.g. `serial:/dev/ttyUSB0`.
/// - `usb:VID:PID[:SERIAL]`: a USB board by hexadecimal vendor and product id, e.g. `usb:1209:58BA`.
/// - `twin:RUN`: the digital twin of the chip a programming run (its id in the run store)
///   left behind: a simulated board holding the conductances that run verified.
/// - `auto`: a discovered board matching the instrument, else a stand-in (announced).
public enum BoardAddress: Hashable, Sendable, CustomStringConvertible {
    case simulated
    case simulatedChip(stateFile: String)
    case serial(path: String)
    case usb(vendorID: UInt16, productID: UInt16, serialNumber: String?)
    case twin(programmingRun: Int64)
    case automatic

    /// Parses a `--board` value.
    ///
    /// - Throws: ``BoardAddressError`` naming the part that is wrong.
    public init(parsing text: String) throws(BoardAddressError) {
        if text == "sim" || text == "simulated" { self = .simulated; return }
        if text == "auto" { self = .automatic; return }
        if text.hasPrefix("sim:") {
            let path = String(text.dropFirst("sim:".count))
            guard !path.isEmpty else { throw BoardAddressError(text: text, problem: "sim: needs a chip state file, e.g. sim:chip.state") }
            self = .simulatedChip(stateFile: path)
            return
        }
        if text.hasPrefix("twin:") {
            let run = text.dropFirst("twin:".count)
            guard let id = Int64(run), id > 0 else {
                throw BoardAddressError(text: text, problem: "twin: needs the id of a programming run in the store, e.g. twin:3 (see xbar runs list)")
            }
            self = .twin(programmingRun: id)
            return
        }
        if text.hasPrefix("serial:") {
            let path = String(text.dropFirst("serial:".count))
            guard !path.isEmpty else { throw BoardAddressError(text: text, problem: "serial: needs a device path, e.g. serial:/dev/ttyUSB0") }
            self = .serial(path: path)
            return
        }
        if text.hasPrefix("usb:") {
            let parts = text.dropFirst("usb:".count).split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count >= 2 else {
                throw BoardAddressError(text: text, problem: "usb: needs VID:PID in hexadecimal, e.g. usb:1209:58BA")
            }
            func hex(_ s: Substring, _ what: String) throws(BoardAddressError) -> UInt16 {
                let digits = s.hasPrefix("0x") ? s.dropFirst(2) : s
                guard !digits.isEmpty, digits.count <= 4, let v = UInt16(digits, radix: 16) else {
                    throw BoardAddressError(text: text, problem: "\(what) \"\(s)\" is not a 16-bit hexadecimal number")
                }
                return v
            }
            let vid = try hex(parts[0], "vendor id")
            let pid = try hex(parts[1], "product id")
            let serial = parts.count == 3 && !parts[2].isEmpty ? String(parts[2]) : nil
            self = .usb(vendorID: vid, productID: pid, serialNumber: serial)
            return
        }
        throw BoardAddressError(text: text, problem: "expected sim, sim:FILE, auto, serial:PATH, usb:VID:PID[:SERIAL] or twin:RUN")
    }

    public var description: String {
        switch self {
        case .simulated: return "sim"
        case .simulatedChip(let path): return "sim:\(path)"
        case .automatic: return "auto"
        case .twin(let run): return "twin:\(run)"
        case .serial(let p): return "serial:\(p)"
        case let .usb(v, p, s):
            let base = "usb:" + String(v, radix: 16, uppercase: true).leftPadded(4) + ":" + String(p, radix: 16, uppercase: true).leftPadded(4)
            return s.map { base + ":" + $0 } ?? base
        }
    }
}

/// A `--board` value that could not be parsed.
public struct BoardAddressError: Error, Hashable, Sendable, CustomStringConvertible {
    public var text: String
    public var problem: String
    public var description: String { "--board \(text): \(problem)" }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
