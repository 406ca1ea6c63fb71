/// qconvert's version: `qconvert --version` prints it and every quantized model qconvert writes carries it as
/// its producer_version (beside producer_name "qconvert"), so a file says which release made it.
public enum QConvertVersion {
    public static let current = "0.1.0"
}
