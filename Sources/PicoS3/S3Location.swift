import Foundation

/// Where a bundle lives in S3 and how to reach it: the parsed `s3://bucket/prefix` address with
/// endpoint, region, addressing style and credentials resolved the way the `aws` CLI resolves
/// them. Query items in the address win over the environment, the environment over the
/// shared files (`~/.aws/credentials`, `~/.aws/config`).
///
///     s3://bucket/prefix?endpoint=http://127.0.0.1:9000&region=eu-west-1&profile=work&addressing=path
public struct S3Location: Sendable, CustomStringConvertible {
    public var bucket: String
    /// Key prefix without leading or trailing `/`; empty for the bucket's root.
    public var prefix: String
    public var endpoint: Endpoint
    public var region: String
    /// Path-style (`endpoint/bucket/key`) or virtual-hosted (`bucket.endpoint/key`) requests.
    public var pathStyle: Bool
    public var credentials: S3Credentials
    /// `?public=https://…`: where the bucket's objects under the prefix are read over plain
    /// HTTP(S) (its website or CDN URL), for the `mirror` tag of the site's record.
    public var publicURL: String?

    public struct Endpoint: Sendable, Equatable {
        public var scheme: String
        public var host: String
        public var port: Int?
        /// `host[:port]` as the Host header and the signature carry it.
        public var authority: String { port.map { "\(host):\($0)" } ?? host }
        public var url: String { "\(scheme)://\(authority)" }
    }

    /// `s3://bucket/prefix`, without the query items (never credentials).
    public var description: String { "s3://\(bucket)" + (prefix.isEmpty ? "" : "/\(prefix)") }

    /// The object key of a bundle path.
    public func key(_ path: String) -> String { prefix.isEmpty ? path : prefix + "/" + path }

    /// The http(s) base URL where this prefix is readable as plain files: `?public=` when given
    /// (a `/` added), else the endpoint's own path-style URL for a server on this machine
    /// (`http://127.0.0.1:PORT/bucket/prefix/`: moto, MinIO); nil for AWS and other hosts, whose
    /// objects are not public unless the bucket is made so (give ?public= then).
    public var mirrorBase: String? {
        if let publicURL { return publicURL.hasSuffix("/") ? publicURL : publicURL + "/" }
        guard pathStyle, ["127.0.0.1", "localhost", "::1", "[::1]"].contains(endpoint.host.lowercased()) else { return nil }
        let segments = [bucket] + prefix.split(separator: "/").map(String.init)
        let encoded = segments.map { $0.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/;?#"))) ?? $0 }
        return endpoint.url + "/" + encoded.joined(separator: "/") + "/"
    }

    /// The host and the (unencoded) path a request for `key` goes to.
    public func target(key: String) -> (host: String, path: String) {
        if pathStyle { return (endpoint.authority, "/\(bucket)" + (key.isEmpty ? "/" : "/\(key)")) }
        return ("\(bucket).\(endpoint.authority)", "/\(key)")
    }

    public init(bucket: String, prefix: String, endpoint: Endpoint, region: String, pathStyle: Bool, credentials: S3Credentials) {
        self.bucket = bucket
        self.prefix = prefix
        self.endpoint = endpoint
        self.region = region
        self.pathStyle = pathStyle
        self.credentials = credentials
    }

    /// Parses an address and resolves everything it leaves out.
    /// - Parameter home: where `.aws/` is looked for (the user's home folder).
    public static func resolve(_ address: String, environment: [String: String] = ProcessInfo.processInfo.environment,
                               home: String = NSHomeDirectory()) throws(S3Error) -> S3Location {
        guard address.hasPrefix("s3://") else { throw S3Error(.address, "\(address) is not an s3:// address") }
        var rest = Substring(address.dropFirst(5))
        var query: [String: String] = [:]
        if let mark = rest.firstIndex(of: "?") {
            for item in rest[rest.index(after: mark)...].split(separator: "&") {
                let pair = item.split(separator: "=", maxSplits: 1)
                let name = String(pair[0])
                let value = pair.count > 1 ? String(pair[1]).removingPercentEncoding ?? String(pair[1]) : ""
                guard ["endpoint", "region", "profile", "addressing", "public"].contains(name) else {
                    throw S3Error(.address, "\(address): unknown query item \"\(name)\" (known: endpoint, region, profile, addressing, public)")
                }
                query[name] = value
            }
            rest = rest[..<mark]
        }
        let bucket = String(rest.prefix { $0 != "/" })
        let prefix = rest.dropFirst(bucket.count).split(separator: "/", omittingEmptySubsequences: true).joined(separator: "/")
        guard !bucket.isEmpty else { throw S3Error(.address, "\(address) names no bucket; write s3://bucket/prefix") }
        guard bucket.count <= 63, bucket.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-" || $0 == "." || $0 == "_") }) else {
            throw S3Error(.address, "\"\(bucket)\" is not a bucket name: lower-case letters, digits, dots and hyphens, at most 63")
        }

        let profile = query["profile"] ?? environment["AWS_PROFILE"] ?? environment["AWS_DEFAULT_PROFILE"] ?? "default"
        let credentialsPath = environment["AWS_SHARED_CREDENTIALS_FILE"] ?? home + "/.aws/credentials"
        let configPath = environment["AWS_CONFIG_FILE"] ?? home + "/.aws/config"
        let config = AWSSharedFile(path: configPath)?.sections[profile == "default" ? "default" : "profile \(profile)"] ?? [:]

        let region = query["region"] ?? environment["AWS_REGION"] ?? environment["AWS_DEFAULT_REGION"] ?? config["region"] ?? "us-east-1"
        let endpointText = query["endpoint"] ?? environment["AWS_ENDPOINT_URL_S3"] ?? environment["AWS_ENDPOINT_URL"]
            ?? config["endpoint_url"]
        let endpoint: Endpoint
        if let endpointText {
            guard let parts = URLComponents(string: endpointText), let scheme = parts.scheme?.lowercased(),
                  scheme == "http" || scheme == "https", let host = parts.host, !host.isEmpty else {
                // Without any user:password@ part: credentials are never printed.
                let shown = endpointText.range(of: "@").map { "…" + endpointText[$0.upperBound...] } ?? endpointText
                throw S3Error(.address, "the endpoint \"\(shown)\" is not an http:// or https:// URL")
            }
            endpoint = Endpoint(scheme: scheme, host: host, port: parts.port)
        } else {
            endpoint = Endpoint(scheme: "https", host: region == "us-east-1" ? "s3.amazonaws.com" : "s3.\(region).amazonaws.com", port: nil)
        }
        let pathStyle: Bool
        switch query["addressing"] ?? environment["PICO_S3_ADDRESSING"] {
        case "path": pathStyle = true
        case "virtual": pathStyle = false
        case nil:
            // AWS itself: virtual-hosted, unless the bucket name cannot be a TLS host name.
            // Anything else (MinIO, Garage, moto, R2 with its own host): path-style works everywhere.
            pathStyle = endpointText != nil || bucket.contains(".")
        case let other?:
            throw S3Error(.address, "addressing=\(other): use path or virtual")
        }

        let credentials: S3Credentials
        if let key = environment["AWS_ACCESS_KEY_ID"], let secret = environment["AWS_SECRET_ACCESS_KEY"],
           !key.isEmpty, !secret.isEmpty, query["profile"] == nil {
            credentials = S3Credentials(accessKeyID: key, secretAccessKey: secret, sessionToken: environment["AWS_SESSION_TOKEN"].flatMap { $0.isEmpty ? nil : $0 })
        } else if let section = AWSSharedFile(path: credentialsPath)?.sections[profile],
                  let key = section["aws_access_key_id"], let secret = section["aws_secret_access_key"] {
            credentials = S3Credentials(accessKeyID: key, secretAccessKey: secret, sessionToken: section["aws_session_token"])
        } else {
            throw S3Error(.credentials, "no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
                + "or name a profile of \(credentialsPath) with AWS_PROFILE or ?profile= (looked for [\(profile)])")
        }
        var location = S3Location(bucket: bucket, prefix: prefix, endpoint: endpoint, region: region, pathStyle: pathStyle, credentials: credentials)
        if let publicURL = query["public"] {
            let base = publicURL.hasSuffix("/") ? publicURL : publicURL + "/"
            guard let parts = URLComponents(string: base), ["http", "https"].contains(parts.scheme?.lowercased() ?? ""),
                  parts.host?.isEmpty == false, parts.query == nil, parts.fragment == nil, parts.user == nil else {
                throw S3Error(.address, "\(address): public=\(publicURL) is not an http:// or https:// base URL (no query, no user)")
            }
            location.publicURL = base
        }
        return location
    }
}
