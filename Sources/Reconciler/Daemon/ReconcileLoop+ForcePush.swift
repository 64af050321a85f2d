import BotRuntime
import Foundation

extension ReconcileLoop {
    /// The applied revision when the branch head no longer descends from it
    /// (the branch was force-pushed, or reset), else nil. Blocking git
    /// reads: call on the reconcile queue.
    static func forcePush(repository path: String, revision: String, store: RuntimeStore) -> String? {
        guard let applied = try? store.appliedMarker().revision,
              let repository = try? GitRepository(path: path),
              let head = try? repository.resolve(revision), head.id.hex != applied else { return nil }
        // An applied commit the repository no longer has was pruned by the
        // rewrite: that too is a force-push.
        guard let ancestor = ObjectID(hex: applied) else { return nil }
        return (try? repository.isDescendant(head.id, of: ancestor)) == true ? nil : applied
    }
}
