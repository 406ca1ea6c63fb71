import QConvertIR

extension Ops {
    /// PRelu: y = x for x >= 0, slope * x otherwise, on float32; slope broadcasts to x's shape
    /// (unidirectionally: the output always has x's shape), typically one slope per channel. Before
    /// opset 7 a 1-D slope of C values is one per channel of axis 1.
    enum PRelu: Operator {
        static let type = "PRelu"

        /// The formula above as a value, so the shared loop is specialised for it and inlines it.
        struct Formula: BinaryFunction {
            func callAsFunction(_ x: Float, _ slope: Float) -> Float { x >= 0 ? x : x * slope }
        }

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let perChannel = context.opsetVersion < 7
            return Kernel { inputs, context in
                let x = try inputs.required(0, "X")
                var slope = try inputs.required(1, "slope")
                // Before opset 7 a 1-D slope of C values is one per channel (axis 1).
                if perChannel, slope.rank == 1, x.rank >= 2, slope.count == x.shape[1], slope.count != 1 {
                    slope = slope.reshaped([slope.count] + [Int](repeating: 1, count: x.rank - 2))
                }
                guard x.dataType == .float, slope.dataType == .float else {
                    throw QConvertError("expects float32 inputs, got \(x.dataType) and \(slope.dataType)")
                }
                let plan = try Broadcast([x.shape, slope.shape], to: x.shape)
                return [plan.map(x, slope, to: .float, threads: context.threads, Formula())]
            }
        }
    }
}

extension Ops.PRelu: ShapePreserving {}
