import QConvert
import QConvertIR

extension PassChecks {
    /// Runs `model` on `feeds` and compares each produced tensor with its declared type: element type,
    /// rank and every numeric dim equal, and each symbolic name bound to one size throughout the run.
    /// Returns how many values had a declared shape, and what disagreed.
    ///
    /// Why: what infer-shapes records must be what the model computes; the interpreter is the truth.
    /// Values come from the run hook, and graph outputs also from the results: the interpreter computes
    /// constant-only nodes once when compiling, and the hook never sees those.
    public static func shapeAgreement(_ model: Model, feeds: [String: Tensor]) throws -> (checked: Int, mismatches: [String]) {
        var bindings: [String: Int] = [:]
        var mismatches: [String] = []
        var seen: Set<String> = []
        let declared = Set(model.graph.valueInfo.keys).union(model.graph.outputs.map(\.name))
        func compare(_ name: String, _ tensor: Tensor) {
            guard declared.contains(name), let type = model.graph.declaredType(of: name), let dims = type.shape else { return }
            seen.insert(name)
            guard type.elementType == tensor.dataType, dims.count == tensor.rank else {
                mismatches.append("\(name): declared \(type.elementType) \(dims), got \(tensor.dataType) \(tensor.shape)")
                return
            }
            for (dim, size) in zip(dims, tensor.shape) {
                switch dim {
                case .value(let v) where v != size: mismatches.append("\(name): declared \(dims), got \(tensor.shape)")
                case .param(let p) where bindings[p, default: size] != size: mismatches.append("\(name): \(p) is \(bindings[p]!) elsewhere, \(size) here")
                case .param(let p): bindings[p] = size
                default: break
                }
            }
        }
        let results = try Interpreter(model: model, threads: 1).run(feeds) { name, tensor in compare(name, tensor) }
        for output in model.graph.outputs where !seen.contains(output.name) {
            if let tensor = results[output.name] { compare(output.name, tensor) }
        }
        return (seen.count, mismatches)
    }
}
