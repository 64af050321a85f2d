import BotRuntime
import Foundation
import Reconciler

/// Generates a repository of `botCount` typical bots, two honey jars with
/// knowledge files, a rotation policy and operators: the benchmark's input.
struct SyntheticRepository {
    let botCount: Int

    /// Path -> bytes of every file at the first revision.
    func files() -> [String: [UInt8]] {
        var files: [String: [UInt8]] = [:]
        for index in 0..<botCount {
            files[Self.botPath(index)] = Array(Self.bot(index, perHour: 100).utf8)
        }
        files["bots/honey-jars.yaml"] = Array("""
            apiVersion: nectar/v1
            kind: HoneyJar
            metadata: {name: shop-faq}
            spec:
              description: Shop policies and shipping FAQ
              sources: ["knowledge/shop/**/*.md"]
            ---
            apiVersion: nectar/v1
            kind: HoneyJar
            metadata: {name: beekeeping}
            spec:
              sources: ["knowledge/beekeeping/*.md"]

            """.utf8)
        files["bots/policies.yaml"] = Array("""
            apiVersion: nectar/v1
            kind: KeyRotationPolicy
            metadata: {name: gold-tier}
            spec: {selector: {tier: gold}, rotateEvery: 30d, gracePeriod: 24h, maxKeyAge: 90d}

            """.utf8)
        files["bots/operators.yaml"] = Array("""
            apiVersion: nectar/v1
            kind: Operator
            metadata: {name: alice}
            spec: {email: alice@example.com, role: admin, teams: [team-0]}

            """.utf8)
        for index in 0..<20 {
            files["knowledge/shop/topic-\(index).md"] = Array("# Topic \(index)\n\nShipping takes \(index + 2) days.\n".utf8)
            files["knowledge/beekeeping/guide-\(index).md"] = Array("# Guide \(index)\n\nInspect hives every \(index + 7) days.\n".utf8)
        }
        return files
    }

    static func botPath(_ index: Int) -> String {
        String(format: "bots/team-%03d/bot-%05d.yaml", index % 100, index)
    }

    /// One typical bot document (about 700 bytes).
    static func bot(_ index: Int, perHour: Int) -> String {
        """
        apiVersion: nectar/v1
        kind: Bot
        metadata:
          name: bot-\(index)
          owner: team-\(index % 100)
          labels: {tier: \(index % 3 == 0 ? "gold" : "silver"), region: eu-\(index % 4)}
        spec:
          displayName: Support bot number \(index)
          description: Answers questions about orders and shipping for shop \(index).
          systemPrompt: |
            You are a friendly support assistant for shop \(index).
            Answer from the knowledge base; offer a person when unsure.
          model: {provider: knowledge}
          honeyJars: [shop-faq\(index % 2 == 0 ? ", beekeeping" : "")]
          visibility: \(index % 10 == 0 ? "public" : "private")
          status: active
          maxConversationLength: 20
          confidenceThreshold: 0.7
          rateLimits: {perHour: \(perHour), perDay: 1000}
          handoff:
            enabled: true
            keywords: [human, agent, "speak to a person"]
            confidenceThreshold: 0.4
            urgency: {critical: [outage], high: [urgent, refund]}
            notify: {inApp: true, email: [team-\(index % 100)@example.com]}
            sla: {critical: 15m, high: 1h}
          apiKeys:
            generation: 1

        """
    }
}
