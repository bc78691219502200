import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import PicoCore
import PicoHTML
import Synchronization

/// `pico serve`: serves a bundle on 127.0.0.1 and checks every file against the manifest as
/// it serves it. The manifest itself goes through the verifier first (its id, SHA256SUMS, every
/// path, the signature, the signer); a file whose bytes do not match gets an error response and
/// a log line, never the bad bytes.
public struct BundleServer: Sendable {
    public var source: any BundleReader
    public var port: Int
    /// The path the bundle appears under (`/` or `/a/b/`), to try a bundle at a sub-path.
    public var basePath: String
    public var log: @Sendable (String) -> Void
    /// `pico serve --watch`: pages get a script that reloads them when the bundle changes.
    public var reloadsPages = false
    /// The policy the manifest is checked with (`BundleVerifier.standard(expectedSigner:)`).
    public var verifier: BundleVerifier
    /// How long a connection may stay without a complete request part: idle keep-alive
    /// connections, and requests whose header never ends, are closed after it.
    public var idleTimeout: Duration = .seconds(10)
    /// `pico serve --watch`: the versions the rebuilds in this process sealed, handed over in
    /// memory (see `SealedVersions`).
    public var sealed: SealedVersions?

    public init(source: any BundleReader, port: Int, basePath: String = "/", verifier: BundleVerifier,
                log: @escaping @Sendable (String) -> Void) {
        self.source = source
        self.port = port
        var base = basePath.hasPrefix("/") ? basePath : "/" + basePath
        if !base.hasSuffix("/") { base += "/" }
        self.basePath = base
        self.verifier = verifier
        self.log = log
    }

    /// Runs until the process is stopped. `started` receives the URL once the port is open.
    /// Throws `ServeRefusal` before opening the port when the bundle does not verify.
    public func run(started: @escaping @Sendable (String) -> Void) async throws {
        let bundle = try await CheckedBundle(source: source, verifier: verifier, log: log, sealed: sealed)
        let responder = VerifyingResponder(source: source, bundle: bundle, basePath: basePath, log: log,
                                           reloadsPages: reloadsPages)
        let base = basePath
        try await LoopbackServer.run(label: "pico.serve", port: port, idleTimeout: idleTimeout,
                                     respond: { request in try await responder.respond(to: request) },
                                     started: { port in started("http://127.0.0.1:\(port)\(base)") })
    }
}

/// Closes a connection whose client has stopped reading what it asked for: the idle timeout
/// does not count a response being written, so without this a client that never reads would
/// hold its descriptor and the response's buffers for ever.
final class StalledReaderCloser: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    private let limit: TimeAmount
    private var closing: Scheduled<Void>?

    init(after limit: TimeAmount) { self.limit = limit }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            closing?.cancel()
            closing = nil
        } else if closing == nil {
            let channel = context.channel
            closing = context.eventLoop.scheduleTask(in: limit) { channel.close(promise: nil) }
        }
        context.fireChannelWritabilityChanged()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        closing?.cancel()
        closing = nil
    }
}

/// The versions `pico serve --watch` sealed in this process, handed to the server in memory:
/// the rebuild computed the manifest from the bytes it wrote itself, so the server takes it
/// as it is (with the signature policy checked) instead of reading the 10,000 entries back and
/// verifying them again. Only what this process made comes this way: a manifest on disk whose
/// bytes are not the handed-over ones is read and verified as before, and every file served
/// is still checked against its entry.
public final class SealedVersions: Sendable {
    public typealias Sealed = IncrementalSeal.Version

    private let versions = Mutex<(number: Int, sealed: [Int: Sealed])>((0, [:]))

    public init() {}

    /// Hands over a version; kept until the server took it (the last few only).
    public func hand(_ sealed: Sealed) {
        versions.withLock { state in
            state.number += 1
            state.sealed[state.number] = sealed
            state.sealed = state.sealed.filter { $0.key > state.number - 8 }
        }
    }

    /// The versions handed over after `number`, in order, and the number of the last.
    func taken(after number: Int) -> (number: Int, sealed: [Sealed]) {
        versions.withLock { state in
            (state.number, state.sealed.filter { $0.key > number }.sorted { $0.key < $1.key }.map(\.value))
        }
    }
}

/// The bundle as last checked: its manifest's files, its id and the exact describing files
/// that passed the verifier. Read again when the source says the manifest changed (a bundle
/// folder rebuilt or replaced while served), so a new version is served whole, and only once
/// it has passed the same checks; until then the last good version stays served.
actor CheckedBundle {
    struct Version: Sendable {
        let files: [BundlePath: BundleFile]
        let id: String
        let manifestData: Data
        let checksumsData: Data?

        /// The listed file at a path taken from a request: the path is checked here, once.
        func file(at requested: String) -> BundleFile? {
            (try? BundlePath(validating: requested)).flatMap { files[$0] }
        }
    }

    let source: any BundleReader
    let verifier: BundleVerifier
    let log: @Sendable (String) -> Void
    private(set) var version: Version
    private var stamp: String?
    /// For `--watch` pages: the paths each of the last versions changed, by the id before it.
    private var changesSince: [(id: String, changed: Set<String>)] = []
    let sealed: SealedVersions?
    /// The number of the last handed-over version looked at.
    private var sealedNumber = 0
    /// The describing files of the versions taken from `sealed` lately: the rebuild puts them
    /// on disk after handing them over, so finding them there (even an older one, when two
    /// rebuilds came quickly) is no news.
    private var recentlySealed: [(manifest: Data, checksums: Data)] = []

    init(source: any BundleReader, verifier: BundleVerifier, log: @escaping @Sendable (String) -> Void,
         sealed: SealedVersions? = nil) async throws {
        (self.source, self.verifier, self.log, self.sealed) = (source, verifier, log, sealed)
        stamp = await source.manifestStamp()
        version = try await Self.load(source, verifier)
        sealedNumber = sealed?.taken(after: .max).number ?? 0
    }

    /// Takes the versions handed over since the last look, each made from the one before it;
    /// one made from another version than the one served is left (the disk decides then).
    private func takeSealed() {
        guard let sealed else { return }
        let (number, handed) = sealed.taken(after: sealedNumber)
        sealedNumber = number
        for next in handed where next.previousID == version.id {
            // The signature policy holds for these as for any (the rebuild signs with the key
            // pico build uses; --signer may ask for another).
            guard verifier.signatureStatus(of: next.manifest).problems.isEmpty else {
                log("the rebuilt bundle \(next.manifest.id.prefix(12)) does not pass the signature policy; still serving \(version.id.prefix(12))")
                continue
            }
            var files = version.files
            var paths = Set<String>()
            var usable = true
            for (path, entry) in next.changed {
                guard let key = try? BundlePath(validating: path) else { usable = false; break }
                files[key] = entry
                paths.insert(path)
            }
            guard usable, files.count == next.manifest.files.count else { continue }
            let old = version
            version = Version(files: files, id: next.manifest.id, manifestData: next.manifestData, checksumsData: next.checksums)
            changesSince.append((old.id, paths))
            if changesSince.count > 32 { changesSince.removeFirst() }
            recentlySealed.append((next.manifestData, next.checksums))
            if recentlySealed.count > 8 { recentlySealed.removeFirst() }
        }
    }

    private static func load(_ source: any BundleReader, _ verifier: BundleVerifier) async throws -> Version {
        let limit = ServeLimits.maxManifestBytes
        guard let manifestData = try await source.readWhole(BundleManifest.fileName, limit: limit) else {
            throw ServeRefusal("\(source.description) holds no \(BundleManifest.fileName); it is not a pico bundle")
        }
        let checksumsData = try await source.readWhole(BundleManifest.checksumsFileName, limit: limit)
        let report = verifier.checkDescription(target: source.description, manifestData: manifestData, checksumsData: checksumsData)
        guard report.isValid, let manifest = report.manifest else {
            throw ServeRefusal("refusing to serve \(source.description): it is not an intact bundle\n"
                               + report.problems.map { "  \($0)" }.joined(separator: "\n"))
        }
        let files = Dictionary(manifest.safeFiles.map { ($0.path, $0.listed) }, uniquingKeysWith: { first, _ in first })
        return Version(files: files, id: manifest.id, manifestData: manifestData, checksumsData: checksumsData)
    }

    /// The paths changed since the version `id` (nil when it is not known: reload everything).
    func changed(since id: String) -> Set<String>? {
        guard let start = changesSince.firstIndex(where: { $0.id == id }) else { return id == version.id ? [] : nil }
        return changesSince[start...].reduce(into: Set<String>()) { $0.formUnion($1.changed) }
    }

    /// Waits (up to a second) for a version other than `id`: under `--watch` a file is put in
    /// place a moment before the manifest that lists it.
    func waitForVersion(after id: String) async -> Bool {
        for _ in 0..<200 {
            if await current().id != id { return true }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return false
    }

    /// The version to serve now.
    func current() async -> Version {
        takeSealed()
        let now = await source.manifestStamp()
        guard now != stamp else { return version }
        // Each new stamp is tried once: a bundle that fails stays refused until it changes again.
        stamp = now
        // The describing files as a handed-over version has them: nothing new to verify.
        if !recentlySealed.isEmpty,
           let manifestData = try? await source.readWhole(BundleManifest.fileName, limit: ServeLimits.maxManifestBytes),
           let checksums = try? await source.readWhole(BundleManifest.checksumsFileName, limit: ServeLimits.maxManifestBytes),
           recentlySealed.contains(where: { $0.manifest == manifestData && $0.checksums == checksums }) {
            return version
        }
        do {
            let old = version
            version = try await Self.load(source, verifier)
            if version.id != old.id {
                let paths = Set(old.files.keys).union(version.files.keys)
                    .filter { old.files[$0]?.sha256 != version.files[$0]?.sha256 }.map(\.string)
                changesSince.append((old.id, Set(paths)))
                if changesSince.count > 32 { changesSince.removeFirst() }
            }
        } catch {
            log("\(error)\nstill serving bundle \(version.id.prefix(12)), the last one that verified")
        }
        return version
    }
}

/// Maps a request to a bundle file, reads it off the event loop, checks it, answers.
struct VerifyingResponder: Sendable {
    let source: any BundleReader
    let bundle: CheckedBundle
    let basePath: String
    let log: @Sendable (String) -> Void
    let reloadsPages: Bool

    static let indexNames = ["index.html", "index.htm", "index.xhtml"]

    /// Where `--watch` pages ask for the bundle id.
    static let versionPath = "__pico/version"

    func respond(to request: Request, again: Bool = false) async throws -> Response {
        let version = await bundle.current()
        let rawPath = request.uri.path
        guard rawPath.hasPrefix(basePath) || rawPath + "/" == basePath else {
            return Self.text(.notFound, "not under \(basePath): this server serves one bundle there\n")
        }
        if rawPath + "/" == basePath { return Self.redirect(to: basePath) }
        guard let decoded = String(rawPath.dropFirst(basePath.count)).removingPercentEncoding else {
            return Self.text(.badRequest, "bad percent-encoding\n")
        }
        if reloadsPages, decoded == Self.versionPath {
            // The id, then the paths changed since the id the page saw (`*`: unknown, reload).
            guard let since = request.uri.queryParameters.get("since") else { return Self.text(.ok, version.id) }
            var now = version
            // `wait`: answered once there is a new version (or after 8 s, within the idle
            // timeout), so an open page learns of a rebuild when it lands, not at its next poll.
            if request.uri.queryParameters.get("wait") != nil, since == now.id {
                for _ in 0..<800 where now.id == since {
                    try? await Task.sleep(for: .milliseconds(10))
                    now = await bundle.current()
                }
            }
            let changed = await bundle.changed(since: since).map { $0.sorted() } ?? ["*"]
            return Self.text(.ok, ([now.id] + changed).joined(separator: "\n"))
        }
        // A folder's index is index.html, index.htm or index.xhtml, as in the build's links.
        func index(of folder: String) -> String? {
            Self.indexNames.lazy.map { folder + $0 }.first { version.file(at: $0) != nil }
        }
        let path = decoded.isEmpty || decoded.hasSuffix("/") ? index(of: decoded) ?? decoded + "index.html" : decoded
        if version.file(at: path) == nil, index(of: path + "/") != nil {
            return Self.redirect(to: rawPath + "/")
        }
        let isHead = request.method == .head
        // The describing files as they were checked, from memory.
        if path == BundleManifest.fileName { return Self.describing(path, version.manifestData) }
        if path == BundleManifest.checksumsFileName, let checksums = version.checksumsData { return Self.describing(path, checksums) }
        guard let expected = version.file(at: path) else {
            if let notFound = version.file(at: "404.html") {
                // 404.html's links are relative to the top: at a deeper path a <base> keeps them working.
                let base = decoded.contains("/") ? basePath : nil
                var response = try await serve(notFound, base: base, isHead: isHead)
                if response.status == .ok { response.status = .notFound }
                return response
            }
            return Self.text(.notFound, "no \(decoded) in this bundle\n")
        }
        // Under --watch, a file that does not match may be one rebuilt a moment before its
        // manifest: asked again once the manifest changes (and refused then if it still differs).
        let waits = reloadsPages && !again
        let response = try await serve(expected, base: nil, isHead: isHead, quiet: waits)
        if waits, response.status == .internalServerError, await bundle.waitForVersion(after: version.id) {
            return try await respond(to: request, again: true)
        }
        return response
    }

    private func serve(_ file: BundleFile, base: String?, isHead: Bool, quiet: Bool = false) async throws -> Response {
        var headers = HTTPFields()
        headers[.cacheControl] = WebHeaders.cacheControl(for: file.path)
        if base == nil, !reloadsPages { headers[.eTag] = "\"\(file.sha256)\"" }
        if reloadsPages { headers[.cacheControl] = "no-store" }

        // Small files are read whole, checked, and only then sent.
        if file.size <= ServeLimits.bufferedFileBytes {
            let data: Data
            switch await check(file, keepingBytes: true, quiet: quiet) {
            case .matches(let bytes): data = bytes
            case .refused(let response): return response
            }
            // A page's charset is the one it declares (or none), never a forced UTF-8.
            headers[.contentType] = WebHeaders.contentType(file.type, leading: data.prefix(HTMLCharset.prescanBytes))
            var body = data
            // Checked above; only now may the served bytes differ from the bundle's.
            if file.type == "text/html", base != nil || reloadsPages {
                body = PageAdditions.insert(base: base, reloadScriptFor: reloadsPages ? basePath + Self.versionPath : nil, into: data)
            }
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }

        // A large file is checked in one streaming pass, then streamed again as it is sent
        // (pages that large get no additions). Should its bytes change between the passes, the
        // second pass notices at the end: it holds back the last piece and cuts the connection,
        // so a client never gets a complete response that does not match the manifest.
        switch await check(file, keepingBytes: false) {
        case .matches(let leading): headers[.contentType] = WebHeaders.contentType(file.type, leading: leading)
        case .refused(let response): return response
        }
        if isHead { return Response(status: .ok, headers: headers, body: ResponseBody(contentLength: file.size) { try await $0.finish(nil) }) }
        let (source, log) = (source, log)
        return Response(status: .ok, headers: headers, body: ResponseBody(contentLength: file.size) { writer in
            guard let reader = try await source.open(file.path, limit: file.size) else {
                log("cut off /\(file.path): it disappeared from \(source.description) after it was checked")
                throw ServeRefusal("\(file.path) disappeared")
            }
            var hasher = IncrementalSHA256()
            var sent = 0
            var heldBack: ByteBuffer?
            while true {
                let chunk = try await reader.read(upTo: ServeLimits.chunkBytes)
                if chunk.isEmpty { break }
                sent += chunk.count
                guard sent <= file.size else { break }
                hasher.update(chunk)
                if let heldBack { try await writer.write(heldBack) }
                heldBack = ByteBuffer(bytes: chunk)
            }
            guard sent == file.size, hasher.finalize() == file.sha256.lowercased() else {
                log("cut off /\(file.path): it changed in \(source.description) after it was checked; its last bytes were not sent")
                throw ServeRefusal("\(file.path) changed while it was served")
            }
            if let heldBack { try await writer.write(heldBack) }
            try await writer.finish(nil)
        })
    }

    enum Checked {
        /// The file's bytes, or its first bytes only when they were not to be kept.
        case matches(Data)
        case refused(Response)
    }

    /// Reads `file` through, hashing it, and stops as soon as it runs past the manifest's size,
    /// so an entry that unpacks to far more than it should costs no more than one chunk.
    private func check(_ file: BundleFile, keepingBytes: Bool, quiet: Bool = false) async -> Checked {
        let reader: (any BundleFileReader)?
        do {
            reader = try await source.open(file.path, limit: file.size)
        } catch {
            log("refused /\(file.path): cannot read it from \(source.description): \(error)")
            return .refused(Self.text(.internalServerError, "pico: /\(file.path) cannot be read from the bundle\n"))
        }
        guard let reader else {
            log("refused /\(file.path): listed in the manifest but missing from \(source.description)")
            return .refused(Self.text(.internalServerError, "pico: /\(file.path) is missing from the bundle\n"))
        }
        var kept = Data()
        var hasher = IncrementalSHA256()
        var size = 0
        do {
            while size <= file.size {
                let chunk = try await reader.read(upTo: min(ServeLimits.chunkBytes, file.size + 1 - size))
                if chunk.isEmpty { break }
                size += chunk.count
                hasher.update(chunk)
                // Without the whole file, its first bytes still say a page's charset.
                if keepingBytes {
                    kept.append(contentsOf: chunk)
                } else if kept.count < HTMLCharset.prescanBytes {
                    kept.append(contentsOf: chunk.prefix(HTMLCharset.prescanBytes - kept.count))
                }
            }
        } catch {
            log("refused /\(file.path): cannot read it from \(source.description): \(error)")
            return .refused(Self.text(.internalServerError, "pico: /\(file.path) cannot be read from the bundle\n"))
        }
        var problem: String?
        if size > file.size {
            problem = "it is larger than the \(file.size) bytes the manifest says"
        } else if size < file.size {
            problem = "it is \(size) bytes, the manifest says \(file.size)"
        } else if hasher.finalize() != file.sha256.lowercased() {
            problem = "its SHA-256 is \(hasher.finalize()), the manifest says \(file.sha256)"
        }
        if let problem {
            if !quiet { log("refused /\(file.path): \(problem)") }
            return .refused(Self.text(.internalServerError, "pico: /\(file.path) does not match the bundle's manifest; it was not served\n"))
        }
        return .matches(kept)
    }

    static func describing(_ path: String, _ data: Data) -> Response {
        Response(status: .ok, headers: [.contentType: WebHeaders.contentType(MediaType.of(path: path)), .cacheControl: WebHeaders.cacheControl(for: path)],
                 body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func text(_ status: HTTPResponse.Status, _ body: String) -> Response {
        Response(status: status, headers: [.contentType: "text/plain; charset=utf-8", .cacheControl: "no-store"],
                 body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    static func redirect(to location: String) -> Response {
        Response(status: .movedPermanently, headers: [.location: location])
    }
}

/// What the server adds to a page it has checked: a `<base>` for 404.html served at a deeper
/// path, and under `--watch` a script that reloads the page when the bundle id changes.
enum PageAdditions {
    static let versionPath = VerifyingResponder.versionPath
    static func insert(base: String?, reloadScriptFor versionURL: String?, into page: Data) -> Data {
        var addition = ""
        if let base { addition += "<base href=\"\(base)\">" }
        if let versionURL {
            addition += """
            <script>window.picoWatch=true;(()=>{let seen=null;const base='\(versionURL.dropLast(versionPath.count))';\
            const here=()=>{let p=decodeURIComponent(location.pathname).slice(base.length);return p===''||p.endsWith('/')?p+'index.html':p;};\
            const tick=()=>fetch('\(versionURL)?since='+encodeURIComponent(seen||'')+(seen?'&wait=1':''),{cache:'no-store'})\
            .then(r=>r.text()).then(t=>{const [id,...changed]=t.split('\\n');\
            if(seen&&id!==seen&&changed.some(p=>p==='*'||p===here()||!/\\.(html?|xhtml)$/.test(p)&&p!=='pico-offline.json'&&!p.startsWith('pico-search/')))location.reload();\
            seen=id;setTimeout(tick,20);}).catch(()=>setTimeout(tick,700));\
            if(navigator.serviceWorker)navigator.serviceWorker.getRegistrations().then(rs=>rs.forEach(r=>r.unregister()));\
            tick();})();</script>
            """
        }
        // Right after <head …>, so that <base> comes before any URL.
        let bytes = [UInt8](page)
        return HTMLHead.inserting(addition, at: HTMLHead.startOffset(in: bytes), into: bytes)
    }
}
