import QConvert
import QConvertIR

/// Runs one ONNX node through the interpreter, for kernel tests that build their inputs in Swift.
enum SingleNode {
    /// Outputs of a node of type `op` on `inputs` (fed as x0, x1...) at `opset`, with `threads` threads.
    static func run(
        _ op: String, _ inputs: [Tensor], opset: Int = 13, outputs: Int = 1, threads: Int = 2, _ attributes: [Attribute] = []
    ) throws -> [Tensor] {
        let names = inputs.indices.map { "x\($0)" }
        let outputNames = (0..<outputs).map { "y\($0)" }
        let node = Node(name: "n", opType: op, inputs: names, outputs: outputNames, attributes: attributes)
        let graph = Graph(nodes: [node], inputs: names.map { ValueInfo(name: $0) }, outputs: outputNames.map { ValueInfo(name: $0) })
        let model = Model(opsetImports: [OpsetImport(domain: "", version: Int64(opset))], graph: graph)
        let results = try Interpreter(model: model, threads: threads).run(Dictionary(uniqueKeysWithValues: zip(names, inputs)))
        return outputNames.map { results[$0]! }
    }
}
