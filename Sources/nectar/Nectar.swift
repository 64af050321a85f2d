import ArgumentParser
import Foundation

/// The `nectar` command: declarations in git, bots at runtime.
@main
struct Nectar: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nectar",
        abstract: "Self-hosted AI chat bots whose configuration lives in git.",
        version: "0.1.0",
        subcommands: [Validate.self, Plan.self, Apply.self, Serve.self, Drift.self, Keys.self, Operators.self]
    )

    /// Runs the command; a usage error is one sentence on stderr and exit
    /// code 1 (help and --version print as usual).
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asynchronous = command as? any AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
        } catch let exit as ExitCode {
            Foundation.exit(exit.rawValue)
        } catch {
            if exitCode(for: error) == .success {
                self.exit(withError: error)  // --help, --version
            }
            let message = self.message(for: error).split(separator: "\n").first.map(String.init) ?? "invalid arguments"
            Terminal.standardError("error: \(message) (see nectar --help)")
            Foundation.exit(1)
        }
    }
}
