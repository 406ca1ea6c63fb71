import QConvertIR

/// Broadcasting of the arithmetic ops before opset 7 (Add, Sub, Mul, Div, Pow): B is broadcast only if
/// the `broadcast` attribute is 1, and then its dims match a contiguous run of A's dims starting at
/// `axis` (by default the trailing ones). From opset 7 on, numpy broadcasting applies and this is a
/// no-op.
///
/// Why: old exporters (the PyTorch-converted ONNX test models among them) write `axis`-aligned B
/// shapes that numpy's right-aligned rule would reject or misread.
struct LegacyBroadcast: Sendable {
    /// nil from opset 7 on; otherwise whether broadcasting is allowed and the axis B starts at.
    private let rule: (allowed: Bool, axis: Int?)?

    init(_ node: Node, _ context: CompileContext) throws {
        if context.opsetVersion >= 7 {
            rule = nil
        } else {
            let axis = node.attribute("axis") == nil ? nil : try node.int("axis")
            rule = (try node.int("broadcast", default: 0) != 0, axis)
        }
    }

    /// B reshaped so that numpy broadcasting against A means what the legacy rule says.
    func align(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        guard let rule, a.shape != b.shape else { return b }
        guard rule.allowed else { throw QConvertError("shapes \(a.shape) and \(b.shape) differ and broadcast is not set") }
        let axis = rule.axis ?? (a.rank - b.rank)
        guard axis >= 0, axis + b.rank <= a.rank else {
            throw QConvertError("B of shape \(b.shape) does not fit A of shape \(a.shape) at axis \(axis)")
        }
        return b.reshaped([Int](repeating: 1, count: axis) + b.shape + [Int](repeating: 1, count: a.rank - axis - b.rank))
    }
}
