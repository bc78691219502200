import Foundation
import PicoCore
import PicoFiles
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Watches a pico site for changes the build would see, and calls back once per burst of them
/// (`pico serve --watch`), with the paths that changed. What counts is what the build reads:
/// `pico.toml`, the files of `content/` and `static/` that the site's own `PathFilter` admits
/// (`[build] include` and `exclude`, hidden and secret files left out), the templates and the
/// data files. A file closed after writing, or renamed into place (an editor's
/// save-by-rename), is whole, so the call comes a few milliseconds later; a file still being
/// written waits for `quietPeriod`. The output folder, editors'
/// hidden swap files and everything else in the site folder are ignored. The kernel reports
/// changes (inotify), so an idle site costs nothing; folders made later are watched as they appear.
public final class SiteWatcher: Sendable {
    public let site: URL
    public let output: URL
    /// How long the files must be quiet before the rebuild, so one save is one rebuild.
    public let quietPeriod: Duration
    /// How long to gather the rest of a save once every file written was closed.
    public let settlePeriod: Duration
    private let events: FolderWatch
    private let state: Mutex<State>

    struct State {
        var filter: PathFilter
        /// Watched folders by watch descriptor, as paths relative to the site ("" is the site).
        var folders: [Int32: String] = [:]
        var stopped = false
    }

    public init(site: URL, output: URL, quietPeriod: Duration = .milliseconds(100),
                settlePeriod: Duration = .milliseconds(4)) throws(SiteWatcherError) {
        self.site = site.standardizedFileURL
        self.output = output.standardizedFileURL
        self.quietPeriod = quietPeriod
        self.settlePeriod = settlePeriod
        do { events = try FolderWatch() } catch { throw SiteWatcherError("cannot watch \(site.path): \(error)") }
        state = Mutex(State(filter: Self.filter(of: self.site)))
        try watch("")
    }

    /// The site's include and exclude patterns; none while pico.toml does not read (the
    /// rebuild reports why).
    static func filter(of site: URL) -> PathFilter {
        let config = try? SiteConfig.load(siteFolder: site)
        return PathFilter(include: config?.include ?? [], exclude: config?.exclude ?? [])
    }

    /// Whether a change at `path` (relative to the site) changes what the build reads.
    static func triggersRebuild(_ path: String, isFolder: Bool, filter: PathFilter) -> Bool {
        let parts = path.split(separator: "/", maxSplits: 1).map(String.init)
        guard let top = parts.first else { return false }
        let inside = parts.count > 1 ? parts[1] : ""
        switch top {
        case SiteConfig.fileName: return inside.isEmpty
        case "content", "static": return inside.isEmpty || filter.admits(inside)
        case "templates":
            return inside.isEmpty || (!PathFilter.isHiddenByDefault(inside) && (isFolder || inside.hasSuffix(".mustache")))
        case DataFiles.folderName:
            return inside.isEmpty || (!PathFilter.isHiddenByDefault(inside) && (isFolder || DataFiles.isDataFile(inside)))
        default: return false
        }
    }

    /// Whether the folder at `path` is watched: the site itself, and the folders of content/,
    /// static/ and templates/ that the build walks into (never the output).
    func isWatched(folder path: String, filter: PathFilter) -> Bool {
        if path.isEmpty { return true }
        guard ["content", "static", "templates", DataFiles.folderName].contains(String(path.prefix { $0 != "/" })) else { return false }
        let full = site.appendingPathComponent(path).standardizedFileURL.path
        if full == output.path || full.hasPrefix(output.path + "/") { return false }
        return Self.triggersRebuild(path, isFolder: true, filter: filter)
    }

    /// Watches the folder at `path` and the folders under it (not through links).
    private func watch(_ path: String) throws(SiteWatcherError) {
        let filter = state.withLock { $0.filter }
        guard isWatched(folder: path, filter: filter) else { return }
        let full = path.isEmpty ? site.path : site.path + "/" + path
        let descriptor: Int32
        do { descriptor = try events.add(folder: full) } catch {
            // A folder gone already, or no longer a folder, is simply not watched.
            if error.code == ENOSPC {
                throw SiteWatcherError("cannot watch \(full): the system's limit of watched folders is reached (raise fs.inotify.max_user_watches)")
            }
            if path.isEmpty || (error.code != ENOENT && error.code != ENOTDIR) { throw SiteWatcherError("cannot watch \(full): \(error)") }
            return
        }
        state.withLock { $0.folders[descriptor] = path }
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: full) else { return }
        for name in names.sorted() {
            // content/ itself may be a link (the build follows it); links further down are not followed.
            var info = stat()
            let found = path.isEmpty ? stat(full + "/" + name, &info) : lstat(full + "/" + name, &info)
            guard found == 0, info.st_mode & S_IFMT == S_IFDIR else { continue }
            try watch(path.isEmpty ? name : path + "/" + name)
        }
    }

    /// Stops watching the folder at `path` and those under it (it was moved away or removed).
    private func forget(_ path: String) {
        let gone = state.withLock { state -> [Int32] in
            let gone = state.folders.filter { $0.value == path || $0.value.hasPrefix(path + "/") }.map(\.key)
            for descriptor in gone { state.folders.removeValue(forKey: descriptor) }
            return gone
        }
        for descriptor in gone { events.remove(descriptor) }
    }

    /// Reads the changes until `stop()`, calling `rebuild` once the files have been quiet for
    /// `quietPeriod` after a change the build would see (at most a second after the first, so
    /// a file written without end still gets rebuilt). Runs on the caller's thread.
    public func run(rebuild: () -> Void) throws(SiteWatcherError) {
        try run { (_: Set<String>?) in rebuild() }
    }

    /// The same, with the site-relative paths that changed (nil when it cannot be told: changes
    /// were lost, or a folder came or went with whatever it holds).
    public func run(changes rebuild: (Set<String>?) -> Void) throws(SiteWatcherError) {
        while !state.withLock({ $0.stopped }) {
            var burst = Burst()
            try handle(events.next(timeout: nil), into: &burst)
            guard burst.matters else { continue }
            let first = ContinuousClock.now
            while !state.withLock({ $0.stopped }) {
                // Every file written was closed (or renamed into place): a moment gathers the
                // rest of the save; a file still open for writing waits for the quiet period.
                let batch = try events.next(timeout: burst.writing.isEmpty ? settlePeriod : quietPeriod)
                if batch.isEmpty { break }
                try handle(batch, into: &burst) // still followed: new folders are watched
                if ContinuousClock.now - first > .seconds(1) { break }
            }
            if !state.withLock({ $0.stopped }) { rebuild(burst.everything ? nil : burst.paths) }
        }
    }

    /// The changes of one burst.
    struct Burst {
        var paths: Set<String> = []
        var everything = false
        /// Files written to and not yet closed.
        var writing: Set<String> = []
        var matters: Bool { everything || !paths.isEmpty }
    }

    /// Ends `run` (from any thread).
    public func stop() {
        state.withLock { $0.stopped = true }
        events.wake()
    }

    /// Follows new and removed folders; gathers the changes in `batch` that matter to the build.
    private func handle(_ batch: [FolderWatch.Event], into burst: inout Burst) throws(SiteWatcherError) {
        for event in batch {
            if event.overflowed {
                // Changes were lost: rebuild, and watch whatever folders there are now.
                try watch("")
                burst.everything = true
                continue
            }
            guard let folder = state.withLock({ $0.folders[event.descriptor] }) else { continue }
            if event.watchEnded {
                state.withLock { _ = $0.folders.removeValue(forKey: event.descriptor) }
                continue
            }
            let path = folder.isEmpty ? event.name : folder + "/" + event.name
            if path == SiteConfig.fileName {
                state.withLock { $0.filter = Self.filter(of: site) }
            }
            if event.isFolder {
                if event.removedOrMovedAway { forget(path) } else if event.createdOrMovedIn { try watch(path) }
            }
            guard Self.triggersRebuild(path, isFolder: event.isFolder, filter: state.withLock({ $0.filter })) else { continue }
            if event.name.isEmpty || (event.isFolder && (event.createdOrMovedIn || event.removedOrMovedAway)) {
                // A folder brings (or takes) files no event names.
                burst.everything = true
            }
            if !event.name.isEmpty { burst.paths.insert(path) }
            if event.mask & UInt32(IN_MODIFY) != 0 { burst.writing.insert(path) }
            if event.mask & UInt32(IN_CLOSE_WRITE | IN_DELETE | IN_MOVED_FROM) != 0 { burst.writing.remove(path) }
        }
    }
}

public struct SiteWatcherError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// The kernel's change events for a set of folders (Linux inotify), wrapped once: one file
/// descriptor for the events and a pipe that wakes a waiting reader.
final class FolderWatch: Sendable {
    struct Event: Sendable {
        var descriptor: Int32
        /// The name in the watched folder ("" for the folder itself).
        var name: String
        var mask: UInt32

        var isFolder: Bool { mask & UInt32(IN_ISDIR) != 0 }
        var overflowed: Bool { mask & UInt32(IN_Q_OVERFLOW) != 0 }
        /// The watch is gone: its folder was removed, or the filesystem unmounted.
        var watchEnded: Bool { mask & UInt32(IN_IGNORED) != 0 }
        var createdOrMovedIn: Bool { mask & UInt32(IN_CREATE | IN_MOVED_TO) != 0 }
        var removedOrMovedAway: Bool { mask & UInt32(IN_DELETE | IN_MOVED_FROM) != 0 }
    }

    struct SystemError: Error, CustomStringConvertible, Sendable {
        let code: Int32
        var description: String { String(cString: strerror(code)) }
    }

    private let inotify: FileDescriptor
    private let wakeRead: FileDescriptor
    private let wakeWrite: FileDescriptor

    /// Everything that changes what is in a folder or what a file holds.
    static let changes = UInt32(IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO
                                | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | IN_EXCL_UNLINK)

    init() throws(SystemError) {
        let events = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard events >= 0 else { throw SystemError(code: errno) }
        inotify = FileDescriptor(adopting: events, path: "inotify")
        var pipeEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0 else { throw SystemError(code: errno) }
        for end in pipeEnds {
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
            _ = fcntl(end, F_SETFL, O_NONBLOCK)
        }
        wakeRead = FileDescriptor(adopting: pipeEnds[0], path: "wake pipe")
        wakeWrite = FileDescriptor(adopting: pipeEnds[1], path: "wake pipe")
    }

    /// Starts watching a folder (the same folder twice gives the same descriptor).
    func add(folder path: String) throws(SystemError) -> Int32 {
        let descriptor = inotify_add_watch(inotify.rawValue, path, Self.changes)
        guard descriptor >= 0 else { throw SystemError(code: errno) }
        return descriptor
    }

    func remove(_ descriptor: Int32) {
        _ = inotify_rm_watch(inotify.rawValue, descriptor)
    }

    /// Makes a waiting `next` return.
    func wake() {
        var byte: UInt8 = 1
        _ = write(wakeWrite.rawValue, &byte, 1)
    }

    /// The events that arrive within `timeout` (nil: wait until there are some, or `wake`).
    func next(timeout: Duration?) throws(SiteWatcherError) -> [Event] {
        var waiting = [pollfd(fd: inotify.rawValue, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: wakeRead.rawValue, events: Int16(POLLIN), revents: 0)]
        let milliseconds = timeout.map { Int32($0.components.seconds * 1000 + $0.components.attoseconds / 1_000_000_000_000_000) } ?? -1
        do throws(POSIXFailure) {
            // A signal ends the wait with nothing ready: the caller waits again.
            _ = try FileDescriptor.poll(&waiting, timeout: milliseconds)
        } catch {
            throw SiteWatcherError("cannot wait for changes: \(error.reason)")
        }
        if waiting[1].revents != 0 {
            var drained = [UInt8](repeating: 0, count: 64)
            _ = drained.withUnsafeMutableBytes { try? wakeRead.read(into: $0) }
        }
        guard waiting[0].revents != 0 else { return [] }
        var found: [Event] = []
        // Room for many events at once; each is a header and a NUL-padded name.
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            // Non-blocking: EAGAIN once every event is read.
            guard let count = buffer.withUnsafeMutableBytes({ try? inotify.read(into: $0) }), count > 0 else { break }
            buffer.withUnsafeBytes { bytes in
                var offset = 0
                let headerSize = MemoryLayout<inotify_event>.size
                while offset + headerSize <= count {
                    let header = bytes.loadUnaligned(fromByteOffset: offset, as: inotify_event.self)
                    let nameBytes = bytes[(offset + headerSize)..<min(count, offset + headerSize + Int(header.len))]
                    let name = String(decoding: nameBytes.prefix { $0 != 0 }, as: UTF8.self)
                    found.append(Event(descriptor: header.wd, name: name, mask: header.mask))
                    offset += headerSize + Int(header.len)
                }
            }
        }
        return found
    }
}
