import ArgumentParser
import Foundation
import PicoCore
import PicoNostr

struct KeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key",
        abstract: "Make or show an author key (a nostr key) that signs bundles.",
        discussion: """
        A bundle is named by its author's key and its id, wherever it lives. The key file holds \
        the secret as an nsec1… line; it is written with mode 0600 and pico refuses to read one \
        that others can read. Share the npub; never the file.

          pico key new -o ~/keys/site.key
          pico build mysite --key ~/keys/site.key     (or PICO_KEY=~/keys/site.key)
          pico verify mysite/public --signer npub1…
        """,
        subcommands: [New.self, Show.self]
    )

    struct New: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a new key file (mode 0600) and print its npub.",
            discussion: "Without -o the key goes to $XDG_CONFIG_HOME/pico/author.key (~/.config/pico/author.key), which pico build and pico publish use when neither --key nor PICO_KEY is given. An existing file is never overwritten."
        )

        @Option(name: .shortAndLong, help: "The key file to create.", completion: .file())
        var output: String?

        @Flag(help: "Print one JSON object: the file, npub and hex public key.")
        var json = false

        func run() throws {
            let path = output.map { URL(commandLinePath: $0).path } ?? KeyFile.defaultPath()
            let key = AuthorKey.generate()
            do { try KeyFile.create(key, at: path) } catch { Terminal.fail(error) }
            if json {
                print(JSONValue.object(["file": .string(path), "npub": .string(key.npub), "pubkey": .string(key.publicKeyHex)]).canonicalString)
            } else {
                print(key.npub)
                Terminal.error("Wrote the secret key to \(path) (mode 0600). Keep it safe; share only the npub above.")
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the public key (npub and hex) of a key file. The secret is never printed.")

        @Argument(help: "The key file.", completion: .file())
        var file: String

        @Flag(help: "Print one JSON object: the file, npub and hex public key.")
        var json = false

        func run() throws {
            let key: AuthorKey
            do { key = try KeyFile.read(URL(commandLinePath: file).path) } catch { Terminal.fail(error) }
            if json {
                print(JSONValue.object(["file": .string(file), "npub": .string(key.npub), "pubkey": .string(key.publicKeyHex)]).canonicalString)
            } else {
                print(key.npub)
                print("hex \(key.publicKeyHex)")
            }
        }
    }
}

/// Public keys as users write and read them: an npub, or 64 hex digits.
enum PublicKeyArgument {
    /// The npub of a hex key, for messages (the hex itself if it is not a key).
    static func npub(_ hex: String) -> String {
        [UInt8](hex: hex).map { NIP19Entity.npub(publicKey: $0).encoded } ?? hex
    }

    static func hex(_ text: String) throws -> String {
        if text.hasPrefix("npub1") {
            guard case .npub(let key)? = try? NIP19Entity.decode(text) else {
                throw ValidationError("\(KeyMaterial.shown(text)) is not a valid npub (bad checksum or length)")
            }
            return key.hexString
        }
        guard let bytes = [UInt8](hex: text), bytes.count == 32 else {
            throw ValidationError("\(KeyMaterial.shown(text)) is not a public key: give an npub1… or 64 hex digits")
        }
        return text.lowercased()
    }
}
