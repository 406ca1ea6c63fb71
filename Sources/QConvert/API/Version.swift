/// qconvert's version: `qconvert --version` prints it and every quantized model qconvert writes carries it as
/// its producer_version (beside producer_name "qconvert"), so a file says which release made it.
public enum QConvertVersion {
    public static let current = "0.1.0"
    /// The producer_name of the models qconvert writes (`compare` tells its own models from other tools').
    public static let producerName = "qconvert"
}
