import BotRuntime
import Foundation
@testable import Reconciler
import Testing

/// `docs/nectar.schema.json` agrees with the decoder, and the repository's
/// example declarations satisfy it.
@Suite struct SchemaTests {
    static func loadSchema() throws -> JSONSchemaValidator {
        let data = try Data(contentsOf: PackagePaths.file("docs/nectar.schema.json"))
        return JSONSchemaValidator(root: try JSONDecoder().decode(SchemaValue.self, from: data))
    }

    /// The schema object for a decoder object path such as `Bot.spec.handoff.sla`:
    /// the kind's definition, then `properties` member by member, following `$ref`s.
    static func schemaObject(_ path: String, in schema: JSONSchemaValidator) throws -> SchemaValue {
        let components = path.split(separator: ".").map(String.init)
        var current = schema.resolved(try #require(schema.definition(components[0]), "no $defs/\(components[0])"))
        for component in components.dropFirst() {
            let property = try #require(current["properties"]?[component], "\(path): no property \(component)")
            current = schema.resolved(property)
        }
        return current
    }

    @Test func schemaParsesWithDistinctIntegersAndBooleans() throws {
        let schema = try Self.loadSchema()
        #expect(schema.root["$defs"]?["RateLimits"]?["properties"]?["perHour"]?["minimum"] == .integer(0))
        #expect(schema.root["$defs"]?["Handoff"]?["properties"]?["enabled"]?["default"] == .bool(true))
        #expect(schema.root["$defs"]?["BotSpec"]?["additionalProperties"] == .bool(false))
    }

    @Test(arguments: DeclarationSchema.objects.keys.sorted())
    func schemaAndDecoderAgreeOnFieldNames(objectPath: String) throws {
        let schema = try Self.loadSchema()
        let object = try Self.schemaObject(objectPath, in: schema)
        // Only the object's own `properties`: `Model`'s oneOf branches repeat
        // `provider` and are not a second list of fields.
        let schemaFields = Set(try #require(object["properties"]?.objectValue, "\(objectPath) has no properties").keys)
        let decoderFields = Set(try #require(DeclarationSchema.objects[objectPath]))
        #expect(schemaFields.subtracting(decoderFields).sorted() == [], "in the schema only")
        #expect(decoderFields.subtracting(schemaFields).sorted() == [], "in the decoder only")
        #expect(object["additionalProperties"] == .bool(false), "\(objectPath) must reject unknown fields like the decoder")
    }

    @Test func everyObjectWithFieldsInTheSchemaIsKnownToTheDecoder() throws {
        let schema = try Self.loadSchema()
        var found: [String] = []
        func walk(_ object: SchemaValue, _ path: String) {
            guard let properties = object["properties"]?.objectValue else { return }
            found.append(path)
            for (name, property) in properties {
                walk(schema.resolved(property), "\(path).\(name)")
            }
        }
        for kind in DeclarationSchema.Kind.allCases {
            walk(schema.resolved(try #require(schema.definition(kind.rawValue))), kind.rawValue)
        }
        #expect(found.sorted() == DeclarationSchema.objects.keys.sorted())
    }

    @Test func schemaListsExactlyTheFourKinds() throws {
        let schema = try Self.loadSchema()
        guard case .array(let branches)? = schema.root["oneOf"] else {
            Issue.record("the schema root has no oneOf")
            return
        }
        let kinds = branches.compactMap { $0["$ref"]?.stringValue }
        #expect(kinds == DeclarationSchema.Kind.allCases.map { "#/$defs/\($0.rawValue)" })
        for kind in DeclarationSchema.Kind.allCases {
            #expect(schema.definition(kind.rawValue)?["properties"]?["kind"]?["const"] == .string(kind.rawValue))
            #expect(schema.definition(kind.rawValue)?["properties"]?["apiVersion"]?["const"] == .string(DeclarationSchema.apiVersion))
        }
    }

    static func exampleFiles() throws -> [URL] {
        let directory = PackagePaths.file("bots")
        return try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { RevisionLoader.isDeclarationFile($0.path) }
            .sorted { $0.path < $1.path }
    }

    @Test func everyExampleDocumentSatisfiesTheSchema() throws {
        let schema = try Self.loadSchema()
        let files = try Self.exampleFiles()
        #expect(files.count >= 4, "the repository's bots/ examples are missing")
        var documents = 0
        var kinds: Set<String> = []
        for file in files {
            for (index, document) in try YAMLToJSON.documents([UInt8](try Data(contentsOf: file))).enumerated() {
                documents += 1
                let kind = try #require(document["kind"]?.stringValue)
                kinds.insert(kind)
                let name = "\(file.lastPathComponent) document \(index + 1)"
                let definition: SchemaValue = try #require(schema.definition(kind))
                #expect(schema.errors(document) == [], "\(name)")
                #expect(schema.errors(document, against: definition) == [], "\(name)")
            }
        }
        #expect(documents >= 6)
        #expect(kinds == Set(DeclarationSchema.Kind.allCases.map(\.rawValue)))
    }

    @Test func exampleDeclarationsAreValidForTheDecoderToo() throws {
        let loaded = try RevisionLoader().load(WorkTreeFiles(root: PackagePaths.root.path))
        #expect(loaded.diagnostics.map(\.description) == [])
        #expect(loaded.state.bots.contains { $0.spec.visibility == .public })
        #expect(loaded.state.honeyJars.allSatisfy { !(loaded.state.knowledge[$0.spec.name] ?? []).isEmpty })
    }

    @Test func theDesignExampleSatisfiesTheSchema() throws {
        let schema = try Self.loadSchema()
        let documents = try YAMLToJSON.documents(Array(Snippet.designExample.utf8))
        #expect(documents.count == 4)
        for document in documents {
            #expect(schema.errors(document) == [])
        }
    }

    @Test func yamlScalarsResolveByTheCoreSchema() {
        #expect(YAMLToJSON.resolvePlain("") == .null)
        #expect(YAMLToJSON.resolvePlain("~") == .null)
        #expect(YAMLToJSON.resolvePlain("True") == .bool(true))
        #expect(YAMLToJSON.resolvePlain("yes") == .string("yes"))
        #expect(YAMLToJSON.resolvePlain("-12") == .integer(-12))
        #expect(YAMLToJSON.resolvePlain("0x1F") == .integer(31))
        #expect(YAMLToJSON.resolvePlain("0.7") == .number(0.7))
        #expect(YAMLToJSON.resolvePlain("1e3") == .number(1000))
        #expect(YAMLToJSON.resolvePlain("30d") == .string("30d"))
        #expect(YAMLToJSON.resolvePlain("nectar/v1") == .string("nectar/v1"))
    }

    /// Documents the validator must reject, with the violation it must name.
    static let invalidDocuments: [(String, String, String)] = [
        ("unknown field", Snippet.bot("support", spec: "{rateLimit: {perHour: 1}}"),
         "$.spec: property rateLimit is not allowed"),
        ("wrong type", Snippet.bot("support", spec: "{maxConversationLength: abc}"),
         "$.spec.maxConversationLength: expected integer, found \"abc\""),
        ("out of range", Snippet.bot("support", spec: "{confidenceThreshold: 1.5}"),
         "$.spec.confidenceThreshold: 1.5 is above the maximum 1.0"),
        ("enum", Snippet.bot("support", spec: "{visibility: secret}"),
         "$.spec.visibility: \"secret\" is not one of [\"private\", \"public\"]"),
        ("name pattern", Snippet.bot("Support_Bot"),
         "$.metadata.name: \"Support_Bot\" does not match ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"),
        ("missing required", "apiVersion: nectar/v1\nkind: HoneyJar\nmetadata: {name: faq}\nspec: {}\n",
         "$.spec: missing required property sources"),
        ("empty list", Snippet.honeyJar("faq", sources: "[]"),
         "$.spec.sources: 0 items, fewer than 1"),
        ("openai without endpoint", Snippet.bot("support", spec: "{model: {provider: openai}}"),
         "$.spec.model: matches 0 of the 2 oneOf branches, not exactly one"),
        ("knowledge with endpoint", Snippet.bot("support", spec: "{model: {provider: knowledge, endpoint: x}}"),
         "$.spec.model: matches 0 of the 2 oneOf branches, not exactly one"),
        ("wrong apiVersion", "apiVersion: nectar/v2\nkind: Operator\nmetadata: {name: a}\nspec: {email: a@example.com}\n",
         "$.apiVersion: expected \"nectar/v1\", found \"nectar/v2\""),
        ("recipient not a key", Snippet.bot("support", spec: "{apiKeys: {recipients: [aGVsbG8=]}}"),
         "$.spec.apiKeys.recipients[0]: \"aGVsbG8=\" does not match ^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$"),
        ("label value too long", Snippet.bot("support", labels: "{tier: \(String(repeating: "g", count: 64))}"),
         "$.metadata.labels.tier: \"\(String(repeating: "g", count: 64))\" is longer than 63"),
    ]

    @Test(arguments: invalidDocuments)
    func validatorRejectsInvalidDocuments(rule: String, yaml: String, violation: String) throws {
        let schema = try Self.loadSchema()
        let document = try #require(try YAMLToJSON.documents(Array(yaml.utf8)).first)
        let kind = try #require(document["kind"]?.stringValue)
        let definition: SchemaValue = try #require(schema.definition(kind))
        let errors = schema.errors(document, against: definition)
        #expect(errors.contains(violation), "\(errors)")
        // Against the whole schema the document matches none of the four kinds.
        #expect(schema.errors(document) != [])
    }

    @Test func validatorRefusesKeywordsItDoesNotImplement() {
        let validator = JSONSchemaValidator(root: .object(["anyOf": .array([]), "type": .string("object")]))
        #expect(validator.errors(.object([:])) == ["$: unsupported schema keyword anyOf"])
    }
}
