import BotRuntime
import Foundation

/// Turns a plan into the store writes and audit entries that carry it out.
struct ChangeSetBuilder {
    let repository: GitRepository
    let commit: CommitInfo
    let at: Date
    /// The largest knowledge file indexed.
    static let maxDocumentBytes = 4 << 20

    func changes(for plan: ReconcilePlan, encoded: EncodedState) throws -> ChangeSet {
        var changes = ChangeSet(revision: commit.id.hex)
        var changed: [ObjectKind: Set<String>] = [:]
        for change in plan.changes { changed[change.kind, default: []].insert(change.name) }
        var index: [ObjectKind: [String: EncodedState.Object]] = [:]
        for object in encoded.objects where changed[object.kind]?.contains(object.name) == true {
            index[object.kind, default: [:]][object.name] = object
        }
        let actor = "git:\(commit.id.short)"
        for change in plan.changes {
            let object = index[change.kind]?[change.name]
            let write = object.map {
                ObjectWrite(kind: $0.kind, name: $0.name, specJSON: $0.specJSON, specHash: $0.specHash,
                            sourcePath: $0.sourcePath, blobID: $0.blobID)
            }
            switch change.action {
            case .create, .restore: write.map { changes.creates.append($0) }
            case .update: write.map { changes.updates.append($0) }
            case .move: write.map { changes.relocations.append($0) }
            case .delete: changes.deletes.append((change.kind, change.name))
            }
            var details: [String: JSONValue] = ["source": .string(change.source)]
            if let object { details["specHash"] = .string(object.specHash) }
            if !change.fields.isEmpty {
                details["fields"] = .array(change.fields.map {
                    .object(["path": .string($0.path), "from": $0.from ?? .null, "to": $0.to ?? .null])
                })
            }
            changes.audit.append(AuditEntry(at: at, actor: actor, action: change.action.rawValue,
                                            objectKind: change.kind.rawValue, objectName: change.name,
                                            changes: String(decoding: JSONValue.object(details).canonicalJSON, as: UTF8.self)))
        }
        // Not a change the plan lists, but kept current: same spec and file, new blob.
        var refreshed: [ObjectKind: Set<String>] = [:]
        for (kind, names) in plan.refreshedBlobs { refreshed[kind] = Set(names) }
        if !refreshed.isEmpty {
            for object in encoded.objects where refreshed[object.kind]?.contains(object.name) == true {
                changes.relocations.append(ObjectWrite(kind: object.kind, name: object.name, specJSON: object.specJSON,
                                                       specHash: object.specHash, sourcePath: object.sourcePath, blobID: object.blobID))
            }
        }
        for document in plan.documents {
            var details: [String: JSONValue] = ["path": .string(document.path)]
            if let blob = document.blobID { details["blobID"] = .string(blob) }
            changes.audit.append(AuditEntry(at: at, actor: actor, action: "document-\(document.action.rawValue)",
                                            objectKind: ObjectKind.honeyJar.rawValue, objectName: document.jar,
                                            changes: String(decoding: JSONValue.object(details).canonicalJSON, as: UTF8.self)))
            switch document.action {
            case .remove:
                changes.documentRemovals.append((document.jar, document.path))
            case .add, .change:
                guard let hex = document.blobID, let id = ObjectID(hex: hex) else { continue }
                let bytes: [UInt8]
                switch try repository.readBlob(id, maxBytes: Self.maxDocumentBytes) {
                case .bytes(let content): bytes = content
                case .tooLarge(let size):
                    throw ApplyError(description: "knowledge file \(document.path) is \(size) bytes, larger than the limit of \(Self.maxDocumentBytes) bytes")
                }
                let (title, body) = KnowledgeText.document(path: document.path, bytes: bytes)
                changes.documentWrites.append(DocumentWrite(jar: document.jar, path: document.path, blobID: hex, title: title, body: body))
            }
        }
        return changes
    }
}
