import Foundation
import XbarBoard
import XbarDevice
import XbarInstrument
import XbarWire

/// The shipped instrument files, loaded from the repository so tests run from any directory.
///
/// usb-4x64: tiles 0-3 are 64x64 1T1R weight tiles, tile 4 holds 4x64 STM nodes.
/// serial-32x32: tile 0 is a 32x32 passive array (V/2 board), tile 1 holds 32 STM nodes.
enum TestInstrument {
    static let states: UInt8 = 4
    static let passive: UInt8 = 0

    static let instrumentsFolder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("instruments")

    static func shipped(_ name: String) -> Instrument {
        let path = instrumentsFolder.appendingPathComponent("\(name).yaml").path
        do {
            return try Instrument.load(path: path)
        } catch {
            preconditionFailure("\(path): the shipped instrument file does not load: \(error)")
        }
    }

    /// The USB board as shipped.
    ///
    /// - Parameters:
    ///   - adcBits: the ADC resolution; 8 as shipped, more where a test needs quantisation
    ///     well below the read noise.
    ///   - device: device parameters instead of the file's defaults.
    static func usb4x64(adcBits: UInt8? = nil, device: DeviceParameters? = nil) -> Instrument {
        var instrument = shipped("usb-4x64")
        if let adcBits { instrument.adc.bits = adcBits }
        if let device { instrument.device = device }
        return instrument
    }

    /// The serial board with its passive array, as shipped.
    static func serial32x32() -> Instrument {
        shipped("serial-32x32")
    }
}

extension BoardError {
    /// The fault inside, if this is one.
    var fault: BoardFault? {
        if case .fault(let f) = self { return f }
        return nil
    }
}

/// The fault a request is refused with, or nil when it is carried out.
func refusal(_ board: SimulatedBoard, _ request: Request) -> BoardFault? {
    do {
        _ = try board.perform(request)
        return nil
    } catch {
        return error.fault
    }
}
