import QConvertIR

/// An elementwise function of one 8-bit tensor as a 256-entry table, as ONNX Runtime's QLinearSigmoid,
/// QLinearLeakyRelu and QLinearConcat compute it (QlinearBuildLookupTable):
///     table[v] = saturate(round_half_to_even(f(float(v − x_zero) · x_scale) / y_scale) + y_zero)
/// for every value v of x's type; y = table[x].
///
/// Why a table: an 8-bit input has only 256 values, so the float function runs 256 times per node
/// instead of once per element. Integer-only inference builds the same tables offline, so the
/// interpreter's fixed-point mode uses them too.
struct QuantizedLookupTable {
    /// Indexed by x's byte (its two's-complement bits for int8).
    let entries: [UInt8]

    /// `type`: x's and y's 8-bit type; `f` is called with all 256 dequantized values at once.
    init(type: DataType, input: (scale: Float, zeroPoint: Int32), output: (scale: Float, zeroPoint: Int32),
         _ f: ([Float]) -> [Float]) {
        let values = (0..<256).map { byte in type == .int8 ? Int32(Int8(truncatingIfNeeded: byte)) : Int32(byte) }
        let mapped = f(values.map { Float($0 - input.zeroPoint) * input.scale })
        let range = QuantizedParameters.range(of: type)
        entries = mapped.map { value in
            UInt8(truncatingIfNeeded: AffineQuantization.quantize(value, scale: output.scale, zeroPoint: Int64(output.zeroPoint),
                                                                  range: Int64(range.lowerBound)...Int64(range.upperBound)))
        }
    }

    /// y = table[x] for an 8-bit x; y has x's shape and type.
    func apply(_ x: Tensor, threads: Int) -> Tensor {
        x.withElements(of: UInt8.self) { input in
            Tensor(shape: x.shape, dataType: x.dataType, of: UInt8.self) { output in
                entries.withUnsafeBufferPointer { table in
                    Parallel.forEach(count: input.count, grain: 1 << 16, threads: threads) { chunk in
                        for i in chunk { output[i] = table[Int(input[i])] }
                    }
                }
            }
        }
    }

    /// The table of a unary QLinear op whose inputs are (X, X_scale, X_zero_point, Y_scale,
    /// Y_zero_point), zero points optional; `f` maps the dequantized values.
    static func unary(_ inputs: [Tensor?], _ f: ([Float]) -> [Float]) throws -> (table: QuantizedLookupTable, x: Tensor) {
        let x = try inputs.required(0, "X")
        let type = try QuantizedParameters.eightBitType(x, "X")
        let xq = try QuantizedParameters(scale: inputs.optional(1), zeroPoint: inputs.optional(2), of: type, name: "X_scale")
        let yq = try QuantizedParameters(scale: inputs.optional(3), zeroPoint: inputs.optional(4), of: type, name: "Y_scale")
        return (QuantizedLookupTable(type: type, input: xq.scalar, output: yq.scalar, f), x)
    }
}
