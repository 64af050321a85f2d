import BotRuntime

/// Compares a desired side with a baseline and lists what applying would do.
///
/// Comparison is by canonical spec hash, so key order and formatting never
/// count as changes. Field-level differences are computed only for the
/// objects that changed, from their canonical JSON.
public struct Planner {
    /// Fetches the baseline's canonical JSON for changed objects, by kind and names.
    public typealias BaselineSpecs = (ObjectKind, [String]) throws -> [String: String]

    public init() {}

    public func plan(desired: EncodedState, baseline: PlanSide, baselineSpecs: BaselineSpecs) throws -> ReconcilePlan {
        var plan = ReconcilePlan(revision: desired.state.revision?.id.hex, baseRevision: baseline.revision)
        var needDiff: [ObjectKind: [String]] = [:]
        var changedJSON: [ObjectKind: [String: String]] = [:]
        var matched: [ObjectKind: Int] = [:]
        for object in desired.objects {
            guard let current = baseline.objects[object.kind]?[object.name] else {
                plan.changes.append(.init(kind: object.kind, name: object.name, action: .create, source: object.sourcePath, fields: []))
                continue
            }
            if !current.isDeleted { matched[object.kind, default: 0] += 1 }
            if current.isDeleted || current.specHash != object.specHash {
                plan.changes.append(.init(kind: object.kind, name: object.name, action: current.isDeleted ? .restore : .update,
                                          source: object.sourcePath, fields: []))
                if current.specHash != object.specHash {
                    needDiff[object.kind, default: []].append(object.name)
                    changedJSON[object.kind, default: [:]][object.name] = object.specJSON
                }
            } else if current.sourcePath != object.sourcePath {
                plan.changes.append(.init(kind: object.kind, name: object.name, action: .move, source: object.sourcePath,
                                          fields: [FieldChange(path: "source", from: .string(current.sourcePath), to: .string(object.sourcePath))]))
            } else {
                plan.unchanged[object.kind, default: 0] += 1  // same spec; maybe reformatted
                if current.blobID != object.blobID { plan.refreshedBlobs[object.kind, default: []].append(object.name) }
            }
        }
        for (kind, live) in baseline.objects {
            // Every live object was matched by a declaration: nothing to delete,
            // and no need to index the declared names.
            let liveCount = baseline.activeCounts[kind] ?? live.values.reduce(0) { $0 + ($1.isDeleted ? 0 : 1) }
            if liveCount == matched[kind, default: 0] { continue }
            let names = Set(desired.objects.lazy.filter { $0.kind == kind }.map(\.name))
            for (name, object) in live where !object.isDeleted && !names.contains(name) {
                plan.changes.append(.init(kind: kind, name: name, action: .delete, source: object.sourcePath, fields: []))
            }
        }
        for kind in ObjectKind.allCases where plan.unchanged[kind] == nil { plan.unchanged[kind] = 0 }
        plan.changes.sort { ($0.kind, $0.name) < ($1.kind, $1.name) }
        for (kind, names) in needDiff {
            let old = try baselineSpecs(kind, names)
            for index in plan.changes.indices where plan.changes[index].kind == kind {
                let name = plan.changes[index].name
                guard let oldJSON = old[name], let newJSON = changedJSON[kind]?[name] else { continue }
                plan.changes[index].fields = FieldChange.differences(try JSONValue(parsing: oldJSON), try JSONValue(parsing: newJSON))
            }
        }
        var targetDocuments: [String: [String: String]] = [:]
        for (jar, documents) in desired.state.knowledge {
            var byPath: [String: String] = [:]
            for document in documents { byPath[document.path] = document.blobID.hex }
            targetDocuments[jar] = byPath
        }
        plan.documents = documentChanges(target: targetDocuments, baseline: baseline.documents)
        return plan
    }

    private func documentChanges(target: [String: [String: String]],
                                 baseline: [String: [String: String]]) -> [ReconcilePlan.DocumentChange] {
        var changes: [ReconcilePlan.DocumentChange] = []
        for jar in Set(target.keys).union(baseline.keys).sorted() {
            let wanted = target[jar] ?? [:]
            let live = baseline[jar] ?? [:]
            for path in Set(wanted.keys).union(live.keys).sorted() {
                switch (live[path], wanted[path]) {
                case (nil, let blob?): changes.append(.init(jar: jar, path: path, action: .add, blobID: blob))
                case (let old?, let blob?) where old != blob: changes.append(.init(jar: jar, path: path, action: .change, blobID: blob))
                case (_?, nil): changes.append(.init(jar: jar, path: path, action: .remove, blobID: nil))
                default: break
                }
            }
        }
        return changes
    }
}
