import Foundation

/// The author's lists that tell gateways where to look: BUD-03's kind 10063 (Blossom servers,
/// `["server", url]`) and NIP-65's kind 10002 (relays, `["r", url]` with an optional `read` or
/// `write` marker). Both are replaceable, so a new one replaces the whole list: pico merges
/// into what the author's newest list holds and never drops an entry.
public enum AuthorLists {
    public static let blossomServers = 10063
    public static let relays = 10002

    /// The tags of `existing` with every server of `servers` that it lacks added at the end, or
    /// nil when it already names them all. Other tags are kept as they are.
    public static func mergedServerList(_ existing: NostrEvent?, adding servers: [String]) -> [[String]]? {
        var tags = existing?.tags ?? []
        let known = Set(tags.filter { $0.first == "server" && $0.count > 1 }.map { normalized($0[1]) })
        let missing = servers.filter { !known.contains(normalized($0)) }
        guard !missing.isEmpty else { return nil }
        tags += missing.map { ["server", $0] }
        return tags
    }

    /// The tags of `existing` where every relay of `relays` is one the author writes to (an
    /// outbox relay, where gateways look): added when absent, its `read` marker removed when it
    /// was read-only. Nil when nothing changes.
    public static func mergedRelayList(_ existing: NostrEvent?, adding relays: [String]) -> [[String]]? {
        var tags = existing?.tags ?? []
        var changed = false
        for relay in relays {
            let key = normalized(relay)
            let matching = tags.indices.filter { tags[$0].first == "r" && tags[$0].count > 1 && normalized(tags[$0][1]) == key }
            if matching.isEmpty {
                tags.append(["r", relay])
                changed = true
            } else if !matching.contains(where: { tags[$0].count == 2 || tags[$0][2] == "write" }) {
                // Read-only so far: it becomes read and write (the marker goes, the entry stays).
                tags[matching[0]] = ["r", tags[matching[0]][1]]
                changed = true
            }
        }
        return changed ? tags : nil
    }

    /// URLs compared without case in the scheme and host and without a trailing `/`.
    static func normalized(_ url: String) -> String {
        var text = url.trimmingCharacters(in: .whitespaces)
        while text.hasSuffix("/") { text.removeLast() }
        guard let range = text.range(of: "://") else { return text.lowercased() }
        let rest = text[range.upperBound...]
        let hostEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        return text[..<range.upperBound].lowercased() + rest[..<hostEnd].lowercased() + rest[hostEnd...]
    }
}
