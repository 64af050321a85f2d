import BotRuntime
import Foundation
import Reconciler
import Testing

/// Rules that span documents and files of one revision.
@Suite struct CrossReferenceTests {
    static let knowledge = ["knowledge/faq.md": "# FAQ\n"]

    @Test func nameDeclaredTwiceNamesBothPlaces() throws {
        let files = Self.knowledge.merging([
            "bots/a.yaml": Snippet.bot("support"),
            "bots/b.yaml": "# second copy\n" + Snippet.bot("support"),
        ]) { $1 }
        let result = try committedDiagnostics(files)
        #expect(result.lines == [
            "bots/b.yaml:4:18: Bot \"support\" is declared twice: here and at bots/a.yaml:3:18",
        ])
    }

    @Test func nameDeclaredTwiceInOneFileNamesTheEarlierDocument() throws {
        let yaml = Snippet.documents(Snippet.operator("alice"), Snippet.operator("alice", role: "admin"))
        #expect(try diagnostics(of: yaml) == [
            "bots/a.yaml:8:18: Operator \"alice\" is declared twice: here and at bots/a.yaml:3:18",
        ])
    }

    @Test func kindsHaveSeparateNamespaces() throws {
        let yaml = Snippet.documents(
            Snippet.bot("faq", spec: "{honeyJars: [faq]}"),
            Snippet.honeyJar("faq"),
            Snippet.operator("faq"),
            Snippet.policy("faq", selector: "{}"))
        #expect(try diagnostics(of: yaml, extraFiles: Self.knowledge) == [])
    }

    @Test func undeclaredHoneyJarSuggestsTheClosestDeclaredOne() throws {
        let yaml = Snippet.documents(
            Snippet.bot("support", spec: "{honeyJars: [shop-fq]}"),
            Snippet.honeyJar("shop-faq"))
        #expect(try diagnostics(of: yaml, extraFiles: Self.knowledge) == [
            "bots/a.yaml:4:20: bot \"support\" uses honey jar \"shop-fq\", which is not declared; did you mean \"shop-faq\"?",
        ])
    }

    @Test func undeclaredHoneyJarWithoutACloseOne() throws {
        let yaml = Snippet.bot("support", spec: "{honeyJars: [recipes]}")
        #expect(try diagnostics(of: yaml) == [
            "bots/a.yaml:4:20: bot \"support\" uses honey jar \"recipes\", which is not declared",
        ])
    }

    @Test func honeyJarDeclaredInAnotherFileSatisfiesTheReference() throws {
        let files = Self.knowledge.merging([
            "bots/bots.yaml": Snippet.bot("support", spec: "{honeyJars: [shop-faq]}"),
            "bots/jars/shop.yml": Snippet.honeyJar("shop-faq"),
        ]) { $1 }
        #expect(try committedDiagnostics(files).lines == [])
    }

    @Test func botSelectedEquallyByTwoPoliciesNamesBoth() throws {
        let yaml = Snippet.documents(
            Snippet.bot("support", labels: "{tier: gold, region: eu}"),
            Snippet.policy("by-tier", selector: "{tier: gold}"),
            Snippet.policy("by-region", selector: "{region: eu}"))
        #expect(try diagnostics(of: yaml) == [
            "bots/a.yaml:3:18: bot \"support\" is selected equally by key rotation policies \"by-region\" (bots/a.yaml:13:18) and \"by-tier\" (bots/a.yaml:8:18); make one selector more specific",
        ])
    }

    @Test func moreSpecificPolicyBreaksTheTie() throws {
        let yaml = Snippet.documents(
            Snippet.bot("support", labels: "{tier: gold, region: eu}"),
            Snippet.policy("by-tier", selector: "{tier: gold}"),
            Snippet.policy("by-region", selector: "{region: eu}"),
            Snippet.policy("gold-eu", selector: "{tier: gold, region: eu}"))
        #expect(try diagnostics(of: yaml) == [])
    }

    @Test func policyGracePeriodMustBeShorterThanTheBotsOwnInterval() throws {
        let yaml = Snippet.documents(
            Snippet.bot("support", labels: "{tier: gold}", spec: "{apiKeys: {rotateEvery: 12h}}"),
            Snippet.policy("gold", selector: "{tier: gold}", extra: ", gracePeriod: 1d"))
        #expect(try diagnostics(of: yaml) == [
            "bots/a.yaml:4:31: bot \"support\": the gracePeriod of key rotation policy \"gold\" (1d) must be shorter than spec.apiKeys.rotateEvery (12h)",
        ])
    }

    @Test func botIntervalLongerThanThePolicysMaxKeyAge() throws {
        let yaml = Snippet.documents(
            Snippet.bot("support", labels: "{tier: gold}", spec: "{apiKeys: {rotateEvery: 60d}}"),
            Snippet.policy("gold", selector: "{tier: gold}", extra: ", maxKeyAge: 45d"))
        #expect(try diagnostics(of: yaml) == [
            "bots/a.yaml:4:31: bot \"support\" rotates every 60d, longer than maxKeyAge (45d) of key rotation policy \"gold\", so its keys would always be overdue",
        ])
    }

    @Test func sourcePatternMatchingNoFileNamesTheJarAndCommit() throws {
        let yaml = Snippet.honeyJar("shop-faq", sources: "[\"knowledge/**/*.md\", \"docs/*.md\"]")
        let result = try committedDiagnostics(["bots/a.yaml": yaml, "knowledge/a.md": "a"])
        #expect(result.lines == [
            "bots/a.yaml:4:39: source pattern \"docs/*.md\" of honey jar \"shop-faq\" matches no file at \(result.commit.id.short)",
        ])
    }

    @Test func errorsInSeveralFilesAreAllReported() throws {
        let files = [
            "bots/a.yaml": Snippet.bot("a", spec: "{visibility: secret}"),
            "bots/b.yaml": Snippet.bot("b", spec: "{honeyJars: [nope]}"),
            "bots/c/c.yml": Snippet.operator("c", role: "root"),
            "bots/d.yaml": "apiVersion: nectar/v1\nkind: [\n",
            "bots/e.yaml": Snippet.bot("fine"),
            "bots/fine.yaml": Snippet.bot("fine"),
        ]
        let lines = try committedDiagnostics(files).lines
        #expect(lines == [
            "bots/a.yaml:4:20: spec.visibility must be one of private, public, found \"secret\"",
            "bots/b.yaml:4:20: bot \"b\" uses honey jar \"nope\", which is not declared",
            "bots/c/c.yml:4:36: spec.role must be one of admin, agent, auditor, found \"root\"",
            "bots/d.yaml:3:1: invalid YAML: did not find expected node content while parsing a flow node at line 3",
            "bots/fine.yaml:3:18: Bot \"fine\" is declared twice: here and at bots/e.yaml:3:18",
        ])
    }
}
