import QConvertIR

/// Rounds quantized compute nodes' weights with GPTQ, given their input Gram matrices, laid out as
/// the weights are stored. Weights GPTQ cannot take (ConvTranspose, shapes it does not know, an
/// unusable Gram matrix) keep rounding to nearest.
enum WeightRounding {
    /// Largest input-vector length rounded with GPTQ: its cost grows as k^3 (k = 4096 takes seconds).
    static let maxVectorLength = 4096
    /// GPTQ needs at least this many input vectors per unknown (k): with fewer, H is far from full
    /// rank and GPTQ fits its corrections to the few samples seen (an SE block's 1x1 convs see one
    /// vector per sample) and rounding to nearest generalises better.
    static let vectorsPerInput = 4

    /// GPTQ-rounded integer weights (with the scales they were rounded on) for every quantized
    /// compute node GPTQ handles, from Gram matrices gathered on `samples` (nodes are rounded in
    /// parallel; each on its own, so the result does not depend on the thread count).
    static func gptq(model: Model, plan: QuantizationPlan, samples: CalibrationDataset, positionsPerSample: Int = 4096,
                     threads: Int) throws -> [String: WeightQuantization.Result] {
        var work: [(WeightLayout, Node, InputGram.Target)] = []
        for node in model.graph.nodes {
            guard let layout = try WeightLayout.of(node, graph: model.graph, plan: plan),
                  let target = try InputGram.target(for: layout, node: node), target.k <= maxVectorLength
            else { continue }
            work.append((layout, node, target))
        }
        let grams = try InputGram.collect(model: model, targets: work.map(\.2), samples: samples,
                                          positionsPerSample: positionsPerSample, threads: threads)
        var results = [WeightQuantization.Result?](repeating: nil, count: work.count)
        results.withUnsafeMutableBufferPointer { out in
            Parallel.forEach(count: work.count, grain: 1, threads: threads) { range in
                for i in range {
                    let (layout, node, target) = work[i]
                    guard let collected = grams[layout.node], collected.vectors >= vectorsPerInput * target.k else { continue }
                    out[i] = gptq(layout, node: node, gram: collected.gram, target: target)
                }
            }
        }
        var map: [String: WeightQuantization.Result] = [:]
        for (i, item) in work.enumerated() { if let result = results[i] { map[item.0.node] = result } }
        return map
    }

    static func gptq(_ layout: WeightLayout, node: Node, gram: [Float], target: InputGram.Target) -> WeightQuantization.Result? {
        let w = layout.weight
        guard let values = w.floats(), target.k <= maxVectorLength else { return nil }
        let qmax = Double((1 << (layout.bits - 1)) - 1)
        let k = target.k
        // Output rows: (row index in storage order, element stride along k, start offset, scale index).
        var rowsPerGroup: Int
        var element: (Int, Int) -> Int   // (row, j) -> flat index into w
        switch node.opType {
        case "Conv":
            rowsPerGroup = w.shape[0] / target.groups
            element = { r, j in r * k + j }
        case "Gemm" where Ops.Gemm.transposesB(node):
            rowsPerGroup = w.shape[0]
            element = { r, j in r * k + j }
        default:   // MatMul / Gemm with W stored [k, n]: row n is column n of the storage.
            rowsPerGroup = w.shape[1]
            let n = w.shape[1]
            element = { r, j in j * n + r }
        }
        var codes = [Int8](repeating: 0, count: values.count)
        for group in 0..<target.groups {
            let firstRow = group * rowsPerGroup
            var rowValues = [Double](repeating: 0, count: rowsPerGroup * k)
            var rowScales = [Double](repeating: 1, count: rowsPerGroup)
            for r in 0..<rowsPerGroup {
                rowScales[r] = Double(layout.scales[layout.scales.count == 1 ? 0 : firstRow + r])
                for j in 0..<k { rowValues[r * k + j] = Double(values[element(firstRow + r, j)]) }
            }
            guard let rounded = GPTQ.round(weights: rowValues, rows: rowsPerGroup, k: k, scales: rowScales, qmax: qmax,
                                           gram: gram[(group * k * k)..<((group + 1) * k * k)].map(Double.init))
            else { return nil }
            for r in 0..<rowsPerGroup { for j in 0..<k { codes[element(firstRow + r, j)] = rounded[r * k + j] } }
        }
        let tensor = Tensor(shape: w.shape, scalars: codes)
        let params = QuantParams(type: .int8, scales: layout.scales, zeroPoints: Array(repeating: 0, count: layout.scales.count), axis: layout.axis)
        return WeightQuantization.Result(tensor: tensor, params: params)
    }
}
