/// The pass pipelines, as typed lists so a misspelt pass is a compile error.
public enum Pipelines {
    /// Makes the float graph look like what will be deployed, before calibration:
    /// model-local functions inlined (so their nodes are ops like any other), every node named uniquely (decisions are keyed by node name), the opset raised to what the
    /// quantized model needs (14: per-axis DequantizeLinear, HardSwish),
    /// constants (so BatchNorm parameters and Clip bounds held in Constant nodes become known),
    /// then identities out of the way (so patterns are adjacent), then BatchNorm and constant
    /// per-channel Mul/Add folded into the weights they follow, then activations recognised as units
    /// with the op they clip, then per-channel scales and shifts that only a Conv reads folded into it (after
    /// the activations, so none of theirs is taken), then dead code removed;
    /// shapes are inferred first (so Shape of a statically shaped value folds) and again last (so the
    /// prepared model declares the shapes of the values it now has).
    public static var prepare: [any Pass] {
        [
            InlineFunctions(),
            NameNodes(),
            InferShapes(),
            UpgradeOpset(),
            FoldConstants(),
            EliminateIdentity(),
            CollapseReshapeTranspose(),
            FoldBatchNorm(),
            FoldChannelAffine(),
            FuseConvActivation(),
            FoldInputAffine(),
            EliminateDeadNodes(),
            InferShapes(),
        ]
    }

    /// Passes that `quantize` runs on the prepared model, from calibration samples, which
    /// `--print-after` takes there too (and `--stats` lists).
    public static var afterPreparation: Set<String> { [EqualizeActivations.passName] }
}
