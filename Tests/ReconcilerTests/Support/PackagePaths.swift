import BotRuntime
import Foundation
import Testing

/// Locations in the package checkout, found from this source file.
enum PackagePaths {
    /// The package root: three levels above `Tests/ReconcilerTests/Support/PackagePaths.swift`.
    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // Support
        .deletingLastPathComponent()  // ReconcilerTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // package root

    static func file(_ relativePath: String) -> URL {
        root.appendingPathComponent(relativePath)
    }

    /// The `nectar` executable built next to this test bundle (`swift test`
    /// builds every product), or in the package's default build folder.
    static func nectarExecutable() throws -> URL {
        var candidates: [URL] = []
        if let executable = Bundle.main.executableURL {
            // Linux: .build/<triple>/debug/nectarPackageTests.xctest is the executable itself.
            candidates.append(executable.deletingLastPathComponent().appendingPathComponent("nectar"))
        }
        // macOS: .build/<triple>/debug/nectarPackageTests.xctest is a bundle directory.
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("nectar"))
        candidates.append(Bundle.main.bundleURL.appendingPathComponent("nectar"))
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            candidates.append(bundle.bundleURL.deletingLastPathComponent().appendingPathComponent("nectar"))
        }
        candidates.append(root.appendingPathComponent(".build/debug/nectar"))
        if let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) {
            return found
        }
        throw MissingExecutable(searched: candidates.map(\.path))
    }

    struct MissingExecutable: Error, CustomStringConvertible {
        var searched: [String]
        var description: String {
            "the nectar executable was not found (run `swift build --build-tests` first); looked at: "
                + searched.joined(separator: ", ")
        }
    }
}
