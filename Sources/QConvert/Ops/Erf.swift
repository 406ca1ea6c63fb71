import QConvertIR
#if canImport(Glibc)
import Glibc
#endif

extension Ops {
    /// Erf: y = erf(x) = 2/sqrt(pi) * (integral from 0 to x of e^(-t^2) dt), elementwise on float32.
    enum Erf: Operator {
        static let type = "Erf"

        /// The formula above as a value, so the shared loop is specialised for it and inlines it.
        struct Formula: UnaryFunction {
            func callAsFunction(_ x: Float) -> Float { erff(x) }
        }

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            Kernel { inputs, context in [try Elementwise.unaryFloat(inputs, context, Formula())] }
        }
    }
}

extension Ops.Erf: ShapePreserving {}
