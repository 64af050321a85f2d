import Foundation

/// One line of the audit log.
public struct AuditEntry: Sendable, Hashable, Codable {
    public var at: Date
    /// A revision (`git:1a2b3c4`) or an operator (`operator:alice`).
    public var actor: String
    /// `create`, `update`, `delete`, `restore`, `pause`, ...
    public var action: String
    public var objectKind: String
    public var objectName: String
    /// What changed, as a JSON document.
    public var changes: String
    /// The reconcile run that made the change, if one did.
    public var runID: Int64?

    public init(at: Date, actor: String, action: String, objectKind: String, objectName: String, changes: String, runID: Int64? = nil) {
        self.at = at
        self.actor = actor
        self.action = action
        self.objectKind = objectKind
        self.objectName = objectName
        self.changes = changes
        self.runID = runID
    }
}
