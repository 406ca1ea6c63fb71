import CKernels
import QConvertIR

extension Ops {
    /// Clip: y = min(max(x, lo), hi). Before opset 11 lo and hi are float attributes (default: no
    /// bound); from 11 they are optional one-element inputs of x's type (float32, float64, int32, int64),
    /// an omitted one meaning no bound.
    enum Clip: Operator {
        static let type = "Clip"

        /// The formula above as a value, so the shared loop is specialised for it and inlines it.
        struct Formula<T: TensorElement & Comparable>: UnaryFunction {
            let lo: T, hi: T
            func callAsFunction(_ x: T) -> T { min(max(x, lo), hi) }
            var vectorized: (op: qc_unary_op, p0: Float, p1: Float)? {
                guard let lo = lo as? Float, let hi = hi as? Float else { return nil }
                return (QC_CLIP, lo, hi)
            }
        }

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            if context.opsetVersion < 11 {
                let lo = try node.float("min", default: -.greatestFiniteMagnitude)
                let formula = Formula(lo: lo, hi: try node.float("max", default: .greatestFiniteMagnitude))
                return Kernel { inputs, context in [try Elementwise.unaryFloat(inputs, context, formula)] }
            }
            return Kernel { inputs, context in
                let x = try inputs.required(0, "input")
                func clip<T: TensorElement & Comparable>(lowest: T, highest: T) throws -> Tensor {
                    let lo = try bound(inputs.optional(1), "min", of: x, as: T.self) ?? lowest
                    let hi = try bound(inputs.optional(2), "max", of: x, as: T.self) ?? highest
                    return Elementwise.map(x, threads: context.threads, Formula(lo: lo, hi: hi))
                }
                switch x.dataType {
                case .float: return [try clip(lowest: -Float.infinity, highest: .infinity)]
                case .double: return [try clip(lowest: -Double.infinity, highest: .infinity)]
                case .int32: return [try clip(lowest: Int32.min, highest: .max)]
                case .int64: return [try clip(lowest: Int64.min, highest: .max)]
                default: throw QConvertError("\(x.dataType) input is not supported")
                }
            }
        }

        /// Its bounds when they are known without running the graph (attributes, or inputs `constant`
        /// finds; an omitted one is infinite), nil when a bound input is computed.
        static func constantBounds(_ node: Node, constant: (String) -> Tensor?) -> (lower: Float, upper: Float)? {
            var lower = -Float.infinity, upper = Float.infinity
            if let v = node.attribute("min"), case .float(let f) = v { lower = f }
            if let v = node.attribute("max"), case .float(let f) = v { upper = f }
            if node.inputs.count >= 2, !node.inputs[1].isEmpty {
                guard let v = constant(node.inputs[1])?.floats()?.first else { return nil }
                lower = v
            }
            if node.inputs.count >= 3, !node.inputs[2].isEmpty {
                guard let v = constant(node.inputs[2])?.floats()?.first else { return nil }
                upper = v
            }
            return (lower, upper)
        }

        /// The single element of an optional bound input, which must have x's type.
        static func bound<T: TensorElement>(_ tensor: Tensor?, _ name: String, of x: Tensor, as type: T.Type) throws -> T? {
            guard let tensor else { return nil }
            guard tensor.dataType == x.dataType, tensor.count == 1 else {
                throw QConvertError("\(name) must be a single \(x.dataType) element, got \(tensor.dataType) of shape \(tensor.shape)")
            }
            return tensor.withElements(of: T.self) { $0[0] }
        }
    }
}

extension Ops.Clip: Quantizable {
    /// Quantized as passThrough: clamping a quantized x leaves every value on its grid.
    static func quantizationRule(for node: Node, isConstant: (String) -> Bool) throws -> QuantizationRule? {
        QuantizationRule(.passThrough)
    }
}

extension Ops.Clip: ShapePreserving {}
