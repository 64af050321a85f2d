import Foundation

extension LiveState {
    /// The live state after `changes` were applied at `date` and left the
    /// store at `stateVersion`: what a long-running reconciler keeps instead
    /// of reading every object back after its own apply. It mirrors
    /// `RuntimeStore.apply` for every field planning reads.
    public func applying(_ changes: ChangeSet, at date: Date, stateVersion: Int64) -> LiveState {
        var state = self
        func put(_ write: ObjectWrite, created: Bool) {
            var object = state.objects[write.kind]?[write.name] ?? LiveObject(
                kind: write.kind, name: write.name, specHash: write.specHash, sourcePath: write.sourcePath,
                blobID: write.blobID, revision: changes.revision, createdAt: date, updatedAt: date)
            object.specHash = write.specHash
            object.sourcePath = write.sourcePath
            object.blobID = write.blobID
            if created {
                object.revision = changes.revision
                object.updatedAt = date
                object.deletedAt = nil
            }
            state.objects[write.kind, default: [:]][write.name] = object
        }
        for write in changes.creates { put(write, created: true) }
        for write in changes.updates { put(write, created: true) }
        for write in changes.relocations { put(write, created: false) }
        for (kind, name) in changes.deletes where state.objects[kind]?[name]?.deletedAt == nil {
            state.objects[kind]?[name]?.deletedAt = date
            state.objects[kind]?[name]?.updatedAt = date
            if kind == .honeyJar { state.documents[name] = nil }
        }
        for removal in changes.documentRemovals { state.documents[removal.jar]?[removal.path] = nil }
        for document in changes.documentWrites { state.documents[document.jar, default: [:]][document.path] = document.blobID }
        for write in changes.creates {
            // A create is new or restores a deleted object: one more active.
            if self.objects[write.kind]?[write.name].map({ !$0.isDeleted }) != true { state.activeCounts[write.kind, default: 0] += 1 }
        }
        for (kind, name) in changes.deletes where self.objects[kind]?[name].map({ !$0.isDeleted }) == true {
            state.activeCounts[kind, default: 0] -= 1
        }
        state.appliedRevision = changes.revision
        state.stateVersion = stateVersion
        state.appliedStateVersion = stateVersion
        return state
    }

    /// Recomputes `activeCounts` from `objects`.
    public mutating func recountActive() {
        activeCounts = objects.mapValues { byName in byName.values.reduce(0) { $0 + ($1.isDeleted ? 0 : 1) } }
    }
}
