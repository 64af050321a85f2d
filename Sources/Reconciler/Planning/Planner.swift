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
        let target = PlanSide(desired: desired)
        var plan = ReconcilePlan(revision: target.revision, baseRevision: baseline.revision)
        var needDiff: [ObjectKind: [String]] = [:]
        var desiredJSON: [ObjectKind: [String: String]] = [:]
        for object in desired.objects {
            desiredJSON[object.kind, default: [:]][object.name] = object.specJSON
        }
        for kind in ObjectKind.allCases.sorted() {
            let wanted = target.objects[kind] ?? [:]
            let live = baseline.objects[kind] ?? [:]
            var unchanged = 0
            for name in wanted.keys.sorted() {
                let object = wanted[name]!
                guard let current = live[name] else {
                    plan.changes.append(.init(kind: kind, name: name, action: .create, source: object.sourcePath, fields: []))
                    continue
                }
                if current.isDeleted {
                    plan.changes.append(.init(kind: kind, name: name, action: .restore, source: object.sourcePath, fields: []))
                    if current.specHash != object.specHash { needDiff[kind, default: []].append(name) }
                } else if current.specHash != object.specHash {
                    plan.changes.append(.init(kind: kind, name: name, action: .update, source: object.sourcePath, fields: []))
                    needDiff[kind, default: []].append(name)
                } else if current.sourcePath != object.sourcePath || current.blobID != object.blobID {
                    let moved = current.sourcePath != object.sourcePath
                    if moved {
                        plan.changes.append(.init(kind: kind, name: name, action: .move, source: object.sourcePath,
                                                  fields: [FieldChange(path: "source", from: .string(current.sourcePath), to: .string(object.sourcePath))]))
                    } else {
                        unchanged += 1  // same file, reformatted or another document changed
                    }
                } else {
                    unchanged += 1
                }
            }
            for name in live.keys.sorted() where wanted[name] == nil && !live[name]!.isDeleted {
                plan.changes.append(.init(kind: kind, name: name, action: .delete, source: live[name]!.sourcePath, fields: []))
            }
            plan.unchanged[kind] = unchanged
        }
        for (kind, names) in needDiff {
            let old = try baselineSpecs(kind, names)
            for index in plan.changes.indices where plan.changes[index].kind == kind {
                let name = plan.changes[index].name
                guard let oldJSON = old[name], let newJSON = desiredJSON[kind]?[name] else { continue }
                plan.changes[index].fields = FieldChange.differences(try JSONValue(parsing: oldJSON), try JSONValue(parsing: newJSON))
            }
        }
        plan.documents = documentChanges(target: target.documents, baseline: baseline.documents,
                                         deletedJars: Set(plan.changes.filter { $0.kind == .honeyJar && $0.action == .delete }.map(\.name)))
        return plan
    }

    private func documentChanges(target: [String: [String: String]], baseline: [String: [String: String]],
                                 deletedJars: Set<String>) -> [ReconcilePlan.DocumentChange] {
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
