import BotRuntime
import Foundation

/// One side of a comparison: a revision's declarations or the live state.
public struct PlanSide: Sendable {
    /// Objects by kind and name (live objects, or declarations shaped as such).
    public var objects: [ObjectKind: [String: LiveObject]] = [:]
    /// Knowledge documents: jar -> path -> blob id.
    public var documents: [String: [String: String]] = [:]
    /// The revision this side stands for.
    public var revision: String?
    /// Objects not deleted, by kind, when known.
    public var activeCounts: [ObjectKind: Int] = [:]

    /// The live state as a plan side (shares its storage).
    public init(live: LiveState) {
        objects = live.objects
        documents = live.documents
        revision = live.appliedRevision
        activeCounts = live.activeCounts
    }

    /// A revision's declarations as a plan side.
    public init(desired: EncodedState) {
        let revision = desired.state.revision?.id.hex ?? ""
        let epoch = Date(timeIntervalSince1970: 0)
        for object in desired.objects {
            objects[object.kind, default: [:]][object.name] = LiveObject(
                kind: object.kind, name: object.name, specHash: object.specHash, sourcePath: object.sourcePath,
                blobID: object.blobID, revision: revision, createdAt: epoch, updatedAt: epoch)
        }
        for (jar, documents) in desired.state.knowledge {
            self.documents[jar] = Dictionary(uniqueKeysWithValues: documents.map { ($0.path, $0.blobID.hex) })
        }
        self.revision = desired.state.revision?.id.hex
    }
}

/// A desired state with every object's canonical JSON and hash computed.
public struct EncodedState: Sendable {
    /// One encoded declaration.
    public typealias Object = EncodedObject

    /// The decoded state.
    public var state: DesiredState
    /// Every declaration, encoded, in apply order.
    public var objects: [Object]

    /// Collects the encoded form every declaration of a state already carries.
    public init(_ state: DesiredState) {
        self.state = state
        var objects: [EncodedObject] = []
        objects.reserveCapacity(state.bots.count + state.honeyJars.count + state.policies.count + state.operators.count)
        objects += state.honeyJars.lazy.map(\.encoded)
        objects += state.policies.lazy.map(\.encoded)
        objects += state.operators.lazy.map(\.encoded)
        objects += state.bots.lazy.map(\.encoded)
        self.objects = objects
    }

    /// The encoded object of a kind and name.
    public func object(_ kind: ObjectKind, _ name: String) -> Object? {
        objects.first { $0.kind == kind && $0.name == name }
    }
}
