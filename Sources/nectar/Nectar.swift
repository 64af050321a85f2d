import ArgumentParser

/// The `nectar` command: declarations in git, bots at runtime.
@main
struct Nectar: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nectar",
        abstract: "Self-hosted AI chat bots whose configuration lives in git.",
        version: "0.1.0",
        subcommands: [Validate.self, Plan.self, Apply.self]
    )
}
