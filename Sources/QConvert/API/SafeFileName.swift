/// Turns tensor names into file names. Real models name outputs like `save_infer_model/scale_0.tmp_1`;
/// bytes outside `[A-Za-z0-9._-]` are percent-encoded (`/` -> `%2F`), which is reversible and keeps
/// distinct names distinct. A leading dot is encoded too, so no name becomes a hidden file or `..`.
public enum SafeFileName {
    public static func escape(_ name: String) -> String {
        var out = ""
        for (index, byte) in name.utf8.enumerated() {
            let c = Character(UnicodeScalar(byte))
            let plain = (c.isASCII && (c.isLetter || c.isNumber)) || c == "_" || c == "-" || (c == "." && index > 0)
            if plain {
                out.append(c)
            } else {
                let hex = String(byte, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return out.isEmpty ? "%" : out
    }
}
