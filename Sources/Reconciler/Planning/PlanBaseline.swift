/// One object on either side of a plan, reduced to what comparison needs.
public struct PlannedObject: Sendable, Hashable {
    public var specHash: String
    public var sourcePath: String
    public var blobID: String
    public var isDeleted: Bool
}

/// One side of a comparison: a revision's declarations or the live state.
public struct PlanSide: Sendable {
    /// Objects by kind and name.
    public var objects: [ObjectKind: [String: PlannedObject]] = [:]
    /// Knowledge documents: jar -> path -> blob id.
    public var documents: [String: [String: String]] = [:]
    /// The revision this side stands for.
    public var revision: String?

    /// The live state as a plan side.
    public init(live: LiveState) {
        for (kind, byName) in live.objects {
            objects[kind] = byName.mapValues {
                PlannedObject(specHash: $0.specHash, sourcePath: $0.sourcePath, blobID: $0.blobID, isDeleted: $0.isDeleted)
            }
        }
        documents = live.documents
        revision = live.appliedRevision
    }

    /// A revision's declarations as a plan side.
    public init(desired: EncodedState) {
        for object in desired.objects {
            objects[object.kind, default: [:]][object.name] = PlannedObject(
                specHash: object.specHash, sourcePath: object.sourcePath, blobID: object.blobID, isDeleted: false)
        }
        for (jar, documents) in desired.state.knowledge {
            self.documents[jar] = Dictionary(uniqueKeysWithValues: documents.map { ($0.path, $0.blobID.hex) })
        }
        revision = desired.state.revision?.id.hex
    }
}

/// A desired state with every object's canonical JSON and hash computed.
public struct EncodedState: Sendable {
    /// One encoded declaration.
    public struct Object: Sendable, Hashable {
        public var kind: ObjectKind
        public var name: String
        public var specJSON: String
        public var specHash: String
        public var sourcePath: String
        public var blobID: String
    }

    /// The decoded state.
    public var state: DesiredState
    /// Every declaration, encoded, in apply order.
    public var objects: [Object]

    /// Encodes every declaration of a state.
    public init(_ state: DesiredState) throws {
        self.state = state
        var objects: [Object] = []
        objects.reserveCapacity(state.bots.count + state.honeyJars.count + state.policies.count + state.operators.count)
        func add<Spec: Encodable>(_ kind: ObjectKind, _ items: [Declared<Spec>], _ name: (Spec) -> String) throws {
            for item in items {
                let (json, hash) = try CanonicalSpec.encode(item.spec)
                objects.append(Object(kind: kind, name: name(item.spec), specJSON: json, specHash: hash,
                                      sourcePath: item.origin.path, blobID: item.origin.blobID.hex))
            }
        }
        try add(.honeyJar, state.honeyJars, \.name)
        try add(.keyRotationPolicy, state.policies, \.name)
        try add(.operator, state.operators, \.name)
        try add(.bot, state.bots, \.name)
        self.objects = objects
    }

    /// The encoded object of a kind and name.
    public func object(_ kind: ObjectKind, _ name: String) -> Object? {
        objects.first { $0.kind == kind && $0.name == name }
    }
}
