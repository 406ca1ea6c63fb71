import QConvertIR

extension Recurrent {
    /// The recurrent ops' output facts, all of X's type: Y [seq, directions, batch, hidden] and each of
    /// `states` final states (Y_h, and Y_c for LSTM) [directions, batch, hidden]; with `layout` 1 (batch
    /// first, X [batch, seq, input]) Y [batch, seq, directions, hidden] and states [batch, directions,
    /// hidden]. hidden is `hidden_size`, else R's last dim ([directions, gates · hidden, hidden]).
    ///
    /// Why layout 1 here though the kernel rejects it: the shapes are ONNX's, whatever runs the model.
    static func inferOutputs(_ query: ShapeQuery, states: Int) throws -> [ValueFacts?] {
        guard let type = query.elementType(0) else { return [] }
        let directions = Dim.value(try Self.directions(query.node).count)
        let batchFirst = try query.node.int("layout", default: 0) != 0
        let x = query.shape(0)
        if let x, x.count != 3 { throw QConvertError("input X must have rank 3, got shape \(x)") }
        let (steps, batch) = x.map { batchFirst ? ($0[1], $0[0]) : ($0[0], $0[1]) } ?? (.unknown, .unknown)
        let attribute = query.node.attribute("hidden_size") == nil ? nil : try query.node.int("hidden_size")
        let hidden = attribute.map { .value($0) } ?? query.shape(2).flatMap { $0.count == 3 ? $0[2] : nil } ?? .unknown
        let y = batchFirst ? [batch, steps, directions, hidden] : [steps, directions, batch, hidden]
        let state = batchFirst ? [batch, directions, hidden] : [directions, batch, hidden]
        return [ValueFacts(type, y)] + Array(repeating: ValueFacts(type, state), count: states)
    }
}
