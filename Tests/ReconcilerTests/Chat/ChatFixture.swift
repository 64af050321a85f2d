import BotRuntime
import Foundation
import NectarServer
import Testing
@testable import Reconciler
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A daemon serving chat: bots with a honey jar of real Markdown, their keys
/// read from the key directory as an application would.
enum ChatFixture {
    static let shipping = """
        # Shipping

        ## Delivery times
        Orders placed before 2 pm ship the same working day. Standard delivery takes
        three to five working days; express delivery arrives the next working day.

        ## International orders
        We ship honey and equipment to most countries in Europe. International
        delivery takes seven to ten working days, and customs fees are paid by the
        recipient. Live bees are never shipped abroad.
        """

    static let returns = """
        # Returns and refunds

        ## Returning an item
        Unopened equipment can be returned within 30 days of delivery for a full
        refund. Print the return label from your account and drop the parcel at
        any post office.

        ## Refunds
        Refunds are paid to the original payment method within five working days
        of the parcel reaching our warehouse. Opened jars of honey cannot be returned
        for hygiene reasons.
        """

    /// A bot YAML with the fields chat tests vary.
    static func bot(_ name: String, visibility: String = "private", status: String = "active", perHour: Int = 1000,
                    perDay: Int = 10000, memory: Int = 20, threshold: Double = 0.3, jars: [String] = ["shop"]) -> String {
        """
        apiVersion: nectar/v1
        kind: Bot
        metadata: {name: \(name), owner: team-support}
        spec:
          displayName: Bot \(name)
          description: Answers questions about orders.
          honeyJars: [\(jars.joined(separator: ", "))]
          visibility: \(visibility)
          status: \(status)
          maxConversationLength: \(memory)
          confidenceThreshold: \(threshold)
          rateLimits: {perHour: \(perHour), perDay: \(perDay)}

        """
    }

    /// The repository's files: operators, a honey jar `shop`, and the given bots.
    static func files(_ bots: [String: String]) -> [String: String] {
        var files = DaemonSnippet.files(bots: [])
        files["bots/jar.yaml"] = Snippet.honeyJar("shop", sources: #"["knowledge/shop/*.md"]"#)
        files["knowledge/shop/shipping.md"] = shipping
        files["knowledge/shop/returns.md"] = returns
        for (name, yaml) in bots { files["bots/\(name).yaml"] = yaml }
        return files
    }

    /// A started daemon with `bots`.
    static func start(_ bots: [String: String], adjust: (inout ServeSettings) -> Void = { _ in }) async throws -> DaemonHarness {
        let harness = try DaemonHarness()
        try harness.commit(files(bots))
        try await harness.start(harness.settings(adjust))
        return harness
    }
}

extension DaemonHarness {
    /// A bot's active key, from the key directory.
    func key(_ bot: String) throws -> String {
        try #require(KeyDirectory(path: directory + "/keys").read(bot: bot)).active.key
    }

    /// `POST /v1/bots/{bot}/chat` with a key.
    func chat(_ bot: String, _ message: String, key: String?, conversation: String? = nil,
              headers: [String: String] = [:], session: URLSession = .shared) async throws -> HTTPResult {
        var body: [String: Any] = ["message": message]
        if let conversation { body["conversationId"] = conversation }
        var headers = headers
        if let key { headers["Authorization"] = "Bearer \(key)" }
        return try await request("POST", "/v1/bots/\(bot)/chat", body: try JSONSerialization.data(withJSONObject: body),
                                 headers: headers.merging(["Content-Type": "application/json"]) { a, _ in a }, session: session)
    }

    /// Rows of a runtime table, counted through a separate connection.
    func count(_ table: String) throws -> Int {
        Int(try ReconcileSQL.strings(path: dbPath, "SELECT count(*) FROM \(table)").first ?? "0") ?? 0
    }
}
