import CSecp256k1
import PicoCore

/// BIP-340 Schnorr signatures over secp256k1, through libsecp256k1's schnorrsig module.
/// Bundles are signed by their author's nostr key: the signature is over the 32 bytes of the
/// bundle id.
public struct SchnorrSignatureChecker: BundleSignatureChecker {
    public init() {}

    /// Checks a BIP-340 signature (64 bytes) of a 32-byte message by an x-only key (32 bytes).
    public func isValid(signature: [UInt8], message: [UInt8], publicKey: [UInt8]) -> Bool {
        guard signature.count == 64, publicKey.count == 32, message.count == 32 else { return false }
        return Secp256k1Context.shared.withContext { context in
            var key = secp256k1_xonly_pubkey()
            guard secp256k1_xonly_pubkey_parse(context, &key, publicKey) == 1 else { return false }
            return secp256k1_schnorrsig_verify(context, signature, message, message.count, &key) == 1
        }
    }

    public func isValid(_ signature: BundleSignature, bundleID: String) -> Bool {
        guard let sig = [UInt8](hex: signature.sig), let key = [UInt8](hex: signature.pubkey),
              let message = [UInt8](hex: bundleID) else { return false }
        return isValid(signature: sig, message: message, publicKey: key)
    }
}

/// The one libsecp256k1 context, made once. Verification only reads it, which libsecp256k1
/// allows from several threads at once.
final class Secp256k1Context: @unchecked Sendable {
    static let shared = Secp256k1Context()
    private let context: OpaquePointer

    private init() {
        context = secp256k1_context_create(UInt32(SECP256K1_CONTEXT_VERIFY | SECP256K1_CONTEXT_SIGN))!
    }

    func withContext<R>(_ body: (OpaquePointer) -> R) -> R { body(context) }
}
