import Foundation
import PicoNostr

extension NostrSilo {
    /// The reader of one site for `pico serve --gateway`: the same reader as fetch, verify and
    /// serve (`reader()`: blobs from the site event's `server` tags, then the author's kind-10063
    /// list, then chunk events, each checked against its hash; a site another tool published read
    /// as well), with shorter waits, since a browser is waiting, and its notes in the gateway's log.
    public static func gatewayReader(for site: NostrSiteAddress, warn: @escaping @Sendable (String) -> Void) -> NostrSiteReader {
        NostrSiteReader(address: site, relayTime: .seconds(120), laggardGrace: .seconds(3), warn: warn,
                        blobSources: BlossomBlobSource.sources, tell: warn)
    }
}
