/// A declared human operator who works handoffs.
public struct OperatorSpec: Sendable, Hashable, Codable {
    /// Name and labels.
    public var metadata: ObjectMeta
    /// Where the operator is reached.
    public var email: String
    /// What the operator may do.
    public var role: Role
    /// Teams whose bots' handoffs and analytics the operator sees.
    public var teams: [String]

    /// The operator's name.
    public var name: String { metadata.name }

    /// Creates an operator; the role defaults to `agent`.
    public init(metadata: ObjectMeta, email: String, role: Role = .agent, teams: [String] = []) {
        self.metadata = metadata
        self.email = email
        self.role = role
        self.teams = teams
    }

    /// Operator roles.
    public enum Role: String, Sendable, Hashable, Codable, CaseIterable {
        /// Sees and does everything.
        case admin
        /// Works handoffs and reads analytics of its teams' bots.
        case agent
        /// Reads everything under `/admin` and changes nothing: for CI jobs
        /// (`nectar drift --server`, `nectar plan --server`) and auditors.
        case auditor
    }
}
