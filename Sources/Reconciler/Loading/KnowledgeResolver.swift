/// Resolves honey-jar source patterns to the files of the same revision.
struct KnowledgeResolver<Files: RevisionFiles> {
    let files: Files
    /// See `RevisionLoader.patternWorkBudget`.
    var budget = 4_000_000_000

    /// Fills `state.knowledge` and returns a diagnostic for every pattern
    /// that matches no file.
    func resolve(_ state: inout DesiredState) throws -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        var listings: [String: [TreeFile]] = [:]
        var listingBytes: [String: Int] = [:]
        var work = 0
        for jar in state.honeyJars {
            var selected: [String: KnowledgeDocument] = [:]
            for (index, source) in jar.spec.sources.enumerated() {
                let pattern = GlobPattern(source)
                let prefix = pattern.staticPrefix
                if listings[prefix] == nil {
                    let listing = try files.files(under: prefix)
                    listings[prefix] = listing
                    listingBytes[prefix] = listing.reduce(0) { $0 + $1.path.utf8.count }
                }
                let listing = listings[prefix]!
                work += listing.count * source.utf8.count + listingBytes[prefix, default: 0]
                if work > budget {
                    diagnostics.append(Diagnostic(path: jar.origin.path, at: jar.position(of: "spec.sources[\(index)]"),
                        "matching the honey jars' source patterns against this revision's files exceeds the work budget (\(budget) bytes compared) at pattern \"\(source)\" of honey jar \"\(jar.spec.name)\"; give the patterns narrower directories"))
                    return diagnostics
                }
                var matched = false
                for file in listing where pattern.matches(file.path) {
                    matched = true
                    selected[file.path] = KnowledgeDocument(path: file.path, blobID: file.blobID)
                }
                if !matched {
                    let at = files.commit.map { " at \($0.id.short)" } ?? ""
                    diagnostics.append(Diagnostic(path: jar.origin.path, at: jar.position(of: "spec.sources[\(index)]"),
                        "source pattern \"\(source)\" of honey jar \"\(jar.spec.name)\" matches no file\(at)"))
                }
            }
            state.knowledge[jar.spec.name] = selected.values.sorted { $0.path < $1.path }
        }
        return diagnostics
    }
}
