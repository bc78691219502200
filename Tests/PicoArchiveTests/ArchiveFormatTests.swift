import PicoArchive
import Testing

@Suite struct ArchiveFormatTests {
    @Test func formatFollowsTheFileEnding() {
        #expect(ArchiveFormat(fileName: "site.zip") == .zip)
        #expect(ArchiveFormat(fileName: "site.TAR") == .tar)
        #expect(ArchiveFormat(fileName: "site.tar.gz") == .tarGzip)
        #expect(ArchiveFormat(fileName: "a.b.tar.zst") == .tarZstd)
        #expect(ArchiveFormat(fileName: "site.gz") == nil)
    }

    @Test func libarchiveIsLinked() {
        #expect(ArchiveFormat.libraryVersion.hasPrefix("libarchive 3."))
    }
}
