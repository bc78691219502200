import Foundation
import PicoCore

extension BlossomClient {
    /// `GET /<sha256>` (BUD-01): the blob, or nil when the server does not have it (404).
    /// At most `limit` bytes are read (a longer answer is refused unread past that), and the
    /// bytes are returned only when their SHA-256 is `sha256`: a server that answers other bytes
    /// throws `.integrity` naming it. Retried like every request on 5xx, 429 and dropped connections.
    /// - Parameter file: the bundle path, for messages, when the caller knows it.
    public func download(_ sha256: String, limit: Int, file: String? = nil) async throws(BlossomError) -> Data? {
        let subject = BlossomError.Subject(request: "GET /\(sha256)", file: file ?? "the blob", author: author)
        let answer = try await send("GET", path: "/" + sha256, subject: subject,
                                    accept: { $0 == 200 || $0 == 404 }, maxBody: max(0, limit))
        guard answer.status == 200 else { return nil }
        let data = Data(answer.body)
        let got = SHA256Hex.of(data)
        guard got == sha256 else {
            throw BlossomError(.integrity, server: server.url, status: answer.status,
                               "\(server.url) answered GET /\(sha256)\(file.map { " (\($0))" } ?? "") with \(data.count) bytes whose SHA-256 is \(got), not \(sha256)")
        }
        return data
    }
}
