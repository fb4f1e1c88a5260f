import Crypto

/// SHA-256 (FIPS 180-4, from swift-crypto) as 64 lowercase hex digits: how the lab fingerprints
/// instruments (``Instrument/contentDigest``) and the files a run used.
public enum SHA256Hex {
    public static func digest(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { byte in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }.joined()
    }
}
