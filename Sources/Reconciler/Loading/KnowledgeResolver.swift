/// Resolves honey-jar source patterns to the files of the same revision.
struct KnowledgeResolver<Files: RevisionFiles> {
    let files: Files

    /// Fills `state.knowledge` and returns a diagnostic for every pattern
    /// that matches no file.
    func resolve(_ state: inout DesiredState) throws -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        var listings: [String: [TreeFile]] = [:]
        for jar in state.honeyJars {
            var selected: [String: KnowledgeDocument] = [:]
            for (index, source) in jar.spec.sources.enumerated() {
                let pattern = GlobPattern(source)
                let prefix = pattern.staticPrefix
                if listings[prefix] == nil {
                    listings[prefix] = try files.files(under: prefix)
                }
                var matched = false
                for file in listings[prefix]! where pattern.matches(file.path) {
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
