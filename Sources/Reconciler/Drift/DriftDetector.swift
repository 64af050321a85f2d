import BotRuntime
import Foundation

/// Compares a revision's declarations with an export of the live state.
///
/// The live side is a `StateExport`, read from a database or from a running
/// server's `GET /admin/state`, so both give the same report. Specs are
/// compared by hashing the stored canonical JSON again rather than trusting
/// the stored hash, so a spec edited in the database directly is found even
/// when its hash column was left alone.
public struct DriftDetector: Sendable {
    /// How far past `rotateEvery` an active key may be before it is overdue,
    /// and a grace key past its expiry before it is reported (the daemon
    /// rotates and expires on its next tick; this covers ticks and restarts).
    public var tolerance: SpecDuration
    public var now: Date
    /// The key directory to check against the stored keys (by key id; the
    /// database holds no secrets), or nil to skip that check.
    public var keyDirectory: KeyDirectory?

    public init(tolerance: SpecDuration = SpecDuration(seconds: 3600), now: Date = Date(), keyDirectory: KeyDirectory? = nil) {
        self.tolerance = tolerance
        self.now = now
        self.keyDirectory = keyDirectory
    }

    /// The drift report of `revision` of the repository at `repositoryPath`
    /// against `live`. Throws when git cannot be read. An invalid revision is
    /// drift, not an error: it cannot be applied, so its unapplied-revision
    /// finding carries the declaration errors, and objects are not compared.
    public func report(repositoryPath: String, declarationsPath: String, revision: String,
                       live export: StateExport, liveSource: DriftReport.Live) throws -> DriftReport {
        let repository = try GitRepository(path: repositoryPath)
        let loaded = try RevisionLoader(declarationsPath: declarationsPath)
            .load(try GitRevisionFiles(repository: repository, revision: revision))
        guard let commit = loaded.state.revision else {
            throw GitError(operation: "resolve revision \(revision)", message: "no commit")
        }
        if let applied = export.declarationsPath, applied != GitRepository.normalize(declarationsPath) {
            throw DriftError(message: "the runtime applies declarations from \(applied.isEmpty ? "the repository root" : applied), not \(declarationsPath); pass --path \(applied.isEmpty ? "." : applied)")
        }
        var findings: [DriftFinding] = []
        findings += try revisionFindings(commit: commit, repository: repository, export: export)
        guard loaded.isValid else {
            let count = loaded.diagnostics.count
            let errors = loaded.diagnostics.map(\.description)
            if !findings.contains(where: { $0.kind == .unappliedRevision }) {
                findings.insert(DriftFinding(kind: .unappliedRevision, objectKind: nil, object: nil,
                                             expected: "revision \(commit.id.short) applied", actual: "it cannot be applied", resolution: ""), at: 0)
            }
            let index = findings.firstIndex { $0.kind == .unappliedRevision }!
            findings[index].errors = errors
            findings[index].actual += "; \(commit.id.short) has \(count) invalid \(count == 1 ? "declaration" : "declarations")"
            findings[index].resolution = "fix the invalid declarations of \(commit.id.short) in a new commit (nectar validate lists them); until then the applied revision keeps serving"
            return DriftReport(revision: commit.id.hex, appliedRevision: export.appliedRevision, live: liveSource, checkedAt: now,
                               bots: [], findings: findings)
        }
        let encoded = EncodedState(loaded.state)
        findings += try objectFindings(encoded, export: export)
        findings += keyAndOverrideFindings(loaded.state, export: export)
        return DriftReport(revision: commit.id.hex, appliedRevision: export.appliedRevision, live: liveSource, checkedAt: now,
                           bots: loaded.state.bots.map(\.spec.name).sorted(), findings: findings)
    }

    // MARK: The revision

    func revisionFindings(commit: CommitInfo, repository: GitRepository, export: StateExport) throws -> [DriftFinding] {
        var findings: [DriftFinding] = []
        if export.appliedRevision != commit.id.hex {
            let applied = export.appliedRevision.flatMap { ObjectID(hex: $0) }
            var commits: [CommitInfo] = []
            var ahead: [CommitInfo] = []
            var known = applied == nil
            if let applied, (try? repository.resolve(applied.hex)) != nil {
                commits = try repository.commits(from: commit.id, excluding: applied)
                ahead = try repository.commits(from: applied, excluding: commit.id)
                known = true
            } else if applied == nil {
                commits = try repository.commits(from: commit.id, excluding: nil)
            }
            func count(_ list: [CommitInfo]) -> String {
                "\(list.count)\(list.count == 100 ? "+" : "") \(list.count == 1 ? "commit" : "commits")"
            }
            var actual = export.appliedRevision.map { "applied \(String($0.prefix(7)))" + (known ? "" : " (not in this repository: fetch its history, or check --repo)") }
                ?? "nothing applied yet"
            if !commits.isEmpty { actual += ", \(count(commits)) behind" }
            if !ahead.isEmpty { actual += "\(commits.isEmpty ? "," : " and") \(count(ahead)) ahead" }
            findings.append(DriftFinding(
                kind: .unappliedRevision, objectKind: nil, object: nil,
                expected: "revision \(commit.id.short) applied", actual: actual,
                resolution: commits.isEmpty && !ahead.isEmpty
                    ? "the runtime applied a newer commit than \(commit.id.short); check --ref (the daemon follows its branch)"
                    : "apply \(commit.id.short): wait for the daemon's next poll, POST /admin/reconcile, or run nectar apply",
                commits: commits.map { .init(id: $0.id.hex, summary: $0.summary, author: $0.author, time: $0.time) }))
        }
        // A run without a revision is the daemon failing to fetch. The daemon
        // records no run for the polls that succeed afterwards without
        // changing anything, so such a failure stays the newest run after git
        // is back: while the runtime is at the checked revision it is no
        // drift (a fetch failure that lasts shows as unapplied commits).
        if let run = export.lastRun, run.outcome == .failed || run.outcome == .refused,
           run.revision != nil || export.appliedRevision != commit.id.hex {
            let at = run.revision.map { " at \(String($0.prefix(7)))" } ?? ""
            findings.append(DriftFinding(
                kind: .applyFailed, objectKind: nil, object: nil,
                expected: "the last reconcile succeeded",
                actual: "run \(run.id ?? 0)\(at) \(run.outcome == .refused ? "was refused" : "failed"): \(run.errors.first ?? "no error recorded")",
                resolution: run.outcome == .refused
                    ? (run.errors.contains { $0.contains("--allow-empty") }
                        ? "check that the revision really declares nothing; if so, apply with --allow-empty (or set reconcile.allowEmpty)"
                        : "review the deletions, then apply with --allow-mass-delete (or set reconcile.allowMassDelete) if they are intended")
                    : run.revision == nil
                        ? "check the daemon's access to the git remote (GET /admin/status); the last applied revision keeps serving meanwhile"
                        : "fix the errors in a new commit (nectar validate lists them); the last applied revision keeps serving meanwhile",
                errors: run.errors))
        }
        return findings
    }

    // MARK: Objects

    func objectFindings(_ encoded: EncodedState, export: StateExport) throws -> [DriftFinding] {
        var live = export.liveState
        // Hash what is stored, not what the hash column says.
        var storedJSON: [ObjectKind: [String: String]] = [:]
        for object in export.objects {
            storedJSON[object.kind, default: [:]][object.name] = object.spec
            live.objects[object.kind]?[object.name]?.specHash = CanonicalSpec.hash(Array(object.spec.utf8))
        }
        let plan = try Planner().plan(desired: encoded, baseline: PlanSide(live: live)) { kind, names in
            storedJSON[kind]?.filter { names.contains($0.key) } ?? [:]
        }
        var findings: [DriftFinding] = []
        for change in plan.changes {
            let subject = "\(change.kind.rawValue) \(change.name)"
            switch change.action {
            case .create, .restore:
                findings.append(DriftFinding(
                    kind: .missing, objectKind: change.kind, object: change.name,
                    expected: "\(subject) declared in \(change.source)",
                    actual: change.action == .restore ? "deleted at runtime" : "not live",
                    resolution: "apply the revision to create it (or remove \(change.source) from git if it should not exist)"))
            case .delete:
                findings.append(DriftFinding(
                    kind: .unexpected, objectKind: change.kind, object: change.name,
                    expected: "no \(subject) declared", actual: "live, from \(change.source)",
                    resolution: "apply the revision to delete it (or declare it again in git if it should stay)"))
            case .update:
                let paths = change.fields.map(\.path)
                findings.append(DriftFinding(
                    kind: .specMismatch, objectKind: change.kind, object: change.name,
                    expected: "spec as declared in \(change.source)",
                    actual: "\(paths.count) \(paths.count == 1 ? "field differs" : "fields differ"): \(paths.prefix(5).joined(separator: ", "))\(paths.count > 5 ? ", …" : "")",
                    resolution: "apply the revision to restore the declared spec; change git instead if the live value is the one you want",
                    fields: change.fields))
            case .move:
                continue  // same spec, another file: nothing runs differently
            }
        }
        var documentsByJar: [String: [ReconcilePlan.DocumentChange]] = [:]
        for document in plan.documents { documentsByJar[document.jar, default: []].append(document) }
        for (jar, documents) in documentsByJar.sorted(by: { $0.key < $1.key }) where live[.honeyJar][jar].map({ !$0.isDeleted }) == true {
            findings.append(DriftFinding(
                kind: .specMismatch, objectKind: .honeyJar, object: jar,
                expected: "knowledge documents as in git",
                actual: documents.prefix(5).map { "\($0.path) \($0.action == .add ? "missing" : $0.action == .remove ? "not in git" : "differs")" }
                    .joined(separator: ", ") + (documents.count > 5 ? ", …" : ""),
                resolution: "apply the revision to load the documents git holds",
                fields: documents.map { document in
                    FieldChange(path: "documents.\(document.path)", from: live.documents[jar]?[document.path].map { .string($0) },
                                to: document.blobID.map { .string($0) })
                }))
        }
        return findings
    }

    // MARK: Keys and runtime overrides

    func keyAndOverrideFindings(_ desired: DesiredState, export: StateExport) -> [DriftFinding] {
        var findings: [DriftFinding] = []
        var policies = PolicyIndex(desired.policies.map(\.spec))
        let liveBots = Dictionary(export.objects.filter { $0.kind == .bot && $0.deletedAt == nil }.map { ($0.name, $0) },
                                  uniquingKeysWith: { first, _ in first })
        var keysByBot: [String: [StoredKey]] = [:]
        for key in export.keys { keysByBot[key.bot, default: []].append(key) }
        for declared in desired.bots {
            let bot = declared.spec
            guard let live = liveBots[bot.name] else { continue }
            if let pausedAt = live.pausedAt {
                let by = live.pausedBy.map { " by \($0)" } ?? ""
                let why = live.pausedReason.map { " (\($0))" } ?? ""
                findings.append(DriftFinding(
                    kind: .runtimeOverride, objectKind: .bot, object: bot.name,
                    expected: "running, as git declares no pause", actual: "paused\(by) at \(Self.timestamp(pausedAt))\(why)",
                    resolution: "resume it (POST /admin/bots/\(bot.name)/resume) once the incident is over; a pause is a runtime override that only a resume clears"))
            }
            let keys = keysByBot[bot.name] ?? []
            let rotation = policies.rotation(for: bot)
            for key in keys where key.state == .active {
                if key.origin == "emergency", bot.apiKeys.generation <= key.generation {
                    findings.append(DriftFinding(
                        kind: .runtimeOverride, objectKind: .bot, object: bot.name,
                        expected: "keys issued from git (spec.apiKeys.generation \(bot.apiKeys.generation))",
                        actual: "key \(key.id) (\(key.display)) rotated in an emergency at \(Self.timestamp(key.createdAt)), generation \(key.generation)",
                        resolution: "bump spec.apiKeys.generation to \(key.generation + 1) in git: the next reconcile issues a key from git (one more rotation, with the grace period) and the override is gone"))
                }
                let age = now.timeIntervalSince(key.createdAt)
                if let every = rotation.rotateEvery, age > TimeInterval(every.seconds + tolerance.seconds) {
                    findings.append(DriftFinding(
                        kind: .keyOverdue, objectKind: .bot, object: bot.name,
                        expected: "active key rotated every \(every) (tolerance \(tolerance))",
                        actual: "key \(key.id) (\(key.display)) is \(StoredKey.ageText(age)) old",
                        resolution: "check that the daemon is running and reconciling (GET /admin/status); nectar apply rotates it now"))
                } else if let maximum = rotation.maxKeyAge, age > TimeInterval(maximum.seconds) {
                    findings.append(DriftFinding(
                        kind: .keyOverdue, objectKind: .bot, object: bot.name,
                        expected: "no active key older than maxKeyAge \(maximum)\(rotation.policy.map { " (policy \($0))" } ?? "")",
                        actual: "key \(key.id) (\(key.display)) is \(StoredKey.ageText(age)) old",
                        resolution: "rotate it: bump spec.apiKeys.generation in git, set rotateEvery, or run nectar keys rotate \(bot.name) in an emergency"))
                }
            }
            if let keyDirectory { findings += keyFileFindings(bot.name, keys: keys, in: keyDirectory) }
            // The daemon expires grace keys on its next reconcile, not at the
            // second: the same tolerance as for rotations.
            for key in keys where key.state == .grace {
                if let expires = key.expiresAt, now.timeIntervalSince(expires) > TimeInterval(tolerance.seconds) {
                    findings.append(DriftFinding(
                        kind: .graceExpiredKeyActive, objectKind: .bot, object: bot.name,
                        expected: "key \(key.id) expired at \(Self.timestamp(expires))",
                        actual: "still stored as valid (grace), \(StoredKey.ageText(now.timeIntervalSince(expires))) past its expiry",
                        resolution: "reconcile (the daemon's next tick, or nectar apply) to expire it; check that the daemon is running"))
                }
            }
        }
        return findings
    }

    /// Whether the bot's file holds every key the database holds valid, the
    /// same active key, and no key the database does not know. Keys that
    /// expired or were revoked may linger in a file until its next rewrite.
    func keyFileFindings(_ bot: String, keys: [StoredKey], in directory: KeyDirectory) -> [DriftFinding] {
        let valid = keys.filter { $0.isValid(at: now) }
        guard !valid.isEmpty || directory.read(bot: bot) != nil else { return [] }
        var problems: [String] = []
        if let file = directory.read(bot: bot) {
            let held = Set(file.entries.map(\.id))
            let missing = valid.filter { !held.contains($0.id) }.map(\.id)
            if !missing.isEmpty { problems.append("it lacks valid \(missing.count == 1 ? "key" : "keys") \(missing.joined(separator: ", "))") }
            if let active = valid.first(where: { $0.state == .active }), file.active.id != active.id {
                problems.append("its active key is \(file.active.id), the database's is \(active.id)")
            }
            let known = Set(keys.map(\.id))
            let unknown = file.entries.map(\.id).filter { !known.contains($0) }
            if !unknown.isEmpty { problems.append("it holds \(unknown.joined(separator: ", ")), which the database does not know") }
        } else {
            problems.append("there is no file for its \(valid.count) valid \(valid.count == 1 ? "key" : "keys")")
        }
        guard !problems.isEmpty else { return [] }
        return [DriftFinding(
            kind: .keyFileMismatch, objectKind: .bot, object: bot,
            expected: "\(directory.path)/\(bot).json holds exactly the keys the database holds valid",
            actual: problems.joined(separator: "; "),
            resolution: "run nectar keys rotate --bot \(bot) --db DB --key-dir \(directory.path): the file is rewritten with a new active key, and the database's other valid keys keep working")]
    }

    static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601)
    }
}

/// A drift check that cannot run, as one sentence.
public struct DriftError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}
