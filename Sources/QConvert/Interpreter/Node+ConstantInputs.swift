import QConvertIR

extension Node {
    /// The node's inputs when every one is a known constant (an empty name, an omitted optional
    /// input, stays nil), else nil: what constant folding, at compile time or as a pass, can run.
    func constantInputs(_ constants: [String: Tensor]) -> [Tensor?]? {
        var inputs: [Tensor?] = []
        for name in self.inputs {
            if name.isEmpty {
                inputs.append(nil)
            } else if let tensor = constants[name] {
                inputs.append(tensor)
            } else {
                return nil
            }
        }
        return inputs
    }
}
