import ArgumentParser
import BotRuntime
import Foundation
import Reconciler

/// `nectar operators`: bearer tokens for the operators that git declares.
struct Operators: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Issue, list and revoke operator tokens for the admin API.",
        subcommands: [Token.self, Tokens.self, Revoke.self]
    )

    /// `nectar operators token NAME`: the token is printed once and stored hashed.
    struct Token: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Issue a bearer token for a declared operator (shown once; stored only as SHA-256).")

        @Argument(help: "The operator's name, as declared in git.") var name: String
        @OptionGroup var database: DatabaseOption
        @Option(name: .long, help: "Output format: text or json.") var format: OutputFormat = .text

        func run() throws {
            let issued: (record: OperatorTokenRecord, token: OperatorToken)
            do {
                issued = try RuntimeStore.open(path: database.db, mustExist: true).issueOperatorToken(operator: name)
            } catch {
                throw CommandFailure.exit(error)
            }
            switch format {
            case .json:
                try Terminal.json(["id": issued.record.id, "operator": name, "token": issued.token.secret])
            case .text:
                Terminal.standardOutput(issued.token.secret)
                Terminal.standardError("issued \(issued.record.id) for operator \(name); this is the only time the token is shown")
            }
        }
    }

    /// `nectar operators tokens`: metadata only.
    struct Tokens: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List operator tokens (id, display form, dates; never the secret).",
                                                        aliases: ["list"])

        @Option(name: .long, help: "Only this operator's tokens.") var `operator`: String?
        @OptionGroup var database: DatabaseOption
        @Option(name: .long, help: "Output format: text or json.") var format: OutputFormat = .text

        func run() throws {
            let tokens: [OperatorTokenRecord]
            do {
                tokens = try RuntimeStore.openReadOnly(path: database.db).operatorTokens(operator: `operator`)
            } catch {
                throw CommandFailure.exit(error)
            }
            if format == .json {
                try Terminal.json(tokens)
                return
            }
            var lines = ["ID\tOPERATOR\tDISPLAY\tCREATED\tLAST USED\tREVOKED"]
            for token in tokens {
                lines.append([token.id, token.operatorName, token.display, KeyAge.timestamp(token.createdAt),
                              token.lastUsedAt.map(KeyAge.timestamp) ?? "-", token.revokedAt.map(KeyAge.timestamp) ?? "-"]
                    .joined(separator: "\t"))
            }
            Terminal.standardOutput(Table.align(lines))
        }
    }

    /// `nectar operators revoke`: one token by id, or all of an operator's.
    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token by id, or every token of an operator.")

        @Argument(help: "A token id (tok_…).") var id: String?
        @Option(name: .long, help: "Revoke every token of this operator.") var `operator`: String?
        @OptionGroup var database: DatabaseOption

        func validate() throws {
            guard (id == nil) != (`operator` == nil) else {
                throw ValidationError("name either a token id or --operator NAME")
            }
        }

        func run() throws {
            do {
                let count = try RuntimeStore.open(path: database.db, mustExist: true).revokeOperatorTokens(id: id, operator: `operator`)
                Terminal.standardOutput("revoked \(count) operator \(count == 1 ? "token" : "tokens")")
            } catch {
                throw CommandFailure.exit(error)
            }
        }
    }
}
