import BotRuntime
import Foundation

/// A drift report as made, and the state it was made at.
struct DriftCache: Sendable {
    var json: Data
    var stateVersion: Int64
    var runsCompleted: Int
    var madeAt: Date
}

extension ReconcileLoop {
    /// How long a drift report is reused while nothing changed: findings
    /// such as key ages depend on the clock too.
    static let driftCacheLifetime: TimeInterval = 30

    /// The drift report of the branch head as last fetched (no fetch here:
    /// the loop fetches on its own schedule) against the live state, as
    /// JSON (the shape of `nectar drift --format json`).
    ///
    /// A report loads a whole revision, so it is made on the reconcile queue
    /// (never beside half a reconcile), at most one at a time: callers
    /// arriving meanwhile share the one being made, and a report is reused
    /// while no run finished, the state version did not move and it is
    /// younger than `driftCacheLifetime`.
    public func driftReport() async -> Result<Data, DriftUnavailable> {
        if let driftInFlight { return await driftInFlight.value }
        let version = try? await reconciler.store.appliedMarker().stateVersion
        if let driftInFlight { return await driftInFlight.value }
        if let cache = driftCache, cache.stateVersion == version, cache.runsCompleted == runsCompleted,
           Date().timeIntervalSince(cache.madeAt) < Self.driftCacheLifetime {
            return .success(cache.json)
        }
        let runs = runsCompleted
        let task = Task { await self.makeDriftReport() }
        driftInFlight = task
        let result = await task.value
        driftInFlight = nil
        driftReportsMade += 1
        if case .success(let json) = result, let version {
            driftCache = DriftCache(json: json, stateVersion: version, runsCompleted: runs, madeAt: Date())
        }
        return result
    }

    private func makeDriftReport() async -> Result<Data, DriftUnavailable> {
        let source = self.source, store = reconciler.store, path = source.path
        let location: String
        switch source.location {
        case .local(let repository): location = repository
        case .remote(_, let mirror, _): location = mirror
        }
        return await withCheckedContinuation { continuation in
            queue.async {
                do {
                    let report = try DriftDetector(keyDirectory: self.reconciler.keyDirectory).report(repositoryPath: location, declarationsPath: path, revision: source.revision,
                                                            live: try store.export(), liveSource: .init(source: "server", name: "this instance"))
                    continuation.resume(returning: .success(Data(try report.json().utf8)))
                } catch {
                    continuation.resume(returning: .failure(DriftUnavailable(message: RevisionReconciler.sentence(error))))
                }
            }
        }
    }
}
