import BotRuntime
import Foundation
import Hummingbird
import Reconciler

/// Analytics (figures and SVG charts of a range) and the reconcile page
/// (conditions, drift, runs, audit log).
struct ConsoleInsightPages: Sendable {
    let console: ConsoleRoutes

    struct RunRow {
        var id: String
        var revision: String
        var outcome: String
        var trigger: String
        var changes: String
        var finished: String
    }

    struct AuditRow {
        var at: String
        var actor: String
        var action: String
        var object: String
        var changes: String
    }

    struct FindingRow {
        var kind: String
        var object: String
        var message: String
    }

    func add(to group: RouterGroup<NectarRequestContext>) {
        let console = self.console
        group.get("analytics") { request, _ in
            try await console.page(request) { session in
                let days = Self.days(request)
                let visible = try await console.desk.visibleBots(for: session.identity)
                let report = try await console.store.analytics(.lastDays(days, endingAt: console.now(), bots: visible))
                let view: [String: Any] = [
                    "ranges": [7, 30, 90].map { ConsoleHandoffPages.Option(value: String($0), label: "Last \($0) days", selected: $0 == days) },
                    "figures": Self.figures(report, id: "overview"),
                    "csv": "/console/analytics.csv?days=\(days)",
                ]
                return try await console.render(request, session, title: "Analytics", current: "Analytics",
                                                content: ConsoleTemplates.render(view, "analytics"))
            }
        }
        group.get("analytics.csv") { request, _ in
            try await console.page(request) { session in
                let visible = try await console.desk.visibleBots(for: session.identity)
                let report = try await console.store.analytics(.lastDays(Self.days(request), endingAt: console.now(), bots: visible))
                return try AnalyticsRoutes.respond(report, format: "csv", name: "overview")
            }
        }
        group.get("reconcile") { request, _ in
            try await console.page(request) { session in
                guard session.identity.role != .agent else {
                    return ConsolePage.refused("The reconcile page shows the whole installation; it needs role admin or auditor.")
                }
                let status = await console.loop.status()
                let findings = await ConsoleBotPages.drift(console.loop)
                let runs = try await console.store.runs(limit: 20).map { run in
                    let summary = (try? JSONDecoder().decode([String: Int].self, from: Data(run.summary.utf8))) ?? [:]
                    return RunRow(id: run.id.map(String.init) ?? "—", revision: String((run.revision ?? "—").prefix(12)),
                                  outcome: run.outcome.rawValue, trigger: String(describing: run.trigger),
                                  changes: summary.filter { $0.value > 0 }.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
                                    .joined(separator: ", ").nilIfEmpty ?? "no changes",
                                  finished: ConsoleText.time(run.finishedAt))
                }
                let audit = try await console.store.audit(kindNamed: nil, limit: 50, newestFirst: true).map { entry in
                    AuditRow(at: ConsoleText.time(entry.at), actor: entry.actor, action: entry.action,
                             object: "\(entry.objectKind) \(entry.objectName)", changes: String(entry.changes.prefix(200)))
                }
                var view: [String: Any] = [
                    "conditions": status.conditions.map { condition in
                        ["type": condition.type.rawValue, "status": condition.status.rawValue, "reason": condition.reason.rawValue,
                         "message": condition.message]
                    },
                    "applied": String((status.lastAppliedRevision ?? "none").prefix(12)), "source": "\(status.source.repository) \(status.source.branch ?? "HEAD"):\(status.source.path)",
                    "drift": findings.map { FindingRow(kind: $0.kind.rawValue, object: $0.object ?? "revision", message: $0.resolution) },
                    "hasDrift": !findings.isEmpty, "runs": runs, "audit": audit,
                ]
                if findings.isEmpty { view["driftSummary"] = "Nothing drifts: what runs is what git declares." }
                return try await console.render(request, session, title: "Reconcile", current: "Reconcile",
                                                content: ConsoleTemplates.render(view, "reconcile"))
            }
        }
    }

    /// `?days=`: 7 (the default), 30 or 90.
    static func days(_ request: Request) -> Int {
        Int(request.uri.queryParameters.get("days") ?? "").flatMap { [7, 30, 90].contains($0) ? $0 : nil } ?? 7
    }

    /// The figures and charts of a report (the analytics page, a bot's page).
    static func figures(_ report: AnalyticsReport, id: String) -> String {
        let totals = report.totals, handoffs = report.handoffs
        func ms(_ value: Double?) -> String { value.map { String(format: "%.1f ms", $0) } ?? "—" }
        func seconds(_ value: Double?) -> String { value.map { ConsoleText.duration($0) } ?? "—" }
        func share(_ value: Double?) -> String { value.map { String(format: "%.0f%%", $0 * 100) } ?? "—" }
        let days = report.series.map { point in
            (ConsoleText.time(point.start).prefix(10).dropFirst(5).description, point)
        }
        let view: [String: Any] = [
            "conversations": totals.conversations, "messages": totals.messages, "uniqueClients": totals.uniqueClients,
            "answered": totals.answered, "lowConfidence": totals.lowConfidence, "rateLimited": totals.rateLimited, "errors": totals.errors,
            "averageConfidence": totals.averageConfidence.map { String(format: "%.2f", $0) } ?? "—",
            "knowledgeHitRate": share(totals.knowledgeHitRate),
            "latency": "\(ms(totals.latencyMs.p50)) / \(ms(totals.latencyMs.p95)) / \(ms(totals.latencyMs.p99))",
            "handoffs": handoffs.count,
            "assignment": "\(seconds(handoffs.timeToAssignmentSeconds.p50)) / \(seconds(handoffs.timeToAssignmentSeconds.p95))",
            "questions": report.topUnanswered.map { ["question": $0.question, "count": $0.count] as [String: Any] },
            "messagesChart": SVGChart.bars(
                id: "\(id)-messages", title: "Messages and handoffs per day",
                description: days.map { "\($0.0): \($0.1.usage.messages) messages, \($0.1.handoffs) handoffs" }.joined(separator: "; "),
                bars: days.map { SVGChart.Bar(label: $0.0, value: Double($0.1.usage.messages), second: Double($0.1.handoffs)) },
                legend: ("messages", "handoffs")),
            "confidenceChart": SVGChart.bars(
                id: "\(id)-confidence", title: "Confidence distribution",
                description: totals.confidenceDistribution.map { String(format: "%.1f–%.1f: %d", $0.from, $0.to, $0.count) }
                    .joined(separator: "; "),
                bars: totals.confidenceDistribution.map { SVGChart.Bar(label: String(format: "%.1f", $0.from), value: Double($0.count)) }),
            "latencyChart": SVGChart.bars(
                id: "\(id)-latency", title: "Latency p95 per day (ms)",
                description: days.map { "\($0.0): p50 \(ms($0.1.usage.latencyMs.p50)), p95 \(ms($0.1.usage.latencyMs.p95))" }
                    .joined(separator: "; "),
                bars: days.map { SVGChart.Bar(label: $0.0, value: $0.1.usage.latencyMs.p95 ?? 0) }),
            "slaChart": SVGChart.bars(
                id: "\(id)-sla", title: "SLA attainment per urgency (%)",
                description: Urgency.allCases.map { urgency in
                    let figure = handoffs.sla[urgency.rawValue]
                    return "\(urgency.rawValue): \(share(figure?.attainment)) (\(figure?.met ?? 0) met, \(figure?.missed ?? 0) missed)"
                }.joined(separator: "; "),
                bars: Urgency.allCases.map { SVGChart.Bar(label: $0.rawValue, value: (handoffs.sla[$0.rawValue]?.attainment ?? 0) * 100) }),
        ]
        return ConsoleTemplates.render(view, "figures")
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
