import Foundation

extension LiveState {
    /// The live state after `changes` were applied at `date` and left the
    /// store at `stateVersion`: what a long-running reconciler keeps instead
    /// of reading every object back after its own apply. It mirrors
    /// `RuntimeStore.apply` for every field planning reads.
    public func applying(_ changes: ChangeSet, at date: Date, stateVersion: Int64) -> LiveState {
        var state = self
        state.apply(changes, at: date, stateVersion: stateVersion)
        return state
    }

    /// Applies `changes` in place: when this value is the only owner of its
    /// tables, nothing is copied, so the cost follows the change, not the state.
    public mutating func apply(_ changes: ChangeSet, at date: Date, stateVersion: Int64) {
        // Active counts first, from the state before the change.
        for write in changes.creates where objects[write.kind]?[write.name].map({ !$0.isDeleted }) != true {
            activeCounts[write.kind, default: 0] += 1  // new, or restored after a deletion
        }
        for (kind, name) in changes.deletes where objects[kind]?[name].map({ !$0.isDeleted }) == true {
            activeCounts[kind, default: 0] -= 1
        }
        for write in changes.creates { put(write, revision: changes.revision, at: date, changesSpec: true) }
        for write in changes.updates { put(write, revision: changes.revision, at: date, changesSpec: true) }
        for write in changes.relocations { put(write, revision: changes.revision, at: date, changesSpec: false) }
        for (kind, name) in changes.deletes where objects[kind]?[name]?.deletedAt == nil {
            objects[kind]?[name]?.deletedAt = date
            objects[kind]?[name]?.updatedAt = date
            if kind == .honeyJar { documents[name] = nil }
        }
        for removal in changes.documentRemovals { documents[removal.jar]?[removal.path] = nil }
        for document in changes.documentWrites { documents[document.jar, default: [:]][document.path] = document.blobID }
        for transition in changes.keyTransitions {
            let candidates = transition.bot.map { [$0] } ?? Array(keys.keys)
            for bot in candidates {
                guard let keys = keys[bot] else { continue }
                guard let index = keys.firstIndex(where: { $0.id == transition.keyID }) else { continue }
                if transition.state == .revoked {
                    self.keys[bot]?.remove(at: index)
                } else {
                    self.keys[bot]?[index].state = transition.state
                    self.keys[bot]?[index].expiresAt = transition.expiresAt
                    self.keys[bot]?[index].rotatedAt = transition.at
                }
                break
            }
        }
        for issued in changes.keyIssues { keys[issued.key.bot, default: []].append(issued.key) }
        appliedRevision = changes.revision
        self.stateVersion = stateVersion
        appliedStateVersion = stateVersion
    }

    private mutating func put(_ write: ObjectWrite, revision: String, at date: Date, changesSpec: Bool) {
        var object = objects[write.kind]?[write.name] ?? LiveObject(
            kind: write.kind, name: write.name, specHash: write.specHash, sourcePath: write.sourcePath,
            blobID: write.blobID, revision: revision, createdAt: date, updatedAt: date)
        object.specHash = write.specHash
        object.sourcePath = write.sourcePath
        object.blobID = write.blobID
        if changesSpec {
            object.revision = revision
            object.updatedAt = date
            object.deletedAt = nil
        }
        objects[write.kind, default: [:]][write.name] = object
    }

    /// Recomputes `activeCounts` from `objects`.
    public mutating func recountActive() {
        activeCounts = objects.mapValues { byName in byName.values.reduce(0) { $0 + ($1.isDeleted ? 0 : 1) } }
    }
}
