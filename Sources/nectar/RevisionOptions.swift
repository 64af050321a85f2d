import ArgumentParser

/// Where declarations are read from: shared by every command that reads git.
struct RevisionOptions: ParsableArguments {
    @Option(name: .long, help: "Path of the git repository (bare or with a work tree).")
    var repo: String = "."

    @Option(name: .long, help: "Revision to read: a branch, tag, commit id, HEAD, origin/main, ...")
    var ref: String = "HEAD"

    @Option(name: .long, help: "Directory of the declarations inside the repository.")
    var path: String = "bots"
}

/// Output formats of commands that print a result.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}
