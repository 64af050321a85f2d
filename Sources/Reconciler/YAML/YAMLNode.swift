/// A 1-based line and column in a source file.
public struct SourcePosition: Sendable, Hashable, Codable, Comparable {
    /// Line, counting from 1.
    public var line: Int
    /// Column in characters, counting from 1.
    public var column: Int

    /// Creates a position.
    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public static func < (lhs: SourcePosition, rhs: SourcePosition) -> Bool {
        (lhs.line, lhs.column) < (rhs.line, rhs.column)
    }
}

/// One node of a parsed YAML document, stored in the document's arena.
struct YAMLNode {
    enum Kind: UInt8 { case scalar, mapping, sequence }

    var kind: Kind
    /// Where the node starts.
    var position: SourcePosition
    /// The scalar's text (empty for collections).
    var text: String
    /// Plain (unquoted, untagged) scalars are resolved by the YAML 1.2 core
    /// schema: `null`, `true`, `42`; anything quoted or tagged `!!str` is a string.
    var isPlain: Bool
    /// Children in `YAMLDocument.children`: values of a sequence, or
    /// alternating keys and values of a mapping.
    var childStart: Int32
    var childCount: Int32
}

/// One YAML document as an arena of nodes; aliases share nodes.
struct YAMLDocument {
    var nodes: [YAMLNode] = []
    var children: [Int32] = []
    /// The root node, or nil for an empty document.
    var root: Int32?
    /// Where the document starts (its `---`, or its first node).
    var position: SourcePosition

    subscript(_ index: Int32) -> YAMLNode {
        _read { yield nodes[Int(index)] }
    }

    /// The children of a collection node.
    func childIndices(of index: Int32) -> ArraySlice<Int32> {
        let node = nodes[Int(index)]
        let start = Int(node.childStart)
        return children[start..<start + Int(node.childCount)]
    }

    /// The key/value pairs of a mapping node.
    func pairs(of index: Int32) -> [(key: Int32, value: Int32)] {
        let slice = childIndices(of: index)
        var result: [(key: Int32, value: Int32)] = []
        result.reserveCapacity(slice.count / 2)
        var iterator = slice.makeIterator()
        while let key = iterator.next(), let value = iterator.next() {
            result.append((key, value))
        }
        return result
    }
}

/// Bounds that keep hostile YAML cheap to reject.
public struct YAMLLimits: Sendable {
    /// Largest accepted file, in bytes.
    public var maxBytes: Int = 1 << 20
    /// Largest number of nodes a document may expand to through aliases.
    public var maxExpandedNodes: Int = 1_000_000
    /// Deepest accepted nesting of collections.
    public var maxDepth: Int = 64

    /// The defaults: 1 MiB, 1,000,000 nodes, 64 levels.
    public init() {}
}

/// A YAML file that could not be read, with the position of the problem.
public struct YAMLError: Error, Sendable {
    public var position: SourcePosition
    public var message: String
}
