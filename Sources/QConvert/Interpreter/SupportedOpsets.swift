import QConvertIR

/// The default-domain (ai.onnx) opset versions qconvert runs and rewrites models at.
///
/// Why: an op's meaning may change from one opset to the next, so a model stamped with an opset that
/// did not exist when this code was written cannot be run or rewritten faithfully: qconvert would
/// compute older semantics, and the quantized model it wrote would still claim that opset (ONNX
/// Runtime refuses opset 99). Old opsets are fine: `upgrade-opset` converts them.
public enum SupportedOpsets {
    /// The newest ai.onnx opset of the `onnx` release the project tests against (1.23).
    public static let newest = 28

    /// Fails with one line unless the model's default-domain opset is between 1 and `newest`.
    public static func check(_ model: Model) throws {
        guard let version = model.opsetVersion() else { return }
        guard version >= 1 else {
            throw QConvertError("imports ai.onnx opset \(version), which does not exist (opsets start at 1)")
        }
        guard version <= newest else {
            throw QConvertError("imports ai.onnx opset \(version), newer than the newest qconvert knows (\(newest))")
        }
    }
}
