import ArgumentParser
import Foundation
import Reconciler

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
            let message = unknownCommand(in: Array(CommandLine.arguments.dropFirst()))
                ?? self.message(for: error).split(separator: "\n").first.map(String.init) ?? "invalid arguments"
            Terminal.standardError("error: \(message) (see nectar --help)")
            Foundation.exit(1)
        }
    }

    /// "unknown command X; did you mean Y?" when an argument stands where a
    /// subcommand must (`nectar valdate`, `nectar operators lst`), else nil.
    static func unknownCommand(in arguments: [String]) -> String? {
        var command: any ParsableCommand.Type = Nectar.self
        var path = "nectar"
        for argument in arguments {
            let subcommands = command.configuration.subcommands
            guard !subcommands.isEmpty, !argument.hasPrefix("-") else { return nil }
            if let next = subcommands.first(where: { $0._commandName == argument || $0.configuration.aliases.contains(argument) }) {
                command = next
                path += " " + next._commandName
                continue
            }
            let names = subcommands.map { $0._commandName }
            let aliases = subcommands.flatMap { $0.configuration.aliases }
            let hint = NameHint.closest(to: argument, among: names + aliases).map { "; did you mean \(path) \($0)?" }
                ?? "; \(path) has \(names.joined(separator: ", "))"
            return "unknown command \(path) \(argument)\(hint)"
        }
        return nil
    }
}
