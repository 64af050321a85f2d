import ArgumentParser
import BotRuntime
import Foundation
import NectarServer
import Reconciler

/// Prints an error as one sentence on stderr and exits 1.
struct CommandFailure: Error {
    let message: String

    static func exit(_ error: any Error) -> ExitCode {
        let message: String
        switch error {
        case let git as GitError: message = git.description
        case let store as StoreError: message = store.description
        case let keys as EmergencyKeyError: message = keys.description
        case let keys as KeyDirectoryError: message = keys.description
        case let failure as CommandFailure: message = failure.message
        case let configuration as ServeConfigurationError: message = configuration.description
        case let drift as DriftError: message = drift.description
        case let cocoa as CocoaError: message = cocoa.localizedDescription
        default: message = String(describing: error)
        }
        Terminal.standardError("error: \(message)")
        return ExitCode.failure
    }
}

/// Writing to the standard streams.
enum Terminal {
    static func standardError(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    static func standardOutput(_ text: String) {
        FileHandle.standardOutput.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
    }

    static func json(_ value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        standardOutput(String(decoding: try encoder.encode(value), as: UTF8.self))
    }
}
