import Logging
import XbarDevice
import XbarInstrument
import XbarTransport
import XbarWire

/// Opens the board a ``BoardAddress`` names, of the type an instrument describes.
public enum BoardConnector {
    /// Opens a board.
    ///
    /// - Parameters:
    ///   - simulatedParameters: the device model of a simulated board (a calibration); the
    ///     instrument's defaults when nil.
    ///   - simulatedPeriphery: the array periphery of a simulated board (a calibration's); the
    ///     instrument's when nil.
    ///   - seed: the simulated board's seed.
    ///   - pristine: whether the simulated board's chip starts pristine (unformed); a
    ///     precondition that its device model can be (``SimulatedBoard/canBePristine``).
    ///   - policy: how long a remote board waits for replies and how often it tries; on a serial
    ///     line without a speed of its own, the line's baud rate is used for the wire time.
    ///   - simulatedFaults: faults of a simulated board's link: when given, the simulated board is
    ///     served over an in-process link that injects them and reached as a remote board.
    ///   - twin: builds the digital twin of a programming run (nil: the newest one of this
    ///     instrument); the run store that holds what it needs is a layer above this one. Without
    ///     it, `twin:RUN` is refused and `auto` stands in with a plain simulated board.
    ///   - announce: told, for people, when `auto` stands in for a board it did not find.
    /// - Throws: ``BoardError`` when the link cannot be opened, the board does not answer, or it is
    ///   not of the instrument's type; what `twin` throws when it cannot build the twin (for
    ///   `auto`: only when no board was found either).
    public static func open(_ address: BoardAddress, instrument: Instrument,
                            simulatedParameters: DeviceParameters? = nil, simulatedPeriphery: ArrayPeripheryParameters? = nil,
                            seed: UInt64 = 1, pristine: Bool = false,
                            policy: RemoteBoard.RetryPolicy = .init(),
                            simulatedFaults: LinkFaults? = nil,
                            twin: ((Int64?) throws -> any Board)? = nil,
                            announce: (String) -> Void = { _ in }) throws -> any Board {
        let simulated: @Sendable () -> SimulatedBoard = {
            let board = SimulatedBoard(instrument: instrument, parameters: simulatedParameters, periphery: simulatedPeriphery, seed: seed)
            if pristine { board.makePristine() }
            return board
        }
        switch address {
        case .simulated:
            if let faults = simulatedFaults {
                return try FaultySimulatedLink.open(instrument: instrument, faults: faults, policy: policy, makeBoard: simulated)
            }
            return simulated()
        case .simulatedChip(let path):
            let file = ChipStateFile(path: path)
            let makeChip: @Sendable () throws(ChipStateError) -> ChipStateKeeper = {
                // A new file starts the chip the options describe (pristine or formed); an
                // existing one holds the chip as it was left.
                let chip = simulated()
                if file.exists { try file.restore(into: chip) } else { try file.save(chip) }
                return ChipStateKeeper(board: chip, file: file) { error in
                    Logger(label: "xbar.board").error("\(error); the chip state on disk is stale")
                }
            }
            let chip: ChipStateKeeper
            do { chip = try makeChip() } catch { throw BoardError.identityMismatch(error.description) }
            if let faults = simulatedFaults {
                // The board's thread powers its own chip up from the file, as after a restart.
                return try FaultySimulatedLink.open(instrument: instrument, faults: faults, policy: policy) { try makeChip() }
            }
            return chip
        case .serial(let path):
            return try openSerial(path: path, instrument: instrument, policy: policy)
        case let .usb(vid, pid, serialNumber):
            return try openUSB(vendorID: vid, productID: pid, serialNumber: serialNumber, instrument: instrument, policy: policy)
        case .twin(let run):
            guard let twin else {
                throw BoardAddressError(text: address.description, problem: "a twin is built from the run store that holds programming run \(run), and this command uses none")
            }
            return try twin(run)
        case .automatic:
            if let found = discover(instrument) {
                announce("--board auto: found \(found) for \(instrument.name)")
                return try open(found, instrument: instrument, simulatedParameters: simulatedParameters,
                                simulatedPeriphery: simulatedPeriphery, seed: seed, pristine: pristine, policy: policy,
                                simulatedFaults: simulatedFaults, twin: twin, announce: announce)
            }
            if let twin {
                let board = try twin(nil)
                announce("--board auto: NO \(instrument.name) BOARD FOUND; USING THE CHIP'S DIGITAL TWIN: \(board.backendDescription). Results are simulated.")
                return board
            }
            let model = simulatedParameters == nil ? "the instrument's default device model" : "the calibrated device model"
            announce("--board auto: NO \(instrument.name) BOARD FOUND; USING THE SIMULATED BOARD with \(model). Results are simulated.")
            return simulated()
        }
    }

    /// The first attached board that matches the instrument's USB ids or serial adapter ids.
    public static func discover(_ instrument: Instrument) -> BoardAddress? {
        switch instrument.transport {
        case .usb(let usb):
            guard let devices = try? USBContext().devices() else { return nil }
            guard let d = devices.first(where: { $0.vendorID == usb.vendorID && $0.productID == usb.productID }) else { return nil }
            return .usb(vendorID: d.vendorID, productID: d.productID, serialNumber: d.serialNumber)
        case .serial(let serial):
            guard let vid = serial.usbVendorID, let pid = serial.usbProductID,
                  let ports = try? SerialPortInfo.list(),
                  let port = ports.first(where: { $0.usbVendorID == vid && $0.usbProductID == pid }) else { return nil }
            return .serial(path: port.name)
        }
    }

    static func openSerial(path: String, instrument: Instrument, policy: RemoteBoard.RetryPolicy) throws(BoardError) -> any Board {
        let configuration: SerialConfiguration
        switch instrument.transport {
        case .serial(let settings):
            configuration = SerialConfiguration(settings)
        case .usb(let usb):
            // A USB board has no line settings to take. A pseudo-terminal (the board emulator,
            // `xbar sim`) ignores them, so a USB instrument's emulator may be reached there; on a
            // real serial line they would be a guess, and the board is refused instead.
            guard SerialPortInfo.isPseudoTerminal(path: path) else {
                throw BoardError.identityMismatch(String(format: "instrument %@ is a USB board (usb %04X:%04X) and names no serial line settings; reach it with --board usb:%04X:%04X or --board auto, or use an instrument file whose transport is serial",
                                                         instrument.name, usb.vendorID, usb.productID, usb.vendorID, usb.productID))
            }
            configuration = SerialConfiguration(baudRate: 115_200)
        }
        let transport: any ByteTransport
        do {
            transport = try SerialTransport.open(path: path, configuration: configuration)
        } catch {
            throw BoardError.transport(board: "serial:\(path)", operation: "opening the port", error)
        }
        // A serial line's bytes take time: waits grow with what the line and the reply cost.
        var timed = policy
        if timed.bitsPerSecond == nil { timed.bitsPerSecond = Double(configuration.baudRate) }
        do {
            return try RemoteBoard(transport: transport, instrument: instrument, description: "serial:\(path)", policy: timed)
        } catch {
            transport.close()
            throw error
        }
    }

    static func openUSB(vendorID: UInt16, productID: UInt16, serialNumber: String?, instrument: Instrument,
                        policy: RemoteBoard.RetryPolicy) throws(BoardError) -> any Board {
        guard case .usb(let usb) = instrument.transport else {
            throw BoardError.identityMismatch("instrument \(instrument.name) is a serial board; use --board serial:PATH")
        }
        let name = BoardAddress.usb(vendorID: vendorID, productID: productID, serialNumber: serialNumber).description
        let transport: USBBulkTransport
        do {
            transport = try USBBulkTransport(vendorID: vendorID, productID: productID, serialNumber: serialNumber,
                                             interfaceNumber: usb.interfaceNumber,
                                             outEndpoint: usb.outEndpoint, inEndpoint: usb.inEndpoint)
        } catch {
            throw BoardError.transport(board: name, operation: "opening the device", error)
        }
        do {
            return try RemoteBoard(transport: transport, instrument: instrument, description: name, policy: policy)
        } catch {
            transport.close()
            throw error
        }
    }
}

extension SerialConfiguration {
    /// The line settings an instrument file names, case by case: a setting this layer could not
    /// express fails to compile rather than falling back to a default.
    init(_ settings: SerialSettings) {
        let parity: Parity
        switch settings.parity {
        case .none: parity = .none
        case .odd: parity = .odd
        case .even: parity = .even
        }
        let flow: FlowControl
        switch settings.flowControl {
        case .none: flow = .none
        case .rtscts: flow = .rtscts
        case .xonxoff: flow = .xonxoff
        }
        self.init(baudRate: settings.baudRate, dataBits: settings.dataBits, parity: parity, stopBits: settings.stopBits,
                  flowControl: flow)
    }
}
