import Foundation

/// A Blossom server (hzrd149/blossom) as `pico publish --to` names it:
/// `blossom+https://host[:port]`, or `blossom+http://` for a server on this machine. Its
/// endpoints are at the root of its domain (BUD-01), so an address with a path is refused.
public struct BlossomServer: Sendable, Hashable, CustomStringConvertible {
    /// `https://host[:port]`: where requests go, and the value of the site event's `server` tag.
    public let url: String
    /// The lowercase host name without port: the `server` tag of authorization events (BUD-11).
    public let host: String
    public var description: String { url }

    public static let scheme = "blossom+"

    public static func isAddress(_ text: String) -> Bool { text.hasPrefix(scheme) }

    public init(parsing written: String) throws(BlossomAddressError) {
        // A password in the address is never repeated in a message.
        let address = written.replacingOccurrences(of: #"//[^/@]*@"#, with: "//…@", options: .regularExpression)
        guard address.hasPrefix(Self.scheme) else {
            throw BlossomAddressError("\(address) is not a Blossom server address (blossom+https://host)")
        }
        let inner = String(written.dropFirst(Self.scheme.count))
        guard let parsed = URLComponents(string: inner), let scheme = parsed.scheme?.lowercased(),
              scheme == "https" || scheme == "http", let host = parsed.host?.lowercased(), !host.isEmpty else {
            throw BlossomAddressError("\(address) is not a Blossom server address: write blossom+https://host[:port]")
        }
        guard parsed.user == nil, parsed.password == nil else {
            throw BlossomAddressError("\(address) holds a user name or password; Blossom servers are authorized with the author key, write blossom+https://host")
        }
        guard parsed.path.isEmpty || parsed.path == "/", parsed.query == nil, parsed.fragment == nil else {
            throw BlossomAddressError("\(address): a Blossom server's endpoints are at the root of its domain (BUD-01); write blossom+\(scheme)://\(host)\(parsed.port.map { ":\($0)" } ?? "") without a path")
        }
        if scheme == "http" && !Self.isLoopback(host) {
            throw BlossomAddressError("\(address): blossom+http:// is only for a server on this machine (127.0.0.1, localhost, ::1); "
                                      + "uploads carry authorization tokens and the site's files, write blossom+https://\(host)")
        }
        self.host = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        let shownHost = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        url = "\(scheme)://\(shownHost)" + (parsed.port.map { ":\($0)" } ?? "")
    }

    static func isLoopback(_ host: String) -> Bool {
        let bare = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        return bare == "localhost" || bare == "::1" || bare.hasPrefix("127.")
    }

    /// `GET`/`HEAD` address of a blob (BUD-01).
    public func blobURL(_ sha256: String) -> String { url + "/" + sha256 }
}

public struct BlossomAddressError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
