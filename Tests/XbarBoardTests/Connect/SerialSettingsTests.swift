import Testing
@testable import XbarBoard
import XbarInstrument
import XbarTransport

@Suite("serial line settings reaching the transport")
struct SerialSettingsTests {
    @Test("every parity and flow control an instrument file names reaches the port as named, never as none")
    func settingsCarriedExactly() {
        for (parity, expected) in [(Parity.none, SerialConfiguration.Parity.none), (.odd, .odd), (.even, .even)] {
            for (flow, expectedFlow) in [(FlowControl.none, SerialConfiguration.FlowControl.none), (.rtscts, .rtscts), (.xonxoff, .xonxoff)] {
                let settings = SerialSettings(baudRate: 57_600, dataBits: 7, parity: parity, stopBits: 2, flowControl: flow)
                let line = SerialConfiguration(settings)
                #expect(line.parity == expected && line.flowControl == expectedFlow)
                #expect(line.baudRate == 57_600 && line.dataBits == 7 && line.stopBits == 2)
            }
        }
    }

    @Test("a USB instrument on a serial path that is not a pseudo-terminal is refused naming its USB ids, before the port opens")
    func usbInstrumentOnRealSerialPath() throws {
        let instrument = TestInstrument.usb4x64()
        #expect {
            _ = try BoardConnector.openSerial(path: "/dev/null", instrument: instrument, policy: .init())
        } throws: { error in
            "\(error)".contains("instrument usb-4x64 is a USB board (usb 1209:58BA) and names no serial line settings")
        }
    }
}
