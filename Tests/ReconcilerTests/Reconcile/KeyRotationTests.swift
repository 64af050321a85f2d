import BotRuntime
import Foundation
import Reconciler
import Testing

/// A settable clock for key tests: time moves only when the test says so.
final class KeyTestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date
    init(_ start: Date = Date(timeIntervalSince1970: 1_900_000_000)) { current = start }
    func now() -> Date { lock.withLock { current } }
    func advance(days: Double) { lock.withLock { current = current.addingTimeInterval(days * 86_400) } }
}

/// API keys through real reconciles: issue, rotation by time and by
/// generation, grace periods, policies, deletion, delivery and sealing.
@Suite struct KeyRotationTests {
    static let policy = """
        apiVersion: nectar/v1
        kind: KeyRotationPolicy
        metadata: {name: gold-tier}
        spec: {selector: {tier: gold}, rotateEvery: 30d, gracePeriod: 24h, maxKeyAge: 90d}

        """

    static func bot(_ name: String, tier: String = "gold", keys: String = "", generation: Int = 1) -> String {
        """
        apiVersion: nectar/v1
        kind: Bot
        metadata:
          name: \(name)
          labels: {tier: \(tier)}
        spec:
          apiKeys:
            generation: \(generation)\(keys)

        """
    }

    struct Setup {
        let scenario: ReconcileScenario
        let clock: KeyTestClock
        let keyDir: KeyDirectory

        @discardableResult
        func reconcile(_ commit: CommitInfo) throws -> ReconcileOutcome {
            let clock = self.clock
            let outcome = RevisionReconciler(repositoryPath: scenario.repoPath, store: try scenario.store,
                                             keyDirectory: keyDir, now: { clock.now() }).reconcile(revision: commit.id.hex)
            #expect(outcome.error == nil, "\(outcome.error ?? "")")
            return outcome
        }

        /// Reconciles while another connection writes the store between planning
        /// and the commit (on the clock's second reading): key files are
        /// written, then the store refuses the change set.
        func reconcileWithAWriteBeforeTheCommit(_ commit: CommitInfo) throws -> ReconcileOutcome {
            final class Interleaver: @unchecked Sendable { var calls = 0 }
            let interleaver = Interleaver()
            let db = scenario.dbPath
            let clock = self.clock
            return RevisionReconciler(repositoryPath: scenario.repoPath, store: try scenario.store, keyDirectory: keyDir, now: {
                interleaver.calls += 1
                if interleaver.calls == 2 { try? ReconcileSQL.execute(path: db, "UPDATE bot SET updated_at = updated_at") }
                return clock.now()
            }).reconcile(revision: commit.id.hex)
        }

        func keys(_ bot: String) throws -> [StoredKey] { try scenario.store.keys(bot: bot) }

        /// Every key the store considers valid now has its plaintext in the bot's file.
        func everyValidKeyHasAHolder(_ bot: String) throws {
            let file = try #require(keyDir.read(bot: bot), "no key file for \(bot)")
            let held = Set(file.entries.map { CanonicalSpec.hash(Array($0.key.utf8)) })
            for key in try keys(bot) where key.isValid(at: clock.now()) {
                #expect(held.contains(key.secretHash), "valid key \(key.id) of \(bot) is in no file")
            }
        }

        func verifier() throws -> KeyVerifier {
            let clock = self.clock
            return KeyVerifier(store: try scenario.store, now: { clock.now() })
        }
    }

    static func withSetup(_ body: (Setup) throws -> Void) throws {
        try withReconcileScenario { scenario in
            try body(Setup(scenario: scenario, clock: KeyTestClock(), keyDir: KeyDirectory(path: scenario.directory + "/keys")))
        }
    }

    @Test func rotationByTimeNeedsNoCommitAndKeepsTheOldKeyForItsGracePeriod() throws {
        try Self.withSetup { setup in
            let commit = try setup.scenario.commit(["bots/policy.yaml": Self.policy, "bots/support.yaml": Self.bot("support")])
            let first = try setup.reconcile(commit)
            #expect(first.plan?.keys.map { "\($0.action) \($0.bot) \($0.reason)" } == ["issue support bot created"])
            let original = try #require(setup.keyDir.read(bot: "support")).active.key
            #expect(try setup.verifier().verify(original).isValid)

            // Before it is due: the same revision again is a no-op, no key action.
            setup.clock.advance(days: 29)
            let early = try setup.reconcile(commit)
            #expect(early.run.outcome == .noop)
            #expect(try setup.keys("support").count == 1)

            // Due (31 days): rotated with no new commit; the old key is in grace.
            setup.clock.advance(days: 2)
            let due = try setup.reconcile(commit)
            #expect(due.run.outcome == .applied)
            #expect(due.plan?.keys.map { "\($0.action) \($0.reason)" } == ["rotate policy gold-tier: 31d old, every 30d"])
            let keys = try setup.keys("support")
            #expect(keys.map(\.state).sorted { $0.rawValue < $1.rawValue } == [.active, .grace])
            let file = try #require(setup.keyDir.read(bot: "support"))
            #expect(file.previous?.key == original)
            #expect(file.previous?.validUntil == setup.clock.now().addingTimeInterval(86_400))
            try setup.everyValidKeyHasAHolder("support")
            let verifier = try setup.verifier()
            #expect(verifier.verify(file.active.key).isValid)
            #expect(verifier.verify(original) == .valid(bot: "support", keyID: file.previous!.id, state: .grace))

            // After the grace period the old key is rejected at once, and the
            // next reconcile expires it.
            setup.clock.advance(days: 1.5)
            #expect(verifier.verify(original) == .rejected(.expired))
            let expired = try setup.reconcile(commit)
            #expect(expired.plan?.keys.map { "\($0.action) \($0.reason)" } == ["expire grace period ended"])
            #expect(try setup.keys("support").first { $0.id == file.previous!.id }?.state == .revoked)
            #expect(verifier.verify(original) == .rejected(.revoked))
            #expect(verifier.verify(file.active.key).isValid)
        }
    }

    @Test func bumpingTheGenerationRotatesNow() throws {
        try Self.withSetup { setup in
            var files = ["bots/support.yaml": Self.bot("support", tier: "silver")]
            try setup.reconcile(try setup.scenario.commit(files))
            let before = try #require(setup.keys("support").first)
            #expect(before.generation == 1)
            files["bots/support.yaml"] = Self.bot("support", tier: "silver", generation: 2)
            let next = try setup.scenario.commit(files)
            let preview = try setup.scenario.planBetween(try setup.scenario.repository.resolve("HEAD~1"), next)
            #expect(preview.plan?.keys.map { "\($0.action) \($0.reason)" } == ["rotate generation 1 -> 2"])
            let outcome = try setup.reconcile(next)
            #expect(outcome.plan?.keys.map { "\($0.action) \($0.reason)" } == ["rotate generation 1 -> 2"])
            let keys = try setup.keys("support")
            #expect(keys.first { $0.state == .active }?.generation == 2)
            #expect(keys.first { $0.id == before.id }?.state == .grace)
            try setup.everyValidKeyHasAHolder("support")
            // Text plans name the key action and why.
            #expect(preview.text(colour: false).contains("  * rotate key of bot support (generation 1 -> 2)"))
        }
    }

    @Test func loweringTheGenerationRotatesNothingInThePlanOrTheApply() throws {
        try Self.withSetup { setup in
            var files = ["bots/support.yaml": Self.bot("support", tier: "silver", generation: 2)]
            let first = try setup.scenario.commit(files)
            try setup.reconcile(first)
            files["bots/support.yaml"] = Self.bot("support", tier: "silver", generation: 1)
            let lowered = try setup.scenario.commit(files)
            #expect(try setup.scenario.planBetween(first, lowered).plan?.keys.isEmpty == true)
            #expect(try setup.reconcile(lowered).plan?.keys.isEmpty == true)
            #expect(try setup.keys("support").map(\.generation) == [2])
        }
    }

    @Test func theBotsOwnIntervalOverridesThePolicyAndNoPolicyMeansNoTimeRotation() throws {
        try Self.withSetup { setup in
            let commit = try setup.scenario.commit([
                "bots/policy.yaml": Self.policy,
                "bots/gold.yaml": Self.bot("gold"),
                "bots/own.yaml": Self.bot("own", keys: "\n    rotateEvery: 7d\n    gracePeriod: 12h"),
                "bots/plain.yaml": Self.bot("plain", tier: "silver"),
            ])
            try setup.reconcile(commit)
            setup.clock.advance(days: 8)
            let week = try setup.reconcile(commit)
            #expect(week.plan?.keys.map { "\($0.action) \($0.bot) \($0.reason)" } == ["rotate own rotateEvery 1w: 8d old"])
            #expect(try setup.keys("own").first { $0.state == .grace }?.expiresAt == setup.clock.now().addingTimeInterval(12 * 3600))
            setup.clock.advance(days: 30)
            let month = try setup.reconcile(commit)
            let actions = Set(try #require(month.plan).keys.map { "\($0.action) \($0.bot)" })
            #expect(actions == ["rotate gold", "rotate own", "expire own"])
            // No policy and no own interval: the silver bot keeps its first key.
            #expect(try setup.keys("plain").map(\.state) == [.active])
        }
    }

    @Test func deletingABotRevokesItsKeysAtOnce() throws {
        try Self.withSetup { setup in
            var files = ["bots/a.yaml": Self.bot("a", tier: "silver"), "bots/b.yaml": Self.bot("b", tier: "silver"),
                         "bots/c.yaml": Self.bot("c", tier: "silver")]
            try setup.reconcile(try setup.scenario.commit(files))
            let key = try #require(setup.keyDir.read(bot: "c")).active.key
            let verifier = try setup.verifier()
            #expect(verifier.verify(key).isValid)
            files["bots/c.yaml"] = nil
            let outcome = try setup.reconcile(try setup.scenario.commit(files))
            #expect(outcome.plan?.keys.map { "\($0.action) \($0.bot)" } == ["revoke c"])
            #expect(verifier.verify(key) == .rejected(.revoked))
            #expect(setup.keyDir.read(bot: "c") == nil)
            #expect(try setup.keys("c").allSatisfy { $0.state == .revoked && $0.revokedReason == "bot deleted" })
        }
    }

    @Test func keyFilesAreMode0600AndReplacedAtomically() throws {
        try Self.withSetup { setup in
            var files = ["bots/support.yaml": Self.bot("support", tier: "silver")]
            try setup.reconcile(try setup.scenario.commit(files))
            let path = setup.keyDir.path + "/support.json"
            let first = try FileManager.default.attributesOfItem(atPath: path)
            #expect((first[.posixPermissions] as? Int) == 0o600)
            #expect((try FileManager.default.attributesOfItem(atPath: setup.keyDir.path)[.posixPermissions] as? Int) == 0o700)
            files["bots/support.yaml"] = Self.bot("support", tier: "silver", generation: 2)
            try setup.reconcile(try setup.scenario.commit(files))
            let second = try FileManager.default.attributesOfItem(atPath: path)
            #expect((second[.posixPermissions] as? Int) == 0o600)
            // A rename, not a rewrite in place: a reader never sees half a file.
            #expect((first[.systemFileNumber] as? Int) != (second[.systemFileNumber] as? Int))
            #expect(try FileManager.default.contentsOfDirectory(atPath: setup.keyDir.path).sorted() == [".gitignore", ".lock", "support.json"])
            #expect(try String(contentsOfFile: setup.keyDir.path + "/.gitignore", encoding: .utf8).contains("\n*\n"))
        }
    }

    @Test func noPlaintextKeyInTheDatabaseItsWALOrTheCommandOutput() throws {
        try Self.withSetup { setup in
            let commit = try setup.scenario.commit(["bots/support.yaml": Self.bot("support", tier: "silver")])
            let run = try ReconcileCLI.run(["apply", "--repo", setup.scenario.repoPath, "--ref", commit.id.hex,
                                            "--db", setup.scenario.dbPath, "--key-dir", setup.keyDir.path])
            #expect(run.status == 0, "\(run.stderr)")
            let file = try #require(setup.keyDir.read(bot: "support"))
            let list = try ReconcileCLI.run(["keys", "list", "--db", setup.scenario.dbPath])
            let json = try ReconcileCLI.run(["keys", "list", "--db", setup.scenario.dbPath, "--format", "json"])
            #expect(list.stdout.contains(file.active.id))
            #expect(list.stdout.contains(String(file.active.key.prefix(7)) + "…"))
            for output in [run.stdout, run.stderr, list.stdout, list.stderr, json.stdout] {
                #expect(!output.contains(file.active.key))
                #expect(!output.contains(String(file.active.key.dropFirst(3).prefix(30))))
            }
            let secret = Data(file.active.key.utf8)
            for suffix in ["", "-wal"] where FileManager.default.fileExists(atPath: setup.scenario.dbPath + suffix) {
                let bytes = try Data(contentsOf: URL(fileURLWithPath: setup.scenario.dbPath + suffix))
                #expect(bytes.range(of: secret) == nil, "plaintext key in nectar.sqlite\(suffix)")
                #expect(bytes.range(of: Data(file.active.key.dropFirst(3).prefix(30).utf8)) == nil)
            }
        }
    }

    /// The crash between issuing a key and delivering it: the files are
    /// written before the commit; when the commit does not happen the file is
    /// put back as the store has it, and the next reconcile recovers.
    @Test func aFailureBetweenDeliveryAndCommitLeavesNoValidKeyWithoutAHolder() throws {
        try Self.withSetup { setup in
            var files = ["bots/support.yaml": Self.bot("support", tier: "silver")]
            try setup.reconcile(try setup.scenario.commit(files))
            let original = try #require(setup.keyDir.read(bot: "support")).active
            files["bots/support.yaml"] = Self.bot("support", tier: "silver", generation: 2)
            let next = try setup.scenario.commit(files)

            // Another writer lands between planning and the commit: the files
            // are written, then the store refuses the change set.
            let failed = try setup.reconcileWithAWriteBeforeTheCommit(next)
            #expect(failed.run.outcome == .failed)
            let afterFailure = try #require(setup.keyDir.read(bot: "support"))
            #expect(try setup.keys("support").map(\.id) == [original.id])  // the new key never became valid...
            #expect(afterFailure.active.id == original.id)          // ...so the file is put back as the store has it
            #expect(afterFailure.entries.count == 1)
            try setup.everyValidKeyHasAHolder("support")

            let recovered = try setup.reconcile(next)
            #expect(recovered.run.outcome == .applied)
            try setup.everyValidKeyHasAHolder("support")
            #expect(setup.keyDir.read(bot: "support")?.previous?.id == original.id)
        }
    }

    @Test func keysSealedToRecipientsOpenWithTheRightIdentityOnly() throws {
        try Self.withSetup { setup in
            let owner = KeyIdentity.generate()
            let stranger = KeyIdentity.generate()
            let bot = Self.bot("sealed", tier: "silver", keys: "\n    recipients: [\"\(owner.publicKeyBase64)\"]")
            let commit = try setup.scenario.commit(["bots/sealed.yaml": bot])
            try setup.reconcile(commit)
            let identityPath = setup.scenario.directory + "/owner.identity"
            try owner.fileContents.write(toFile: identityPath, atomically: true, encoding: .utf8)
            let strangerPath = setup.scenario.directory + "/stranger.identity"
            try stranger.fileContents.write(toFile: strangerPath, atomically: true, encoding: .utf8)

            let opened = try ReconcileCLI.run(["keys", "open", "--bot", "sealed", "--identity", identityPath, "--db", setup.scenario.dbPath])
            #expect(opened.status == 0, "\(opened.stderr)")
            let active = try #require(setup.keys("sealed").first { $0.state == .active })
            #expect(CanonicalSpec.hash(Array(opened.stdout.trimmingCharacters(in: .whitespacesAndNewlines).utf8)) == active.secretHash)

            let refused = try ReconcileCLI.run(["keys", "open", "--bot", "sealed", "--identity", strangerPath, "--db", setup.scenario.dbPath])
            #expect(refused.status == 1)
            #expect(refused.stderr.hasPrefix("error: the active key of bot sealed was not sealed to this identity"))
            #expect(refused.stdout.isEmpty)
        }
    }

    @Test func emergencyRotationAndRevocationFromTheCommandLine() throws {
        try Self.withSetup { setup in
            let commit = try setup.scenario.commit(["bots/support.yaml": Self.bot("support", tier: "silver")])
            try setup.reconcile(commit)
            let original = try #require(setup.keyDir.read(bot: "support")).active
            let rotate = try ReconcileCLI.run(["keys", "rotate", "--bot", "support", "--db", setup.scenario.dbPath,
                                               "--key-dir", setup.keyDir.path])
            #expect(rotate.status == 0, "\(rotate.stderr)")
            let file = try #require(setup.keyDir.read(bot: "support"))
            #expect(file.previous?.id == original.id)
            let keys = try setup.keys("support")
            #expect(keys.first { $0.state == .active }?.origin == "emergency")
            #expect(keys.first { $0.id == original.id }?.state == .grace)
            try setup.everyValidKeyHasAHolder("support")
            #expect(try setup.scenario.store.audit(kind: .bot, name: "support").last?.action == "key-rotate")

            let revoke = try ReconcileCLI.run(["keys", "revoke", "--bot", "support", "--key", original.id, "--db", setup.scenario.dbPath])
            #expect(revoke.status == 0, "\(revoke.stderr)")
            #expect(try setup.verifier().verify(original.key) == .rejected(.revoked))
            let again = try ReconcileCLI.run(["keys", "revoke", "--bot", "support", "--key", original.id, "--db", setup.scenario.dbPath])
            #expect(again.status == 1)
            #expect(again.stderr == "error: key \(original.id) of bot support is already revoked\n")
            // The emergency key stays: git's generation did not change, so a reconcile does not rotate it again.
            let reconciled = try setup.reconcile(commit)
            #expect(reconciled.plan?.keys.isEmpty == true)
        }
    }

    /// `nectar keys rotate` whose commit fails (SQLite refuses the insert)
    /// leaves the file as the store has it: the old key active, no key the
    /// store does not know.
    @Test func anEmergencyRotationWhoseCommitFailsPutsTheFileBack() throws {
        try Self.withSetup { setup in
            try setup.reconcile(try setup.scenario.commit(["bots/support.yaml": Self.bot("support", tier: "silver")]))
            let before = try #require(setup.keyDir.read(bot: "support"))
            try ReconcileSQL.execute(path: setup.scenario.dbPath, """
                CREATE TRIGGER refuse_keys BEFORE INSERT ON api_key BEGIN SELECT RAISE(ABORT, 'injected failure'); END
                """)
            let rotate = try ReconcileCLI.run(["keys", "rotate", "--bot", "support", "--db", setup.scenario.dbPath,
                                               "--key-dir", setup.keyDir.path])
            #expect(rotate.status == 1)
            #expect(setup.keyDir.read(bot: "support") == before)
            try setup.everyValidKeyHasAHolder("support")
        }
    }

    @Test func aFailedCommitWithNoGracePeriodStillLeavesTheOldKeyInTheFile() throws {
        try Self.withSetup { setup in
            var files = ["bots/support.yaml": Self.bot("support", tier: "silver", keys: "\n    gracePeriod: 0s")]
            try setup.reconcile(try setup.scenario.commit(files))
            let original = try #require(setup.keyDir.read(bot: "support")).active
            files["bots/support.yaml"] = Self.bot("support", tier: "silver", keys: "\n    gracePeriod: 0s", generation: 2)
            let next = try setup.scenario.commit(files)
            let failed = try setup.reconcileWithAWriteBeforeTheCommit(next)
            #expect(failed.run.outcome == .failed)
            // The old key, still the only valid one, is the file's active key
            // again: the file was put back as the store has it.
            try setup.everyValidKeyHasAHolder("support")
            #expect(setup.keyDir.read(bot: "support")?.active.id == original.id)
            #expect(setup.keyDir.read(bot: "support")?.entries.count == 1, "the key that never became valid is gone")
            // Once the rotation commits, the old key is revoked at once.
            try setup.reconcile(next)
            #expect(try setup.keys("support").first { $0.id == original.id }?.state == .revoked)
            try setup.everyValidKeyHasAHolder("support")
        }
    }

    @Test func changingAPolicyReevaluatesEveryBotItSelects() throws {
        try Self.withSetup { setup in
            var files = ["bots/policy.yaml": Self.policy, "bots/support.yaml": Self.bot("support")]
            try setup.reconcile(try setup.scenario.commit(files))
            setup.clock.advance(days: 10)
            files["bots/policy.yaml"] = Self.policy.replacingOccurrences(of: "rotateEvery: 30d", with: "rotateEvery: 7d")
                .replacingOccurrences(of: "maxKeyAge: 90d", with: "maxKeyAge: 30d")
            let tightened = try setup.reconcile(try setup.scenario.commit(files))
            #expect(tightened.plan?.keys.map { "\($0.action) \($0.bot) \($0.reason)" } == ["rotate support policy gold-tier: 10d old, every 1w"])
        }
    }

    @Test func recipientsThatWouldExposeOrBreakSealingAreRejectedAtValidation() throws {
        try withGitFixture { repo in
            let good = KeyIdentity.generate().publicKeyBase64
            let zero = Data(repeating: 0, count: 32).base64EncodedString()
            try repo.commit(["bots/a.yaml": Self.bot("a", keys: "\n    recipients: [\"\(zero)\", \"\(good)\", \"\(good)\"]")])
            let messages = try repo.load().diagnostics.map(\.message)
            #expect(messages == [
                "spec.apiKeys.recipients[0] is a low-order X25519 point, to which a sealed key would be readable by anyone; recipients are base64 X25519 public keys (nectar keys identity new)",
                "spec.apiKeys.recipients[2] repeats an earlier recipient",
            ])
        }
    }
}
