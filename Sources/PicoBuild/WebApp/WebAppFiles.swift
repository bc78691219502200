import Foundation
import PicoCore
import PicoImage

/// What makes every bundle an installable, offline-first web app: `sw.js` (verifies every
/// file before caching it), `pico-app.js` (loaded by every page), `manifest.webmanifest` from
/// `[app]` in pico.toml (or the site's own, checked) and its icons (the site's, checked for
/// the 192 and 512 sizes Chromium wants, or drawn from the site's name), and the offline
/// policy `pico-offline.json` (written once the bundle's files are known: `OfflinePolicy`).
enum WebAppFiles {
    static let serviceWorkerPath = "sw.js"
    static let pageScriptPath = "pico-app.js"
    static let manifestPath = "manifest.webmanifest"

    struct Input {
        var app: [String: MetaValue]
        var title: String
        var description: String
        var language: String
        /// Where `[app]` was written, for errors (pico.toml), or nil for a finished site.
        var configFile: String?
        /// Where each `[app]` setting is written, for errors.
        var places = SettingPlaces(file: "pico")
        /// `[app] offline` or `--offline`.
        var offline: OfflineMode = .auto
    }

    /// What the web app adds to a bundle's plan.
    struct Plan {
        var planned: [PlannedFile]
        var warnings: [FileError]
        /// What pico decided about the site's web app, said once after the build (for example
        /// that the site keeps its own service worker).
        var notes: [String] = []
        /// False when pages must not get pico's page script.
        var injectsPageScript = true
        /// The offline policy to decide once the files are written; nil when pico adds no
        /// service worker (the site keeps its own).
        var offline: OfflineMode?
    }

    /// The first bytes of pico's own scripts, in every version of pico: a bundle built again
    /// (even by another pico) gets the current ones, not taken for the site's own.
    static let ownScriptOpenings: [String: String] = [
        serviceWorkerPath: "/* pico service worker:", pageScriptPath: "/* pico page script:",
    ]

    /// The plan with the web app's files added. A site with a service worker of its own keeps
    /// it, and then gets no worker nor page script from pico (see `ownServiceWorker`).
    static func add(to planned: [PlannedFile], _ input: Input) throws(FileErrors) -> Plan {
        var warnings: [FileError] = []
        var notes: [String] = []
        var plan: [PlannedFile] = []
        let ours: [String: String] = [serviceWorkerPath: serviceWorker, pageScriptPath: pageScript]
        let own = ownServiceWorker(in: planned)
        for file in planned {
            if own == nil, let opening = ownScriptOpenings[file.path], bytes(of: file)?.starts(with: Data(opening.utf8)) == true {
                continue                                   // pico's, from an earlier build: today's replace it
            }
            if file.path == OfflinePolicy.fileName {
                // pico's policy from an earlier build is made again; anything else by that name is in the way.
                if let data = bytes(of: file), (try? JSONSerialization.jsonObject(with: data) as? [String: Any])?["format"] as? String == OfflinePolicy.format { continue }
                warnings.append(FileError("/\(file.path) is pico's own file; the site's was left out", file: file.origin.shown,
                                          hint: "rename it if the site needs it"))
                continue
            }
            plan.append(file)
        }
        var offline: OfflineMode? = input.offline
        var injectsPageScript = true
        if let own {
            offline = nil
            injectsPageScript = false
            notes.append("the site keeps its own service worker, \(own.description); pico adds no worker or page script of its own, "
                         + "so the browser does not check files against pico-manifest.json (pico verify still does)")
        } else {
            for (path, script) in ours.sorted(by: { $0.key < $1.key }) {
                let bytes = Data(script.utf8)
                plan.append(PlannedFile(path: path, origin: .generated(from: "pico"), render: { bytes }))
            }
        }

        let byPath = Dictionary(plan.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
        if let manifest = byPath[manifestPath] {
            warnings += checkOwnManifest(manifest, files: byPath)
            return Plan(planned: plan, warnings: warnings, notes: notes, injectsPageScript: injectsPageScript, offline: offline)
        }
        let (manifest, icons) = try generatedManifest(input, files: byPath)
        plan.append(PlannedFile(path: manifestPath, origin: .generated(from: input.configFile ?? "pico"), render: { manifest }))
        plan += icons
        return Plan(planned: plan, warnings: warnings, notes: notes, injectsPageScript: injectsPageScript, offline: offline)
    }

    static func bytes(of file: PlannedFile) -> Data? {
        switch file.content {
        case .file(let url): try? Data(contentsOf: url)
        case .rendered(let render): try? render()
        }
    }

    // MARK: A site's own service worker

    /// The service worker a site brings, and how pico knew it.
    struct OwnServiceWorker: Equatable, CustomStringConvertible {
        /// Bundle path of the worker script, when known.
        var script: String?
        /// What showed it: a file of pico's name that is not pico's, or a register() call.
        var evidence: String

        var description: String { (script.map { "/" + $0 + " " } ?? "") + "(" + evidence + ")" }
    }

    /// Scripts larger than this are not searched for a `register(` call (minified bundles of
    /// several MB that register a worker are rare, and the search runs on every build).
    static let largestScannedScript = 8 << 20

    /// The site's own service worker: `sw.js` or `pico-app.js` that are not pico's, or a worker
    /// registered by a `navigator.serviceWorker.register(...)` call in index.html or a script
    /// (of a file the bundle holds, when the call names one).
    static func ownServiceWorker(in planned: [PlannedFile]) -> OwnServiceWorker? {
        let paths = Set(planned.map(\.path))
        for file in planned {
            guard let opening = ownScriptOpenings[file.path], let data = bytes(of: file) else { continue }
            if !data.starts(with: Data(opening.utf8)) {
                return OwnServiceWorker(script: file.path == serviceWorkerPath ? file.path : nil,
                                        evidence: "the site's /\(file.path) is not pico's")
            }
        }
        let call = Array("serviceWorker.register(".utf8)
        for file in planned {
            let lower = file.path.lowercased()
            let isScript = lower.hasSuffix(".js") || lower.hasSuffix(".mjs")
            guard file.path == "index.html" || isScript, ownScriptOpenings[file.path] == nil else { continue }
            if isScript, case .file(let url) = file.content,
               let size = try? url.resourceValues(forKeys: [.fileSizeKey]).fileSize, size > largestScannedScript { continue }
            // memchr-based, as the build searches bytes elsewhere: sites carry megabytes of scripts.
            guard let data = bytes(of: file), let found = data.withUnsafeBytes({ raw in
                call.withUnsafeBufferPointer { ByteSearch.firstOffset(of: $0, in: raw.bindMemory(to: UInt8.self)) }
            }) else { continue }
            guard let written = registeredURL(in: data, after: data.startIndex + found + call.count) else {
                // Not a literal: which worker it registers is unknown, but it is the site's.
                return OwnServiceWorker(script: nil, evidence: "registered in /\(file.path)")
            }
            // A script's relative URL is relative to the page that runs it: most often the top.
            // A worker the bundle does not hold cannot register (code left in a library).
            guard let path = OfflinePolicy.resolvePath(written, from: "index.html"),
                  let script = paths.contains(path) ? path : paths.sorted().first(where: { $0.hasSuffix("/" + path) }) else { continue }
            return OwnServiceWorker(script: script, evidence: "registered in /\(file.path) as \"\(written)\"")
        }
        return nil
    }

    /// The string literal that is the first argument of `register(`, when it is one.
    static func registeredURL(in data: Data, after start: Data.Index) -> String? {
        var i = start
        while i < data.endIndex, data[i] == 0x20 || data[i] == 0x0A || data[i] == 0x09 || data[i] == 0x0D { i += 1 }
        guard i < data.endIndex, [UInt8(ascii: "'"), UInt8(ascii: "\""), UInt8(ascii: "`")].contains(data[i]) else { return nil }
        let quote = data[i]
        guard let end = data[(i + 1)...].prefix(2048).firstIndex(of: quote) else { return nil }
        let text = String(decoding: data[(i + 1)..<end], as: UTF8.self)
        return text.isEmpty || text.contains("${") ? nil : text
    }

    // MARK: The manifest

    private static func generatedManifest(_ input: Input, files: [String: PlannedFile]) throws(FileErrors) -> (Data, [PlannedFile]) {
        let app = input.app
        let places = input.places
        var errors: [FileError] = []
        let name = app["name"]?.string ?? input.title
        let shortName = app["short_name"]?.string ?? String(name.prefix(12))
        var members: [String: JSONValue] = [
            "name": .string(name), "short_name": .string(shortName),
            "id": .string("./"), "start_url": .string("./"), "scope": .string("./"),
            "display": .string(app["display"]?.string ?? "standalone"),
            "theme_color": .string(app["theme_color"]?.string ?? "#334155"),
            "background_color": .string(app["background_color"]?.string ?? "#ffffff"),
            "lang": .string(input.language),
        ]
        if let description = app["description"]?.string ?? (input.description.isEmpty ? nil : input.description) {
            members["description"] = .string(description)
        }
        // start_url and scope stay relative, so the app works under any path of any host.
        for key in ["start_url", "scope"] {
            guard let value = app[key]?.string else { continue }
            if value.hasPrefix("/") || value.contains("://") {
                errors.append(places.error("[app] \(key) = \"\(value)\" is tied to one host or path", at: key,
                                           hint: "write it relative to the site, e.g. \"./\" or \"./app/\""))
            } else {
                members[key] = .string(value)
            }
        }
        for (key, value) in app where members[key] == nil && key != "icons" && key != "offline" {
            if let json = jsonValue(value) { members[key] = json }
        }
        if let color = members["theme_color"]?.stringValue, IconPainter.color(hex: color) == nil {
            errors.append(places.error("[app] theme_color = \"\(color)\" is not a colour pico can draw icons with", at: "theme_color",
                                       hint: "write it as #rrggbb"))
        }

        var icons: [JSONValue] = []
        var drawn: [PlannedFile] = []
        if case .array(let given)? = app["icons"] {
            var sizes: Set<String> = []
            for (index, item) in given.enumerated() {
                guard case .table(let icon) = item, let src = icon["src"]?.string else {
                    errors.append(places.error("[app] icons[\(index)] needs src (and sizes, type)", at: "icons", element: index))
                    continue
                }
                let path = src.hasPrefix("./") ? String(src.dropFirst(2)) : src
                guard let file = files[path] else {
                    errors.append(places.error("[app] icons[\(index)]: the bundle has no file \(src)", at: "icons", element: index,
                                               field: "src", hint: "put the icon in static/ (static/\(path))"))
                    continue
                }
                var entry: [String: JSONValue] = ["src": .string(path)]
                if case .file(let url) = file.content, let size = (try? FileHandle(forReadingFrom: url).read(upToCount: 24)).flatMap({ $0 }).flatMap(PNGHeader.size) {
                    let actual = "\(size.width)x\(size.height)"
                    if let declared = icon["sizes"]?.string, declared != actual {
                        errors.append(places.error("[app] icons[\(index)]: \(src) is \(actual), not the \(declared) it says",
                                                   at: "icons", element: index, field: "sizes"))
                    }
                    sizes.insert(actual)
                    entry["sizes"] = .string(actual)
                    entry["type"] = .string("image/png")
                } else {
                    if let declared = icon["sizes"]?.string { sizes.formUnion(declared.split(separator: " ").map(String.init)); entry["sizes"] = .string(declared) }
                    if let type = icon["type"]?.string { entry["type"] = .string(type) }
                }
                if let purpose = icon["purpose"]?.string { entry["purpose"] = .string(purpose) }
                icons.append(.object(entry))
            }
            for needed in ["192x192", "512x512"] where !sizes.contains(needed) && !sizes.contains("any") {
                errors.append(places.error("[app] icons has no \(needed) icon: browsers want 192 and 512 pixel icons to install an app",
                                           at: "icons", hint: "add a \(needed) PNG, or leave icons out and pico draws them"))
            }
        } else {
            let color = members["theme_color"]?.stringValue.flatMap(IconPainter.color(hex:)) ?? (51, 65, 85)
            let painter = IconPainter(background: color)
            for size in [192, 512] {
                let path = "icons/icon-\(size).png"
                icons.append(.object(["src": .string(path), "sizes": .string("\(size)x\(size)"), "type": .string("image/png"), "purpose": .string("any")]))
                if files[path] == nil {
                    drawn.append(PlannedFile(path: path, origin: .generated(from: input.configFile ?? "pico"),
                                             render: { painter.icon(for: shortName, size: size).pngData }))
                }
            }
        }
        members["icons"] = .array(icons)
        if !errors.isEmpty { throw FileErrors(errors) }
        var data = JSONValue.object(members).canonicalData
        data.append(0x0A)
        return (data, drawn)
    }

    private static func jsonValue(_ value: MetaValue) -> JSONValue? {
        switch value {
        case .string(let s): .string(s)
        case .int(let i): .int(i)
        case .bool(let b): .bool(b)
        case .double: nil
        case .array(let items): .array(items.compactMap(jsonValue))
        case .table(let members): .object(members.compactMapValues(jsonValue))
        }
    }

    /// A site's own manifest, checked for what installing the app needs; each gap is a
    /// warning that says why it matters.
    private static func checkOwnManifest(_ file: PlannedFile, files: [String: PlannedFile]) -> [FileError] {
        let where_ = SourceLocation(file: file.origin.shown)
        let data: Data?
        switch file.content {
        case .file(let url): data = try? Data(contentsOf: url)
        case .rendered(let render): data = try? render()
        }
        guard let data, let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            return [FileError("manifest.webmanifest is not a JSON object; browsers ignore it", at: where_)]
        }
        var problems: [String] = []
        if (object["name"] as? String ?? object["short_name"] as? String) == nil { problems.append("no name or short_name: the app has no name to install under") }
        if let start = object["start_url"] as? String {
            if start.hasPrefix("/") || start.contains("://") { problems.append("start_url \"\(start)\" is tied to one host or path: write it relative, e.g. \"./\"") }
        } else {
            problems.append("no start_url: write \"./\" so the app opens at the site's top under any path")
        }
        if let scope = object["scope"] as? String, scope.hasPrefix("/") || scope.contains("://") {
            problems.append("scope \"\(scope)\" is tied to one host or path: write it relative, e.g. \"./\"")
        }
        let display = object["display"] as? String ?? "browser"
        if !["standalone", "fullscreen", "minimal-ui"].contains(display) {
            problems.append("display \"\(display)\": browsers install only standalone, fullscreen or minimal-ui apps")
        }
        let icons = object["icons"] as? [[String: Any]] ?? []
        var sizes: Set<String> = []
        for icon in icons {
            guard let src = icon["src"] as? String else { continue }
            // src is relative to the manifest's own URL, and may be root-absolute or carry ?v=2.
            if !src.hasPrefix("data:"), !PortableURLRewriter.hasScheme(Array(src.utf8)), !src.hasPrefix("//") {
                if let path = OfflinePolicy.resolvePath(src, from: file.path) {
                    if files[path] == nil { problems.append("icon \(src) is not in the bundle (no file /\(path))") }
                } else {
                    problems.append("icon \(src) points above the top of the bundle")
                }
            }
            sizes.formUnion(((icon["sizes"] as? String) ?? "").split(separator: " ").map(String.init))
        }
        for needed in ["192x192", "512x512"] where !sizes.contains(needed) && !sizes.contains("any") {
            problems.append("no \(needed) icon: browsers want 192 and 512 pixel icons to install an app")
        }
        return problems.map { FileError("manifest.webmanifest: \($0)", at: where_) }
    }
}
