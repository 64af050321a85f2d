import BotRuntime
import Foundation
@testable import Reconciler
import Testing

/// Untrusted declarations: each hostile file yields exactly one clear
/// diagnostic and the load returns (which is what bounds it; there is no timing here).
@Suite struct HostileInputTests {
    /// Loads `bots/<name>` holding `bytes`, next to a valid bot, and returns
    /// the diagnostics; the valid bot must still load.
    func diagnosticsOfHostileFile(_ name: String, _ bytes: [UInt8]) throws -> [String] {
        try withGitFixture { repo in
            try repo.commitBytes(["bots/\(name)": bytes, "bots/fine.yaml": Array(Snippet.bot("fine").utf8)])
            let loaded = try repo.load()
            #expect(loaded.state.bots.map(\.spec.name) == ["fine"])
            return loaded.diagnostics.map(\.description)
        }
    }

    @Test func fileOverOneMebibyteIsRejectedUnread() throws {
        let bytes = Array("# ".utf8) + [UInt8](repeating: UInt8(ascii: "x"), count: (1 << 20) - 1)
        #expect(bytes.count == 1_048_577)
        #expect(try diagnosticsOfHostileFile("big.yaml", bytes) == [
            "bots/big.yaml:1:1: the file is 1048577 bytes, larger than the limit of 1048576 bytes",
        ])
    }

    @Test func fileOfExactlyOneMebibyteIsAccepted() throws {
        let bytes = Array("# ".utf8) + [UInt8](repeating: UInt8(ascii: "x"), count: (1 << 20) - 3) + [10]
        #expect(bytes.count == 1 << 20)
        #expect(try diagnosticsOfHostileFile("big.yaml", bytes) == [])
    }

    @Test func fileOverTheLimitInTheWorkTreeIsRejectedToo() throws {
        try withTemporaryDirectory { root in
            try writeFile(root: root, "bots/big.yaml", [UInt8](repeating: UInt8(ascii: "#"), count: 2 << 20))
            let loaded = try RevisionLoader().load(WorkTreeFiles(root: root))
            #expect(loaded.diagnostics.map(\.description) == [
                "bots/big.yaml:1:1: the file is 2097152 bytes, larger than the limit of 1048576 bytes",
            ])
        }
    }

    @Test func smallerConfiguredSizeLimitApplies() throws {
        try withGitFixture { repo in
            try repo.commit(["bots/a.yaml": Snippet.bot("support")])
            var limits = YAMLLimits()
            limits.maxBytes = 40
            let loaded = try repo.load(limits: limits)
            let size = Snippet.bot("support").utf8.count
            #expect(loaded.diagnostics.map(\.description) == [
                "bots/a.yaml:1:1: the file is \(size) bytes, larger than the limit of 40 bytes",
            ])
        }
    }

    /// "Billion laughs": ten levels of nine aliases each would expand to 10^9 nodes.
    static let billionLaughs: String = {
        var lines = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
        let names = Array("abcdefghij").map(String.init)
        for level in 1..<names.count {
            let previous = "*" + names[level - 1]
            lines.append("\(names[level]): &\(names[level]) [" + Array(repeating: previous, count: 9).joined(separator: ", ") + "]")
        }
        return lines.joined(separator: "\n") + "\n"
    }()

    @Test func aliasBombIsStoppedAtTheMillionthNode() throws {
        // a=10 nodes, b=91, c=820, d=7381, e=66430, f=597871, g=5380840: line 7 crosses the limit.
        #expect(try diagnosticsOfHostileFile("bomb.yaml", Array(Self.billionLaughs.utf8)) == [
            "bots/bomb.yaml:7:4: aliases expand this document to more than 1000000 nodes",
        ])
    }

    @Test func aliasBombInsideADeclarationIsStoppedToo() throws {
        // k0=17 nodes, k1=273, k2=4369, k3=69905, k4=1118481: line 11 crosses the limit.
        let yaml = """
            apiVersion: nectar/v1
            kind: Bot
            metadata: {name: bomb}
            spec:
              handoff:
                keywords: &k0 [a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a]
                urgency:
                  low: &k1 [*k0, *k0, *k0, *k0, *k0, *k0, *k0, *k0, *k0, *k0, *k0, *k0, *k0, *k0, *k0, *k0]
                  high: &k2 [*k1, *k1, *k1, *k1, *k1, *k1, *k1, *k1, *k1, *k1, *k1, *k1, *k1, *k1, *k1, *k1]
                  medium: &k3 [*k2, *k2, *k2, *k2, *k2, *k2, *k2, *k2, *k2, *k2, *k2, *k2, *k2, *k2, *k2, *k2]
                  critical: &k4 [*k3, *k3, *k3, *k3, *k3, *k3, *k3, *k3, *k3, *k3, *k3, *k3, *k3, *k3, *k3, *k3]
                  extra: &k5 [*k4, *k4, *k4, *k4, *k4, *k4, *k4, *k4, *k4, *k4, *k4, *k4, *k4, *k4, *k4, *k4]
            """
        #expect(try diagnosticsOfHostileFile("bomb.yaml", Array(yaml.utf8)) == [
            "bots/bomb.yaml:11:17: aliases expand this document to more than 1000000 nodes",
        ])
    }

    @Test func aliasToAnUndefinedAnchorIsAnError() throws {
        #expect(try diagnosticsOfHostileFile("alias.yaml", Array("a: *nowhere\n".utf8)) == [
            "bots/alias.yaml:1:4: alias *nowhere refers to no anchor",
        ])
    }

    @Test func selfReferencingAnchorCannotFormACycle() throws {
        #expect(try diagnosticsOfHostileFile("cycle.yaml", Array("a: &x [1, *x]\n".utf8)) == [
            "bots/cycle.yaml:1:11: alias *x refers to no anchor",
        ])
    }

    @Test(arguments: [
        ("ten thousand [", String(repeating: "[", count: 10_000) + "\n", "bots/deep.yaml:1:65: collections are nested more than 64 levels deep"),
        ("ten thousand {a:", String(repeating: "{a: ", count: 10_000) + "\n", "bots/deep.yaml:1:257: collections are nested more than 64 levels deep"),
        ("ten thousand block sequences", String(repeating: "- ", count: 10_000) + "x\n", "bots/deep.yaml:1:129: collections are nested more than 64 levels deep"),
    ])
    func deepNestingIsRejectedAtTheSixtyFifthLevel(shape: String, yaml: String, expected: String) throws {
        #expect(try diagnosticsOfHostileFile("deep.yaml", Array(yaml.utf8)) == [expected])
    }

    @Test func sixtyFourLevelsParseAndSixtyFiveDoNot() throws {
        let parser = YAMLParser()
        let ok = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(try parser.parse(Array(ok.utf8)).count == 1)
        let deep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        let error = #expect(throws: YAMLError.self) { try parser.parse(Array(deep.utf8)) }
        #expect(error?.message == "collections are nested more than 64 levels deep")
        #expect(error?.position == SourcePosition(line: 1, column: 65))
    }

    /// Explicitly typed: as one literal inside `@Test`, this list can exceed
    /// the type checker's time limit on a loaded machine.
    static let notUTF8: [(String, [UInt8], String)] = [
        ("lone 0xFF", [UInt8]("a: b".utf8) + [0xFF, 10], "bots/bin.yaml:1:5: the file is not valid UTF-8 (byte 0xFF at offset 4)"),
        ("stray continuation byte", [UInt8]("a: ".utf8) + [0x80, 10], "bots/bin.yaml:1:4: the file is not valid UTF-8 (byte 0x80 at offset 3)"),
        ("overlong NUL", [UInt8]("a: ".utf8) + [0xC0, 0x80, 10], "bots/bin.yaml:1:4: the file is not valid UTF-8 (byte 0xC0 at offset 3)"),
        ("UTF-16 surrogate after é", [UInt8]("# ok\nname: é".utf8) + [0xED, 0xA0, 0x80, 10], "bots/bin.yaml:2:8: the file is not valid UTF-8 (byte 0xED at offset 13)"),
        ("truncated sequence at the end", [UInt8]("a: b".utf8) + [0xE2, 0x82], "bots/bin.yaml:1:5: the file is not valid UTF-8 (byte 0xE2 at offset 4)"),
        ("Latin-1 in a comment", [UInt8]("# caf".utf8) + [0xE9, 10] + [UInt8]("apiVersion: nectar/v1\n".utf8), "bots/bin.yaml:1:6: the file is not valid UTF-8 (byte 0xE9 at offset 5)"),
        ("UTF-16 with a byte-order mark", [0xFF, 0xFE, 0x61, 0x00, 0x3A, 0x00], "bots/bin.yaml:1:1: the file is UTF-16; declarations must be UTF-8"),
    ]

    @Test(arguments: notUTF8)
    func bytesThatAreNotUTF8AreRejectedWithTheirPosition(kind: String, bytes: [UInt8], expected: String) throws {
        #expect(try diagnosticsOfHostileFile("bin.yaml", bytes) == [expected])
    }

    @Test func aUTF8ByteOrderMarkIsAccepted() throws {
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array(Snippet.operator("alice").utf8)
        #expect(try diagnosticsOfHostileFile("bom.yaml", bytes) == [])
    }

    static let controlCharacters: [(String, [UInt8], String)] = [
        ("NUL byte", [UInt8]("apiVersion: nectar/v1\nkind: Bot".utf8) + [0, 10], "bots/ctl.yaml:2:10: the file holds a character YAML does not allow (control characters are not allowed)"),
        ("BEL byte", [UInt8]("a: ".utf8) + [7, 10], "bots/ctl.yaml:1:4: the file holds a character YAML does not allow (control characters are not allowed)"),
    ]

    @Test(arguments: controlCharacters)
    func controlCharactersAreRejectedWithTheirPosition(kind: String, bytes: [UInt8], expected: String) throws {
        #expect(try diagnosticsOfHostileFile("ctl.yaml", bytes) == [expected])
    }

    @Test(arguments: [
        ("!!python/object", "a: !!python/object:os.system x\n",
         "bots/tag.yaml:1:4: the tag !!python/object:os.system asks for a custom type; declarations allow only the YAML core tags"),
        ("!!python/object/apply on the root", "!!python/object/apply:os.system [\"rm -rf /\"]\n",
         "bots/tag.yaml:1:1: the tag !!python/object/apply:os.system asks for a custom type; declarations allow only the YAML core tags"),
        ("local tag", "a: !foo x\n",
         "bots/tag.yaml:1:4: the tag !foo asks for a custom type; declarations allow only the YAML core tags"),
        ("local tag on a mapping", "--- !foo\na: 1\n",
         "bots/tag.yaml:1:5: the tag !foo asks for a custom type; declarations allow only the YAML core tags"),
        ("verbatim tag", "a: !<tag:example.com,2000:app/foo> x\n",
         "bots/tag.yaml:1:4: the tag tag:example.com,2000:app/foo asks for a custom type; declarations allow only the YAML core tags"),
        ("YAML 1.1 set", "a: !!set {x}\n",
         "bots/tag.yaml:1:4: the tag !!set asks for a custom type; declarations allow only the YAML core tags"),
    ])
    func customTagsNeverConstructAnything(kind: String, yaml: String, expected: String) throws {
        #expect(try diagnosticsOfHostileFile("tag.yaml", Array(yaml.utf8)) == [expected])
    }

    @Test func severalHostileFilesInOneRevisionAreEachReportedOnce() throws {
        try withGitFixture { repo in
            try repo.commitBytes([
                "bots/bomb.yaml": Array(Self.billionLaughs.utf8),
                "bots/deep.yaml": Array(String(repeating: "[", count: 10_000).utf8),
                "bots/bin.yaml": [0x61, 0x3A, 0x20, 0xFF],
                "bots/tag.yaml": Array("a: !foo x\n".utf8),
                "bots/big.yaml": [UInt8](repeating: 0x23, count: (1 << 20) + 1),
                "bots/fine.yaml": Array(Snippet.bot("fine").utf8),
            ])
            let loaded = try repo.load()
            #expect(loaded.diagnostics.map(\.path) == ["bots/big.yaml", "bots/bin.yaml", "bots/bomb.yaml", "bots/deep.yaml", "bots/tag.yaml"])
            #expect(loaded.state.bots.map(\.spec.name) == ["fine"])
        }
    }

    /// Duplicate keys in a huge mapping are found by a hash index, with the
    /// line of the first occurrence (the scan was quadratic: 4.9 s at 40,000).
    @Test func aDuplicateKeyInAFortyThousandKeyMappingIsReportedWithItsFirstLine() throws {
        var yaml = "apiVersion: nectar/v1\nkind: Bot\nmetadata:\n  name: big\n  labels:\n"
        for index in 0..<40_000 { yaml += "    k\(index): v\n" }
        yaml += "    k7: again\n    k39999: again\n"
        yaml += "spec: {}\n"
        let diagnostics = try diagnosticsOfHostileFile("bots/big.yaml", Array(yaml.utf8))
        #expect(diagnostics.contains { $0.contains("duplicate key \"k7\"") && $0.contains("first at line 13)") }, "\(diagnostics.prefix(3))")
        #expect(diagnostics.contains { $0.contains("duplicate key \"k39999\"") && $0.contains("first at line 40005)") })
    }
}
