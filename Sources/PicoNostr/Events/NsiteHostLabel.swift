import Foundation

/// The DNS label NIP-5A gives a site, as gateways resolve it: an `npub` names the author's root
/// site (kind 15128); `<pubkeyB36><d>` names a named site (kind 35128): the author's 32-byte key
/// as a base36 number (digits then `a-z`, zero-padded to 50 characters), then the site's `d` of
/// 1 to 13 `a-z0-9-`, not ending in `-` (50 + 13 is DNS's 63-character label).
public struct NsiteHostLabel: Sendable, Equatable, CustomStringConvertible {
    public var author: [UInt8]
    /// The named site's `d`; nil for the root site.
    public var site: String?

    public init(author: [UInt8], site: String?) { (self.author, self.site) = (author, site) }

    /// The base36 key's length in a named site's label.
    public static let keyLength = 50
    /// The longest label DNS allows.
    public static let maxLength = 63

    /// Reads one DNS label (lowercase it first: host names are not case-sensitive). Nil when it
    /// is neither form, which NIP-5A says a gateway treats as "not found".
    public init?(parsing label: String) {
        guard label.utf8.count <= Self.maxLength else { return nil }
        if label.hasPrefix("npub1"), case .npub(let key)? = try? NIP19Entity.decode(label) {
            (author, site) = (key, nil)
            return
        }
        let bytes = Array(label.utf8)
        guard bytes.count > Self.keyLength,
              bytes[..<Self.keyLength].allSatisfy({ Self.digitValue($0) != nil }),
              let key = Self.key(base36: String(decoding: bytes[..<Self.keyLength], as: UTF8.self)) else { return nil }
        let identifier = String(decoding: bytes[Self.keyLength...], as: UTF8.self)
        guard RelayTarget.siteIdentifierProblem(identifier) == nil else { return nil }
        (author, site) = (key, identifier)
    }

    /// The canonical label: the npub for the root site, `<pubkeyB36><d>` for a named one.
    public var description: String {
        guard let site else { return NIP19Entity.npub(publicKey: author).encoded }
        return Self.base36(author) + site
    }

    /// The site's address on `relays`, as the rest of pico reads sites (an naddr, so that a `d`
    /// such as `root` stays a named site).
    public func address(relays: [String]) throws -> NostrSiteAddress {
        try NostrSiteAddress(parsing: NostrSiteAddress.naddr(author: author, site: site, relays: relays))
    }

    // MARK: base36 of a 32-byte key

    static func digitValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): byte - UInt8(ascii: "a") + 10
        default: nil
        }
    }

    /// The key as a base36 number, most significant digit first, zero-padded to 50 digits.
    public static func base36(_ key: [UInt8]) -> String {
        var number = key
        var digits: [UInt8] = []
        let alphabet = Array("0123456789abcdefghijklmnopqrstuvwxyz".utf8)
        // Long division by 36, one digit per pass, until the number is zero.
        while number.contains(where: { $0 != 0 }) {
            var remainder = 0
            for index in number.indices {
                let value = remainder << 8 | Int(number[index])
                number[index] = UInt8(value / 36)
                remainder = value % 36
            }
            digits.append(alphabet[remainder])
        }
        while digits.count < keyLength { digits.append(UInt8(ascii: "0")) }
        return String(decoding: digits.reversed(), as: UTF8.self)
    }

    /// The 32-byte key a 50-digit base36 number names; nil when it is not one, or is 2^256 or more.
    public static func key(base36 text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count == keyLength else { return nil }
        var number = [UInt8](repeating: 0, count: 32)
        for digit in digits {
            guard let value = digitValue(digit) else { return nil }
            // number = number * 36 + value, least significant byte last.
            var carry = Int(value)
            for index in number.indices.reversed() {
                let product = Int(number[index]) * 36 + carry
                number[index] = UInt8(product & 0xff)
                carry = product >> 8
            }
            guard carry == 0 else { return nil }
        }
        return number
    }
}
