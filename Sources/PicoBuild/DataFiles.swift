import Foundation
import PicoCore
import PicoFiles
import PicoTOML
import Yams

/// `data/`: TOML, YAML and JSON files the templates see as `site.data`, keyed by their path
/// without the extension (`data/team/people.yaml` is `site.data.team.people`). Read like the
/// site's code, from inside the site only, each file bounded before a parser sees it.
enum DataFiles {
    static let folderName = "data"
    static let extensions = ["toml", "yaml", "yml", "json"]
    /// Data is read whole into every template's context: bounded as a whole too.
    static let maxFiles = 10_000
    static let maxTotalBytes = 64 << 20

    /// Whether `path` (inside `data/`) is a file the build reads.
    static func isDataFile(_ path: String) -> Bool {
        guard let dot = path.lastIndex(of: ".") else { return false }
        return extensions.contains(path[path.index(after: dot)...].lowercased())
    }

    static func load(siteFolder: URL, links: SiteLinks, limits: InputLimits) throws(FileErrors) -> [String: MetaValue] {
        let folder: URL
        do { folder = try links.folder(folderName, in: siteFolder) } catch { throw FileErrors([error]) }
        guard FileTree.isDirectory(folder) else { return [:] }
        let entries: [FileTreeEntry]
        do { entries = try FileTree.walk(folder) } catch {
            throw FileErrors([FileError("cannot read the folder: \(error.localizedDescription)", file: folderName)])
        }
        var tree: [String: MetaValue] = [:]
        /// Which file made each key path, to name both sides of a clash.
        var madeBy: [String: String] = [:]
        var errors: [FileError] = []
        var totalBytes = 0
        let files = entries.filter { $0.kind != .other && isDataFile($0.path) && !PathFilter.isHiddenByDefault($0.path) }
            .sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
        if files.count > maxFiles {
            throw FileErrors([FileError("holds \(files.count) data files; pico reads at most \(maxFiles)", file: folderName)])
        }
        for entry in files {
            let shown = folderName + "/" + entry.path
            let file: String
            switch links.file(at: folder.path + "/" + entry.path, shown: shown) {
            case .success(let path): file = path
            case .failure(let error): errors.append(error); continue
            }
            if let tooLarge = limits.pageTooLarge(entry.size, file: shown) { errors.append(tooLarge); continue }
            totalBytes += entry.size
            if totalBytes > maxTotalBytes {
                errors.append(FileError("the data files come to more than \(maxTotalBytes >> 20) MiB; templates get them all in memory",
                                        file: shown, hint: "keep large data out of data/ (put it in static/)"))
                break
            }
            guard let data = try? FileTree.read(atPath: file), data.count <= limits.maxPageBytes else {
                errors.append(FileError("cannot read the file", file: shown))
                continue
            }
            // Data ends up in pages: key material in it would be published.
            if let key = KeyMaterialScanner.find(in: data, path: shown) {
                errors.append(KeyMaterialScanner.error(key, file: shown, in: data))
                continue
            }
            let value: MetaValue
            do throws(FileError) { value = try parse(data, file: shown) } catch { errors.append(error); continue }
            // The key path: folders, then the file name without its extension.
            var keys = entry.path.split(separator: "/").map(String.init)
            let last = keys.removeLast()
            keys.append(String(last[..<last.lastIndex(of: ".")!]))
            if let clash = insert(value, at: keys, into: &tree, madeBy: &madeBy, file: shown) { errors.append(clash) }
        }
        if !errors.isEmpty { throw FileErrors(errors) }
        return tree
    }

    /// Puts `value` at `keys`; a key another file holds already is an error naming both.
    private static func insert(_ value: MetaValue, at keys: [String], into tree: inout [String: MetaValue],
                               madeBy: inout [String: String], file: String) -> FileError? {
        let joined = keys.joined(separator: ".")
        // A key path that is, or is inside, or holds one another file made.
        for (other, source) in madeBy where other == joined || other.hasPrefix(joined + ".") || joined.hasPrefix(other + ".") {
            return FileError("gives site.data.\(joined), which clashes with site.data.\(other) from \(source)", file: file,
                             hint: "rename one of them: a data file and a folder, or two files, cannot share a name")
        }
        madeBy[joined] = file
        func put(_ rest: ArraySlice<String>, in table: inout [String: MetaValue]) {
            let key = rest.first!
            if rest.count == 1 { table[key] = value; return }
            var inner: [String: MetaValue]
            if case .table(let existing)? = table[key] { inner = existing } else { inner = [:] }
            put(rest.dropFirst(), in: &inner)
            table[key] = .table(inner)
        }
        put(keys[...], in: &tree)
        return nil
    }

    /// One data file's value, by its extension; errors at file:line:column.
    static func parse(_ data: Data, file: String) throws(FileError) -> MetaValue {
        guard var text = String(data: data, encoding: .utf8) else {
            throw FileError("is not UTF-8 text", file: file, hint: "save the file as UTF-8")
        }
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        let lower = file.lowercased()
        if lower.hasSuffix(".toml") {
            if let line = TOMLNesting.firstLine(exceeding: InputLimits.maxValueDepth, in: text) {
                throw FileError("nests more than \(InputLimits.maxValueDepth) levels deep", file: file, text: text, line: line, column: 1,
                                hint: "flatten the tables and arrays")
            }
            do {
                return .table(MetaValue.table(toml: try TOMLDocument.parse(text, maxDepth: InputLimits.maxValueDepth)))
            } catch {
                throw FileError("could not read the TOML: \(error.message)", file: file, text: text, line: error.line, column: error.column)
            }
        }
        if lower.hasSuffix(".json") { return try json(data, text: text, file: file) }
        guard let node = try FrontMatter.composeYAML(text, file: file, text: text, firstLine: 1, what: "the YAML") else {
            return .table([:])
        }
        return MetaValue(yaml: node)
    }

    /// JSON through Foundation, nesting bounded first; `null` values are left out (templates
    /// take a missing value as false).
    private static func json(_ data: Data, text: String, file: String) throws(FileError) -> MetaValue {
        if let offset = depthExceeded(in: data) {
            throw FileError("nests more than \(InputLimits.maxValueDepth) levels deep", file: file, text: data, byteOffset: offset,
                            hint: "flatten the objects and arrays")
        }
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) } catch {
            let reason = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)"
            // Foundation says where only as "around character N" (a byte offset).
            if let range = reason.range(of: "character "), let offset = Int(reason[range.upperBound...].prefix { $0.isNumber }) {
                throw FileError("could not read the JSON: \(reason)", file: file, text: data, byteOffset: min(offset, data.count))
            }
            throw FileError("could not read the JSON: \(reason)", file: file, text: text, line: 1, column: 1)
        }
        return value(of: object) ?? .table([:])
    }

    private static func value(of object: Any) -> MetaValue? {
        switch object {
        case let string as String: return .string(string)
        case let number as NSNumber:
            // Foundation gives true and false as NSNumbers of its boolean class.
            if String(describing: type(of: number)).contains("Boolean") { return .bool(number.boolValue) }
            let objCType = String(cString: number.objCType)
            if objCType == "d" || objCType == "f" { return .double(number.doubleValue) }
            return .int(number.intValue)
        case let array as [Any]: return .array(array.compactMap(value(of:)))
        case let object as [String: Any]: return .table(object.compactMapValues(value(of:)))
        default: return nil
        }
    }

    /// The byte offset where brackets (outside strings) first nest deeper than the limit.
    private static func depthExceeded(in data: Data) -> Int? {
        var depth = 0
        var inString = false
        var escaped = false
        for (offset, byte) in data.enumerated() {
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                if depth > InputLimits.maxValueDepth { return offset }
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            default: break
            }
        }
        return nil
    }
}
