import CSecp256k1
import PicoCore

/// An author's secp256k1 key pair: the nostr key that signs bundles and the events that
/// publish them. The secret never appears in descriptions, logs or errors.
public struct AuthorKey: Sendable, BundleSigner, CustomStringConvertible {
    private let secretKey: [UInt8]
    /// The x-only public key (32 bytes), as nostr events and bundle signatures carry it.
    public let publicKey: [UInt8]

    public struct InvalidKey: Error, CustomStringConvertible {
        public var description: String { "not a valid secp256k1 secret key (it must be 32 bytes, not zero, below the curve order)" }
    }

    public init(secretKey: [UInt8]) throws {
        guard secretKey.count == 32 else { throw InvalidKey() }
        let publicKey = Secp256k1Context.shared.withContext { context -> [UInt8]? in
            var keypair = secp256k1_keypair()
            guard secp256k1_keypair_create(context, &keypair, secretKey) == 1 else { return nil }
            var xonly = secp256k1_xonly_pubkey()
            var parity: Int32 = 0
            guard secp256k1_keypair_xonly_pub(context, &xonly, &parity, &keypair) == 1 else { return nil }
            var out = [UInt8](repeating: 0, count: 32)
            guard secp256k1_xonly_pubkey_serialize(context, &out, &xonly) == 1 else { return nil }
            return out
        }
        guard let publicKey else { throw InvalidKey() }
        self.secretKey = secretKey
        self.publicKey = publicKey
    }

    /// A new key from the system's cryptographic random source (getrandom on Linux).
    public static func generate() -> AuthorKey {
        var generator = SystemRandomNumberGenerator()
        while true {
            let candidate = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
            if let key = try? AuthorKey(secretKey: candidate) { return key }
        }
    }

    public var publicKeyHex: String { publicKey.hexString }
    public var npub: String { NIP19Entity.npub(publicKey: publicKey).encoded }
    /// The secret in NIP-19 form, for the key file only.
    public var nsec: String { NIP19Entity.nsec(secretKey: secretKey).encoded }
    public var description: String { "author key \(npub)" }

    /// A BIP-340 signature of `message`. `auxiliaryRandom` (32 bytes) hardens the nonce against
    /// side channels; without it the signature is deterministic.
    public func sign(message: [UInt8], auxiliaryRandom: [UInt8]? = nil) -> [UInt8] {
        Secp256k1Context.shared.withContext { context in
            var keypair = secp256k1_keypair()
            precondition(secp256k1_keypair_create(context, &keypair, secretKey) == 1, "key checked in init")
            var signature = [UInt8](repeating: 0, count: 64)
            var aux = auxiliaryRandom ?? []
            let signed = aux.withUnsafeMutableBytes { auxBytes in
                var params = secp256k1_schnorrsig_extraparams()
                params.magic = (0xda, 0x6f, 0xb3, 0x8c)
                params.noncefp = nil
                params.ndata = auxBytes.count == 32 ? auxBytes.baseAddress : nil
                return secp256k1_schnorrsig_sign_custom(context, &signature, message, message.count, &keypair, &params)
            }
            precondition(signed == 1, "BIP-340 signing with a valid key pair cannot fail")
            return signature
        }
    }

    /// Signs with fresh randomness (events: nothing needs to reproduce them).
    public func signRandomized(message: [UInt8]) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return sign(message: message, auxiliaryRandom: (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    /// Bundle signatures are deterministic, so the same input and key give a byte-identical bundle.
    public func sign(bundleID: String) throws -> BundleSignature {
        guard let id = [UInt8](hex: bundleID), id.count == 32 else { throw InvalidKey() }
        return BundleSignature(pubkey: publicKeyHex, sig: sign(message: id).hexString)
    }
}

/// BIP-340 Schnorr signatures over secp256k1, through libsecp256k1's schnorrsig module.
/// Bundles are signed by their author's nostr key: the signature is over the 32 bytes of the
/// bundle id.
public struct SchnorrSignatureChecker: BundleSignatureChecker {
    public init() {}

    /// Checks a BIP-340 signature (64 bytes) of a message by an x-only key (32 bytes).
    public func isValid(signature: [UInt8], message: [UInt8], publicKey: [UInt8]) -> Bool {
        guard signature.count == 64, publicKey.count == 32 else { return false }
        return Secp256k1Context.shared.withContext { context in
            var key = secp256k1_xonly_pubkey()
            guard secp256k1_xonly_pubkey_parse(context, &key, publicKey) == 1 else { return false }
            return secp256k1_schnorrsig_verify(context, signature, message, message.count, &key) == 1
        }
    }

    public func isValid(_ signature: BundleSignature, bundleID: String) -> Bool {
        guard let sig = [UInt8](hex: signature.sig), let key = [UInt8](hex: signature.pubkey),
              let message = [UInt8](hex: bundleID), message.count == 32 else { return false }
        return isValid(signature: sig, message: message, publicKey: key)
    }
}

/// The one libsecp256k1 context, made once. Signing and verification only read it, which
/// libsecp256k1 allows from several threads at once.
final class Secp256k1Context: @unchecked Sendable {
    static let shared = Secp256k1Context()
    private let context: OpaquePointer

    private init() {
        context = secp256k1_context_create(UInt32(SECP256K1_CONTEXT_VERIFY | SECP256K1_CONTEXT_SIGN))!
    }

    func withContext<R>(_ body: (OpaquePointer) -> R) -> R { body(context) }
}
