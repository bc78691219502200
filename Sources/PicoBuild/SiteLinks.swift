import Foundation
import PicoCore
import PicoFiles
#if canImport(Glibc)
import Glibc
#endif

/// Where a symbolic link inside a site leads. A site can come from anyone (a cloned repository,
/// an unpacked archive), so a link that leaves it — `static -> /home/me`, `pico.toml ->
/// /etc/shadow` — must never pull an outside file into a bundle, nor show a line of one in an
/// error, unless the user says so. By default links to files inside the site are followed;
/// `--follow-symlinks` also follows links to folders inside it, `--follow-symlinks-outside`
/// links to files outside it too. Never followed: links to hidden or secret files, to special
/// files, to outside folders, and loops.
public struct SiteLinks: Sendable {
    public enum Policy: Sendable {
        /// Links to regular files inside the site.
        case filesInside
        /// `--follow-symlinks`: links to files and folders inside the site.
        case follow
        /// `--follow-symlinks-outside`: also links to files outside the site.
        case followIncludingOutsideFiles
    }

    /// The site folder with every link in its path resolved.
    let realRoot: String
    let policy: Policy

    enum Resolution: Equatable {
        /// Not a link (or not there at all: the caller decides what a missing file means).
        case notALink
        /// A link to a regular file (`relative` to the site when inside it).
        case file(real: String, relative: String?)
        case folder(real: String, relative: String?)
        /// A device, socket or pipe.
        case special(real: String)
        case broken
    }

    /// A file found by `walk`, by its path through linked folders, and what to read for it.
    struct Entry: Sendable {
        var entry: FileTreeEntry
        /// The file to read, or why the link cannot be taken.
        var source: Result<String, FileError>
    }

    /// How deep links to folders may lead into links to folders.
    static let maxFolderLinkDepth = 16

    init(siteFolder: URL, policy: Policy = .filesInside) throws(FileError) {
        guard let real = Self.realPath(siteFolder.path) else {
            throw FileError("cannot resolve the site folder", at: SourceLocation(file: siteFolder.path))
        }
        realRoot = real
        self.policy = policy
    }

    func resolve(_ path: String) -> Resolution {
        var info = stat()
        guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFLNK else { return .notALink }
        guard let real = Self.realPath(path), stat(real, &info) == 0 else { return .broken }
        let prefix = realRoot == "/" ? "/" : realRoot + "/"
        let relative = real == realRoot ? "" : real.hasPrefix(prefix) ? String(real.dropFirst(prefix.count)) : nil
        switch info.st_mode & S_IFMT {
        case S_IFDIR: return .folder(real: real, relative: relative)
        case S_IFREG: return .file(real: real, relative: relative)
        default: return .special(real: real)
        }
    }

    /// The folder to read for `content/`, `static/` or `templates/`: the folder itself, or the
    /// folder inside the site it links to.
    func folder(_ name: String, in siteFolder: URL) throws(FileError) -> URL {
        let url = siteFolder.appendingPathComponent(name)
        switch resolve(url.path) {
        case .notALink: return url
        case .folder(let real, let relative?) where !relative.isEmpty: return URL(fileURLWithPath: real)
        case .file, .special: throw Self.error(name + "/", "is a symbolic link to a file, not a folder")
        case .folder(_, ""?): throw Self.error(name + "/", "is a symbolic link to the site folder itself")
        case .folder, .broken: throw Self.error(name + "/", "is a symbolic link to a folder outside the site; pico reads only files inside the site")
        }
    }

    /// The file a regular entry or a link stands for, or why it cannot be taken. `shown` is
    /// the entry's site-relative path, for the error.
    func file(at path: String, shown: String) -> Result<String, FileError> {
        switch resolve(path) {
        case .notALink:
            return .success(path)
        case .folder(let real, let relative?):
            if policy == .filesInside {
                return .failure(Self.error(shown, "is a symbolic link to a folder (\(relative)); pico follows linked folders only when asked",
                                           hint: "build with --follow-symlinks to copy the folder it points to, or replace the link with a copy"))
            }
            return .failure(Self.error(shown, "is a symbolic link to a folder (\(Self.shown(real))); only folders inside content/ and static/ are followed",
                                       hint: "replace the link with a copy of what it points to"))
        case .folder(let real, nil):
            return .failure(Self.error(shown, "is a symbolic link to a folder outside the site (\(Self.shown(real))); pico never copies outside folders",
                                       hint: "copy the folder into the site, or link each file and build with --follow-symlinks-outside"))
        case .file(let real, let relative?):
            // The link may not smuggle in what the filter leaves out (`notes.txt -> .env`).
            if PathFilter.isHiddenByDefault(relative) {
                return .failure(Self.hiddenTarget(shown, relative))
            }
            return .success(real)
        case .file(let real, nil):
            guard policy == .followIncludingOutsideFiles else {
                return .failure(Self.error(shown, "is a symbolic link to a file outside the site (\(Self.shown(real))); pico takes files from outside only when asked",
                                           hint: "build with --follow-symlinks-outside to copy it, or replace the link with a copy"))
            }
            if PathFilter.isHiddenByDefault(String(real.drop { $0 == "/" })) {
                return .failure(Self.hiddenTarget(shown, Self.shown(real)))
            }
            return .success(real)
        case .special(let real):
            return .failure(Self.error(shown, "is a symbolic link to a special file (\(Self.shown(real))); pico copies only regular files",
                                       hint: "remove the link"))
        case .broken:
            return .failure(Self.error(shown, "is a symbolic link to nothing", hint: "remove the link or restore its target"))
        }
    }

    /// Every entry under `folder` as the bundle will hold it: regular files and special files
    /// as `FileTree.walk` reports them, links resolved by `file(at:shown:)`, and linked folders
    /// (when the policy follows them) walked in place of the link. `shown` makes an entry's
    /// path into the site-relative path errors name; `descend` as for `FileTree.walk`.
    func walk(_ folder: URL, shown: (String) -> String, descend: (String) -> Bool = { _ in true }) throws -> [Entry] {
        var entries: [Entry] = []
        let start = Self.realPath(folder.path) ?? folder.path
        try walk(start, prefix: "", chain: [start], shown: shown, descend: descend, into: &entries)
        entries.sort { $0.entry.path.utf8Precedes($1.entry.path) }
        return entries
    }

    private func walk(_ realFolder: String, prefix: String, chain: [String], shown: (String) -> String,
                      descend: (String) -> Bool, into entries: inout [Entry]) throws {
        for found in try FileTree.walk(URL(fileURLWithPath: realFolder), descend: { descend(prefix + $0) }) {
            let path = prefix + found.path
            let full = realFolder + "/" + found.path
            let entry = FileTreeEntry(path: path, kind: found.kind == .symlink ? .file : found.kind, size: found.size,
                                      hasCanonicalName: found.hasCanonicalName)
            guard found.kind == .symlink else {
                entries.append(Entry(entry: entry, source: .success(full)))
                continue
            }
            guard policy != .filesInside, case .folder(let real, let relative?) = resolve(full) else {
                entries.append(Entry(entry: entry, source: file(at: full, shown: shown(path))))
                continue
            }
            // The folder holding the link is real (walks never go through links), so a target
            // that is it or above it, or a folder this chain of links already went through, loops.
            let holder = (full as NSString).deletingLastPathComponent
            if holder == real || holder.hasPrefix(real + "/") || chain.contains(real) {
                entries.append(Entry(entry: entry, source: .failure(Self.error(shown(path),
                    "is a symbolic link to a folder that holds it (\(relative.isEmpty ? "the site" : relative)); following it would never end",
                    hint: "remove the link"))))
                continue
            }
            if PathFilter.isHiddenByDefault(relative) {
                entries.append(Entry(entry: entry, source: .failure(Self.hiddenTarget(shown(path), relative))))
                continue
            }
            if chain.count > Self.maxFolderLinkDepth {
                entries.append(Entry(entry: entry, source: .failure(Self.error(shown(path),
                    "leads through more than \(Self.maxFolderLinkDepth) links to folders", hint: "replace some links with copies"))))
                continue
            }
            guard descend(path) else { continue }
            try walk(real, prefix: path + "/", chain: chain + [real], shown: shown, descend: descend, into: &entries)
        }
    }

    static func hiddenTarget(_ shown: String, _ target: String) -> FileError {
        error(shown, "is a symbolic link to a hidden or secret file (\(target))",
              hint: "replace the link with a copy if the file really belongs in the bundle")
    }

    static func error(_ shown: String, _ message: String,
                      hint: String = "replace the link with a copy of what it points to") -> FileError {
        FileError(message, at: SourceLocation(file: shown), hint: hint)
    }

    /// A target path as printed: control characters escaped, long ones cut.
    static func shown(_ path: String) -> String {
        let escaped = TextFormats.escapingControls(path)
        return escaped.count > 200 ? String(escaped.prefix(200)) + "…" : escaped
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
