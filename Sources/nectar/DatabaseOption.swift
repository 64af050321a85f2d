import ArgumentParser

/// `--db`: the runtime database, for the commands that always use one
/// (`apply`, `keys`, `operators`). `plan` and `drift` take `--db` as one of
/// several live sources instead (`LiveStateOptions`).
struct DatabaseOption: ParsableArguments {
    @Option(name: .long, help: "The runtime database.")
    var db: String = "nectar.sqlite"
}
