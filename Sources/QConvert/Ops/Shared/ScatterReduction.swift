import QConvertIR

/// The scatter shared by ScatterND and ScatterElements, and their `reduction` attribute: how an
/// update combines with the value it lands on (none: replaces it).
enum ScatterReduction {
    /// The formula of a reduction other than none; nil for none or an unknown name.
    static func formula(_ name: String) -> (any BinaryArithmetic.Type)? {
        switch name {
        case "add": Ops.Add.self
        case "mul": Ops.Mul.self
        case "max": Ops.Max.self
        case "min": Ops.Min.self
        default: nil
        }
    }

    /// Refuses a `reduction` attribute ONNX does not define.
    static func check(_ name: String) throws {
        guard name == "none" || formula(name) != nil else {
            throw QConvertError("reduction must be none, add, mul, max or min, got '\(name)'")
        }
    }

    /// A copy of `data` where block n of `updates` (`slice` elements) lands at element offset
    /// offsets[n], in order, replacing what is there or combined with it by `reduction`. Any
    /// fixed-width type without a reduction; float32, float64, int32, int64 with one.
    static func scatter(_ data: Tensor, updates: Tensor, offsets: [Int], slice: Int, reduction name: String) throws -> Tensor {
        func scatter<T: TensorElement>(_ type: T.Type, _ combine: ((T, T) -> T)?) -> Tensor {
            data.withElements(of: T.self) { source in
                updates.withElements(of: T.self) { values in
                    Tensor(uninitializedShape: data.shape, dataType: data.dataType, of: T.self) { out in
                        _ = out.initialize(from: source)
                        for (n, offset) in offsets.enumerated() {
                            for i in 0..<slice {
                                let update = values[n * slice + i]
                                out[offset + i] = combine.map { $0(out[offset + i], update) } ?? update
                            }
                        }
                    }
                }
            }
        }
        guard let reduction = formula(name) else {
            switch data.dataType.bitWidth {
            case 8: return scatter(UInt8.self, nil)
            case 16: return scatter(UInt16.self, nil)
            case 32: return scatter(UInt32.self, nil)
            case 64: return scatter(UInt64.self, nil)
            default: throw QConvertError("\(data.dataType) tensors are not supported")
            }
        }
        switch data.dataType {
        case .float: return scatter(Float.self, reduction.apply)
        case .double: return scatter(Double.self, reduction.apply)
        case .int32: return scatter(Int32.self, reduction.apply)
        case .int64: return scatter(Int64.self, reduction.apply)
        default: throw QConvertError("reduction \(name) on \(data.dataType) is not supported (float32, float64, int32, int64 are)")
        }
    }
}
