import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif

@main
struct Pico: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pico",
        abstract: "Turn a site into a bundle that belongs to no server.",
        discussion: """
        A bundle is a folder of static files that works from file:// on a thumb drive, from any \
        sub-path of any web host, and carries pico-manifest.json and SHA256SUMS so it can prove \
        that nothing in it changed.

        Start with:  pico init mysite && pico build mysite && pico verify mysite/public
        """,
        version: "0.1.0",
        subcommands: [InitCommand.self, BuildCommand.self, VerifyCommand.self, PackCommand.self, UnpackCommand.self,
                      PublishCommand.self, FetchCommand.self, ServeCommand.self, KeyCommand.self, LocateCommand.self]
    )

    static func main() async {
        // A parent can start pico with SIGINT/SIGTERM blocked (Swift's Process hands down the
        // mask of the thread that spawned it); Ctrl-C and `kill` must still stop a publish or
        // `pico serve`.
        var terminating = sigset_t()
        sigemptyset(&terminating)
        sigaddset(&terminating, SIGINT)
        sigaddset(&terminating, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &terminating, nil)
        await main(nil)
    }
}
