import XbarDevice
import XbarWire

/// A board type, as described by one file in `instruments/`: how to reach it, its geometry,
/// its electrical limits and the default device model of its simulated twin.
public struct Instrument: Hashable, Sendable {
    /// Short name, the file's stem (e.g. "usb-4x64").
    public var name: String
    /// Board model string the board reports in IDENTIFY.
    public var model: String
    /// Human description.
    public var description: String
    /// File the instrument was loaded from, if any (for messages).
    public var path: String?
    /// A version string the file declares; recorded with every run.
    public var version: String
    public var transport: InstrumentTransport
    public var tiles: [TileInfo]
    public var limits: ElectricalLimits
    public var adc: ADCInfo
    /// The sense ranges a READ or MVM may choose (`adc.sense_ranges` in the file), index by
    /// index; empty when the board has none (capability ``XbarWire/Capabilities/senseRanges``).
    public var senseRanges: [SenseRange]
    public var dac: DACInfo
    /// Bias scheme used when a job does not name one.
    public var defaultBiasScheme: BiasScheme
    /// Read voltage of non-volatile cells when a job does not name one, volts.
    public var defaultReadVolts: Double
    /// Read voltage of STM nodes, volts.
    public var stmReadVolts: Double
    /// Default device model of the simulated twin.
    public var device: DeviceParameters
    /// The STM device class of every row of an STM tile, by tile index (`row_device_classes`
    /// in the file), each name a key of `device.shortTermMemoryClasses`. Tiles not listed hold
    /// nodes of the default STM population.
    public var stmRowDeviceClasses: [UInt8: [String]]
    /// The array periphery of the simulated twin (the file's `array:` section; ideal without one).
    public var periphery: ArrayPeripheryParameters
    /// What conversions and products cost (the file's `energy:` section), for estimating an
    /// inference's energy; nil when the file declares none.
    public var energy: ConverterEnergy?

    public init(name: String, model: String, description: String, path: String?, version: String,
                transport: InstrumentTransport, tiles: [TileInfo], limits: ElectricalLimits,
                adc: ADCInfo, dac: DACInfo, defaultBiasScheme: BiasScheme, defaultReadVolts: Double,
                stmReadVolts: Double, device: DeviceParameters, stmRowDeviceClasses: [UInt8: [String]] = [:],
                periphery: ArrayPeripheryParameters = .ideal, senseRanges: [SenseRange] = [],
                energy: ConverterEnergy? = nil) {
        self.senseRanges = senseRanges
        self.name = name
        self.model = model
        self.description = description
        self.path = path
        self.version = version
        self.transport = transport
        self.tiles = tiles
        self.limits = limits
        self.adc = adc
        self.dac = dac
        self.defaultBiasScheme = defaultBiasScheme
        self.defaultReadVolts = defaultReadVolts
        self.stmReadVolts = stmReadVolts
        self.device = device
        self.stmRowDeviceClasses = stmRowDeviceClasses
        self.periphery = periphery
        self.energy = energy
    }
}

/// How the host reaches a board of this type.
public enum InstrumentTransport: Hashable, Sendable {
    case usb(USBSettings)
    case serial(SerialSettings)
}

public struct USBSettings: Hashable, Sendable {
    public var vendorID: UInt16
    public var productID: UInt16
    public var interfaceNumber: UInt8
    /// Bulk OUT endpoint address, e.g. 0x01.
    public var outEndpoint: UInt8
    /// Bulk IN endpoint address, e.g. 0x81.
    public var inEndpoint: UInt8

    public init(vendorID: UInt16, productID: UInt16, interfaceNumber: UInt8, outEndpoint: UInt8, inEndpoint: UInt8) {
        self.vendorID = vendorID
        self.productID = productID
        self.interfaceNumber = interfaceNumber
        self.outEndpoint = outEndpoint
        self.inEndpoint = inEndpoint
    }
}

public enum Parity: String, Hashable, Sendable, Codable, CaseIterable {
    case none, odd, even
}

public enum FlowControl: String, Hashable, Sendable, Codable, CaseIterable {
    case none, rtscts, xonxoff
}

public struct SerialSettings: Hashable, Sendable {
    public var baudRate: Int
    public var dataBits: Int
    public var parity: Parity
    public var stopBits: Int
    public var flowControl: FlowControl
    /// USB VID/PID of the board's USB-serial adapter, when it has one (used by discovery).
    public var usbVendorID: UInt16?
    public var usbProductID: UInt16?

    public init(baudRate: Int, dataBits: Int = 8, parity: Parity = .none, stopBits: Int = 1,
                flowControl: FlowControl = .none, usbVendorID: UInt16? = nil, usbProductID: UInt16? = nil) {
        self.baudRate = baudRate
        self.dataBits = dataBits
        self.parity = parity
        self.stopBits = stopBits
        self.flowControl = flowControl
        self.usbVendorID = usbVendorID
        self.usbProductID = usbProductID
    }

    /// Bits on the wire per byte: start bit, data bits, parity bit, stop bits.
    public var bitsPerByte: Int { 1 + dataBits + (parity == .none ? 0 : 1) + stopBits }
}

extension Instrument {
    /// The tile with the given index, if the board has it.
    public func tile(_ index: UInt8) -> TileInfo? { tiles.first { $0.index == index } }

    /// Tiles of non-volatile weight cells.
    public var weightTiles: [TileInfo] { tiles.filter { $0.kind.isNonVolatile } }

    /// Tiles of STM state nodes.
    public var stateTiles: [TileInfo] { tiles.filter { $0.kind == .shortTermMemory } }

    /// The device class of the STM nodes of a tile's row, nil for the default population (or a
    /// tile or row without a class).
    public func stmDeviceClass(tile: UInt8, row: Int) -> String? {
        guard let names = stmRowDeviceClasses[tile], names.indices.contains(row) else { return nil }
        return names[row]
    }

    /// The STM device classes a tile's rows use, in row order, each once; `[nil]` for a tile of
    /// the default population.
    public func stmDeviceClasses(tile: UInt8) -> [String?] {
        guard let names = stmRowDeviceClasses[tile] else { return [nil] }
        var seen: [String?] = []
        for name in names where !seen.contains(name) { seen.append(name) }
        return seen
    }

    /// The population the STM nodes of a tile's row draw from in `device` (the instrument's
    /// defaults when nil); nil when the row's class is missing from `device`.
    public func stmParameters(tile: UInt8, row: Int, in device: DeviceParameters? = nil) -> ShortTermMemoryCellParameters? {
        (device ?? self.device).shortTermMemory(deviceClass: stmDeviceClass(tile: tile, row: row))
    }

    /// The STM device classes the rows use that `device` has no parameters for, sorted: a
    /// device model (e.g. a calibration) lacking them cannot drive this board type.
    public func stmDeviceClassesMissing(from device: DeviceParameters) -> [String] {
        Set(stmRowDeviceClasses.values.joined()).filter { device.shortTermMemoryClasses[$0] == nil }.sorted()
    }
}
