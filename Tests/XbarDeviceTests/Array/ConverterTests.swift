import Testing
import XbarDevice

@Suite("ADC and DAC quantisation")
struct ConverterTests {
    @Test("an 8-bit read ADC rounds to 255 steps over [0, full scale] and flags values above it")
    func unipolar() {
        let adc = UnipolarQuantizer(bits: 8, fullScale: 50e-6)
        #expect(adc.step == 50e-6 / 255)
        var x = 0.0
        while x < 50e-6 {
            let (value, saturated) = adc.convert(x)
            #expect(!saturated)
            #expect(abs(value - x) <= adc.step / 2 * (1 + 1e-12))
            x += 0.37e-6
        }
        #expect(adc.convert(50e-6) == (50e-6, false))
        #expect(adc.convert(80e-6) == (50e-6, true))
        #expect(adc.convert(-1e-9) == (0, false))
    }

    @Test("a bipolar converter has symmetric levels with exact zero and full scales, saturating and flagging beyond")
    func bipolar() {
        let dac = BipolarQuantizer(bits: 8, fullScale: 0.3)
        #expect(dac.step == 0.3 / 127)
        #expect(dac.convert(0).value == 0)
        #expect(dac.convert(-0.3) == (-0.3, false))
        #expect(dac.convert(0.31) == (0.3, true))
        #expect(dac.convert(-0.31) == (-0.3, true))
        #expect(abs(dac.convert(0.1).value - 0.1) <= dac.step / 2)
        #expect(dac.convert(0.1).value == -dac.convert(-0.1).value)
    }
}
