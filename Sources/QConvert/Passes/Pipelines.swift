/// The pass pipelines, as typed lists so a misspelt pass is a compile error.
public enum Pipelines {
    /// Makes the float graph look like what will be deployed, before calibration:
    /// constants first (so BatchNorm parameters and Clip bounds held in Constant nodes become known),
    /// then identities out of the way (so patterns are adjacent), then BatchNorm folded into the weights
    /// it follows, then activations recognised as units with the op they clip, then dead code removed;
    /// shapes are inferred first (so Shape of a statically shaped value folds) and again last (so the
    /// prepared model declares the shapes of the values it now has).
    public static var prepare: [any Pass] {
        [
            InferShapes(),
            FoldConstants(),
            EliminateIdentity(),
            CollapseReshapeTranspose(),
            FoldBatchNorm(),
            FuseConvActivation(),
            EliminateDeadNodes(),
            InferShapes(),
        ]
    }
}
