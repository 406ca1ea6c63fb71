import QConvertIR

extension Ops {
    /// Trilu: of each matrix in the last two dims, the upper triangle (`upper` = 1, the default:
    /// elements with column j >= row i + k) or the lower one (j <= i + k), the rest zero; k is input 1
    /// (an int64 scalar, default 0: the main diagonal; positive is above it). Causal-attention masks in
    /// exported language models are built with it. Any fixed-width type: the kept run of each row is
    /// copied as bytes into a zeroed output, and all-zero bytes are zero in every numeric type.
    enum Trilu: Operator {
        static let type = "Trilu"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let upper = try node.int("upper", default: 1) != 0
            return Kernel { inputs, _ in
                let x = try inputs.required(0, "input")
                guard x.rank >= 2 else { throw QConvertError("input must have rank 2 or more, got shape \(x.shape)") }
                let rows = x.shape[x.rank - 2], columns = x.shape[x.rank - 1]
                // Past either corner every row keeps all or nothing; clamped there, i + k cannot overflow.
                let k = min(max(try inputs.optional(1).map { try $0.intScalar("k") } ?? 0, -rows - 1), columns + 1)
                let width = x.dataType.bitWidth / 8
                guard width > 0, x.dataType.bitWidth % 8 == 0, x.dataType != .string else {
                    throw QConvertError("\(x.dataType) input is not supported")
                }
                let matrices = rows * columns == 0 ? 0 : x.count / (rows * columns)
                let storage = TensorStorage(byteCount: x.count * width) { out in
                    guard let target = out.baseAddress, let source = x.storage.bytes.baseAddress else { return }
                    for row in 0..<matrices * rows {
                        let diagonal = row % rows + k
                        let (from, to) = upper ? (min(max(diagonal, 0), columns), columns) : (0, min(max(diagonal + 1, 0), columns))
                        guard from < to else { continue }
                        let offset = (row * columns + from) * width
                        (target + offset).copyMemory(from: source + offset, byteCount: (to - from) * width)
                    }
                }
                return [Tensor(dataType: x.dataType, shape: x.shape, storage: storage)]
            }
        }
    }
}

extension Ops.Trilu: ShapePreserving {}
