import QConvertIR

extension Ops {
    /// Compress: the slices of `input` along `axis` whose entry in the 1-D bool `condition` is true;
    /// without `axis`, the elements of the flattened input. A condition shorter than the axis leaves the
    /// rest out; a longer one's extra entries are ignored (as in ONNX Runtime). Any fixed-width type;
    /// the output length depends on the data.
    enum Compress: Operator {
        static let type = "Compress"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let axis = node.attribute("axis") == nil ? nil : try node.int("axis")
            return Kernel { inputs, _ in
                let input = try inputs.required(0, "input"), condition = try inputs.required(1, "condition")
                guard condition.dataType == .bool, condition.rank == 1 else {
                    throw QConvertError("condition must be a 1-D bool tensor, got \(condition.dataType) \(condition.shape)")
                }
                guard input.dataType.bitWidth >= 8 else { throw QConvertError("\(input.dataType) tensors are not supported") }
                let data = axis == nil ? input.reshaped([input.count]) : input
                let normalized = try Axes.normalize(axis ?? 0, rank: data.rank)
                // Entries past the axis's length are ignored, as ONNX Runtime does.
                let picks = try condition.intValues("condition").prefix(data.shape[normalized]).enumerated().filter { $0.element != 0 }.map(\.offset)
                return [try Gather.take(data, along: normalized, picks: picks, indexShape: [picks.count])]
            }
        }
    }
}
