import QConvertIR

extension Ops {
    /// NonZero: the int64 coordinates of X's non-zero elements as a [rank, count] matrix, column j the
    /// coordinates of the j-th non-zero element in row-major order (numpy.nonzero stacked). -0.0 is zero
    /// and NaN is not, as `x != 0` says. A 0-d X gives [1, count] with coordinate 0, as ONNX Runtime
    /// gives it: the ONNX spec says [0, count], and ORT keeps its older shape (onnx/onnx#2428).
    /// bool, integers, float16, bfloat16, float32, float64; ORT itself runs only bool, uint8, int32,
    /// int64 and float32.
    enum NonZero: Operator {
        static let type = "NonZero"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            Kernel { inputs, _ in
                let x = try inputs.required(0, "X")
                // Non-zero means some bit other than a float's sign bit is set: `x != 0` for IEEE floats
                // (NaN included, -0.0 excluded) and for integers and bool alike, read as raw bits.
                let isFloat = [DataType.float, .double, .float16, .bfloat16].contains(x.dataType)
                let isInteger = [DataType.bool, .int8, .uint8, .int16, .uint16, .int32, .uint32, .int64, .uint64].contains(x.dataType)
                guard isFloat || isInteger else { throw QConvertError("\(x.dataType) input is not supported") }
                switch x.dataType.bitWidth {
                case 8: return [coordinates(x, UInt8.self, isFloat: isFloat)]
                case 16: return [coordinates(x, UInt16.self, isFloat: isFloat)]
                case 32: return [coordinates(x, UInt32.self, isFloat: isFloat)]
                default: return [coordinates(x, UInt64.self, isFloat: isFloat)]
                }
            }
        }

        /// The [rank, count] coordinates of the elements of `x` (read as bits `T`) with a bit set other
        /// than the sign bit when `isFloat`. Counted first so the output is sized exactly; a flat index p
        /// has coordinate (p / stride[a]) % shape[a] on axis a.
        static func coordinates<T: FixedWidthInteger & TensorElement>(_ x: Tensor, _ type: T.Type, isFloat: Bool) -> Tensor {
            let mask: T = isFloat ? ~(1 << (T.bitWidth - 1)) : ~0
            let shape = x.rank == 0 ? [1] : x.shape
            return x.withElements(of: T.self) { elements in
                var count = 0
                for bits in elements where bits & mask != 0 { count += 1 }
                return Tensor(uninitializedShape: [shape.count, count], of: Int64.self) { out in
                    var column = 0
                    for (flat, bits) in elements.enumerated() where bits & mask != 0 {
                        var rest = flat
                        for axis in shape.indices.reversed() {
                            out[axis * count + column] = Int64(rest % shape[axis])
                            rest /= shape[axis]
                        }
                        column += 1
                    }
                }
            }
        }
    }
}

extension Ops.NonZero: ShapeInferable {
    /// int64 [rank (1 for a 0-d X), unknown]: how many elements are non-zero depends on the data.
    static func inferOutputs(_ query: ShapeQuery) throws -> [ValueFacts?] {
        guard let x = query.shape(0) else { return [ValueFacts(.int64, [.unknown, .unknown])] }
        return [ValueFacts(.int64, [.value(max(x.count, 1)), .unknown])]
    }
}
