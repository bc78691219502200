import Foundation
import PicoCore
#if canImport(Glibc)
import Glibc
#endif

/// Where a symbolic link inside a site leads. A site can come from anyone (a cloned repository,
/// an unpacked archive), so a link that leaves it — `static -> /home/me`, `pico.toml ->
/// /etc/shadow` — must never pull an outside file into a bundle, nor show a line of one in an
/// error. Links that stay inside the site are followed; every other link is an error.
struct SiteLinks: Sendable {
    /// The site folder with every link in its path resolved.
    let realRoot: String

    enum Resolution: Equatable {
        /// Not a link (or not there at all: the caller decides what a missing file means).
        case notALink
        /// A link to this path inside the site (site-relative, real).
        case inside(relative: String, isFolder: Bool)
        case outside
        case broken
    }

    init(siteFolder: URL) throws(FileError) {
        guard let real = Self.realPath(siteFolder.path) else {
            throw FileError("cannot resolve the site folder", at: SourceLocation(file: siteFolder.path, line: 1, column: 1))
        }
        realRoot = real
    }

    func resolve(_ path: String) -> Resolution {
        var info = stat()
        guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFLNK else { return .notALink }
        guard let real = Self.realPath(path), stat(real, &info) == 0 else { return .broken }
        let prefix = realRoot == "/" ? "/" : realRoot + "/"
        guard real.hasPrefix(prefix) else { return .outside }
        return .inside(relative: String(real.dropFirst(prefix.count)), isFolder: info.st_mode & S_IFMT == S_IFDIR)
    }

    /// The folder to read for `content/`, `static/` or `templates/`: the folder itself, or the
    /// folder inside the site it links to.
    func folder(_ name: String, in siteFolder: URL) throws(FileError) -> URL {
        let url = siteFolder.appendingPathComponent(name)
        switch resolve(url.path) {
        case .notALink: return url
        case .inside(let relative, true): return URL(fileURLWithPath: realRoot).appendingPathComponent(relative)
        case .inside: throw Self.error(name + "/", "is a symbolic link to a file, not a folder")
        case .outside, .broken: throw Self.error(name + "/", "is a symbolic link to a folder outside the site; pico reads only files inside the site")
        }
    }

    /// The file a regular entry or a link inside the site stands for, or why it cannot be taken.
    /// `shown` is the entry's site-relative path, for the error.
    func file(at path: String, shown: String) -> Result<String, FileError> {
        switch resolve(path) {
        case .notALink:
            return .success(path)
        case .inside(_, true):
            return .failure(Self.error(shown, "is a symbolic link to a folder; pico does not follow linked folders",
                                       hint: "move the folder here, or replace the link with a copy"))
        case .inside(let relative, false):
            // The link may not smuggle in what the filter leaves out (`notes.txt -> .env`).
            if PathFilter.isHiddenByDefault(relative) {
                return .failure(Self.error(shown, "is a symbolic link to a hidden or secret file (\(relative))",
                                           hint: "replace the link with a copy if the file really belongs in the bundle"))
            }
            return .success(realRoot + "/" + relative)
        case .outside:
            return .failure(Self.error(shown, "is a symbolic link to a file outside the site; pico takes only files inside the site"))
        case .broken:
            return .failure(Self.error(shown, "is a symbolic link to nothing", hint: "remove the link or restore its target"))
        }
    }

    static func error(_ shown: String, _ message: String,
                      hint: String = "replace the link with a copy of what it points to") -> FileError {
        FileError(message, at: SourceLocation(file: shown, line: 1, column: 1), hint: hint)
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
