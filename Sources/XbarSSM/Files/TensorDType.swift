/// The element types a safetensors file can hold, by their names in the file's header.
public enum TensorDType: String, Hashable, Sendable, CaseIterable {
    case bool = "BOOL"
    case uint8 = "U8", int8 = "I8"
    case uint16 = "U16", int16 = "I16", float16 = "F16", bfloat16 = "BF16"
    case uint32 = "U32", int32 = "I32", float32 = "F32"
    case uint64 = "U64", int64 = "I64", float64 = "F64"

    /// Bytes per element.
    public var byteWidth: Int {
        switch self {
        case .bool, .uint8, .int8: return 1
        case .uint16, .int16, .float16, .bfloat16: return 2
        case .uint32, .int32, .float32: return 4
        case .uint64, .int64, .float64: return 8
        }
    }

    public var isFloatingPoint: Bool {
        switch self {
        case .float16, .bfloat16, .float32, .float64: return true
        default: return false
        }
    }
}
