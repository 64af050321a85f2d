internal import CYAML

/// Turns YAML bytes into documents with a position on every node, using
/// libyaml's event parser.
///
/// Written against libyaml directly rather than through Yams because Yams'
/// Codable layer is about 20 times slower here and reports no position for
/// type errors; both matter for declarations. The builder keeps one flat
/// arena per document, checks limits as events arrive, and never expands
/// aliases (they share nodes), so an alias bomb costs only its own events.
struct YAMLParser {
    var limits = YAMLLimits()

    /// Tags a declaration may carry: the YAML core schema's own.
    static let coreTags: Set<String> = [
        "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
        "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null", "tag:yaml.org,2002:map",
        "tag:yaml.org,2002:seq", "!",
    ]

    func parse(_ bytes: [UInt8]) throws(YAMLError) -> [YAMLDocument] {
        if bytes.count > limits.maxBytes {
            throw YAMLError(position: SourcePosition(line: 1, column: 1),
                            message: "the file is \(bytes.count) bytes, larger than the limit of \(limits.maxBytes) bytes")
        }
        if bytes.count >= 2, (bytes[0] == 0xFE && bytes[1] == 0xFF) || (bytes[0] == 0xFF && bytes[1] == 0xFE) {
            throw YAMLError(position: SourcePosition(line: 1, column: 1),
                            message: "the file is UTF-16; declarations must be UTF-8")
        }
        return try bytes.withUnsafeBufferPointer { buffer throws(YAMLError) in
            var builder = YAMLTreeBuilder(limits: limits)
            var parser = yaml_parser_t()
            guard yaml_parser_initialize(&parser) == 1 else {
                throw YAMLError(position: SourcePosition(line: 1, column: 1), message: "the YAML parser could not start")
            }
            defer { yaml_parser_delete(&parser) }
            yaml_parser_set_input_string(&parser, buffer.baseAddress ?? UnsafePointer(bitPattern: 1), buffer.count)
            var event = yaml_event_t()
            while true {
                guard yaml_parser_parse(&parser, &event) == 1 else {
                    throw Self.parserError(parser, bytes: buffer)
                }
                defer { yaml_event_delete(&event) }
                if event.type == YAML_STREAM_END_EVENT { break }
                try builder.handle(&event)
            }
            return builder.documents
        }
    }

    private static func parserError(_ parser: yaml_parser_t, bytes: UnsafeBufferPointer<UInt8>) -> YAMLError {
        let problem = parser.problem.map { String(cString: $0) } ?? "invalid YAML"
        let position = SourcePosition(line: Int(parser.problem_mark.line) + 1, column: Int(parser.problem_mark.column) + 1)
        if parser.error == YAML_READER_ERROR {
            // libyaml validates the encoding as it reads; say where, in our words.
            let array = Array(bytes)
            if let offset = UTF8Validation.firstInvalidOffset(in: array) {
                return YAMLError(position: UTF8Validation.position(ofOffset: offset, in: array),
                                 message: "the file is not valid UTF-8 (byte 0x\(String(array[offset], radix: 16, uppercase: true)) at offset \(offset))")
            }
            let offset = min(Int(parser.problem_offset), bytes.count)
            return YAMLError(position: UTF8Validation.position(ofOffset: offset, in: array),
                             message: "the file holds a character YAML does not allow (\(problem))")
        }
        var message = problem
        if let context = parser.context.map({ String(cString: $0) }) {
            let line = Int(parser.context_mark.line) + 1
            message = "\(problem) \(context) at line \(line)"
        }
        return YAMLError(position: position, message: "invalid YAML: \(message)")
    }
}

/// Builds `YAMLDocument`s from libyaml events.
struct YAMLTreeBuilder {
    let limits: YAMLLimits
    var documents: [YAMLDocument] = []
    private var current = YAMLDocument(position: SourcePosition(line: 1, column: 1))
    private var weights: [Int] = []
    private var anchors: [String: Int32] = [:]
    /// Open collections: kind, position, anchor, and where their children start in `pending`.
    private var frames: [(kind: YAMLNode.Kind, position: SourcePosition, anchor: String?, start: Int)] = []
    private var pending: [Int32] = []

    init(limits: YAMLLimits) {
        self.limits = limits
    }

    mutating func handle(_ event: inout yaml_event_t) throws(YAMLError) {
        let position = SourcePosition(line: Int(event.start_mark.line) + 1, column: Int(event.start_mark.column) + 1)
        switch event.type {
        case YAML_DOCUMENT_START_EVENT:
            current = YAMLDocument(position: position)
            weights = []
            anchors = [:]
        case YAML_DOCUMENT_END_EVENT:
            documents.append(current)
        case YAML_SCALAR_EVENT:
            let scalar = event.data.scalar
            try checkTag(scalar.tag, at: position)
            let text = scalar.value.map {
                String(decoding: UnsafeBufferPointer(start: $0, count: Int(scalar.length)), as: UTF8.self)
            } ?? ""
            let isStringTag = scalar.tag.map { String(cString: $0) == "tag:yaml.org,2002:str" } ?? false
            let plain = scalar.style == YAML_PLAIN_SCALAR_STYLE && !isStringTag
            let node = YAMLNode(kind: .scalar, position: position, text: text, isPlain: plain, childStart: 0, childCount: 0)
            try add(node, weight: 1, anchor: scalar.anchor, at: position)
        case YAML_SEQUENCE_START_EVENT:
            try checkTag(event.data.sequence_start.tag, at: position)
            try open(.sequence, at: position, anchor: event.data.sequence_start.anchor)
        case YAML_MAPPING_START_EVENT:
            try checkTag(event.data.mapping_start.tag, at: position)
            try open(.mapping, at: position, anchor: event.data.mapping_start.anchor)
        case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
            try close()
        case YAML_ALIAS_EVENT:
            let name = event.data.alias.anchor.map { String(cString: $0) } ?? ""
            guard let target = anchors[name] else {
                throw YAMLError(position: position, message: "alias *\(name) refers to no anchor")
            }
            try attach(target, weight: weights[Int(target)], at: position)
        default:
            break
        }
    }

    private func checkTag(_ tag: UnsafeMutablePointer<yaml_char_t>?, at position: SourcePosition) throws(YAMLError) {
        guard let tag else { return }
        let name = String(cString: tag)
        if !YAMLParser.coreTags.contains(name) {
            let shown = name.hasPrefix("tag:yaml.org,2002:") ? "!!" + name.dropFirst("tag:yaml.org,2002:".count) : name
            throw YAMLError(position: position, message: "the tag \(shown) asks for a custom type; declarations allow only the YAML core tags")
        }
    }

    private mutating func open(_ kind: YAMLNode.Kind, at position: SourcePosition, anchor: UnsafeMutablePointer<yaml_char_t>?) throws(YAMLError) {
        if frames.count >= limits.maxDepth {
            throw YAMLError(position: position, message: "collections are nested more than \(limits.maxDepth) levels deep")
        }
        frames.append((kind, position, anchor.map { String(cString: $0) }, pending.count))
    }

    private mutating func close() throws(YAMLError) {
        guard let frame = frames.popLast() else { return }
        let start = Int32(current.children.count)
        var weight = 1
        for child in pending[frame.start...] {
            weight = min(weight + weights[Int(child)], limits.maxExpandedNodes + 1)
        }
        current.children.append(contentsOf: pending[frame.start...])
        let count = Int32(pending.count - frame.start)
        pending.removeSubrange(frame.start...)
        let node = YAMLNode(kind: frame.kind, position: frame.position, text: "", isPlain: false, childStart: start, childCount: count)
        if let anchor = frame.anchor {
            try add(node, weight: weight, anchorName: anchor, at: frame.position)
        } else {
            try add(node, weight: weight, anchorName: nil, at: frame.position)
        }
    }

    private mutating func add(_ node: YAMLNode, weight: Int, anchor: UnsafeMutablePointer<yaml_char_t>?, at position: SourcePosition) throws(YAMLError) {
        try add(node, weight: weight, anchorName: anchor.map { String(cString: $0) }, at: position)
    }

    private mutating func add(_ node: YAMLNode, weight: Int, anchorName: String?, at position: SourcePosition) throws(YAMLError) {
        let index = Int32(current.nodes.count)
        current.nodes.append(node)
        weights.append(weight)
        if let anchorName { anchors[anchorName] = index }
        try attach(index, weight: weight, at: position)
    }

    private mutating func attach(_ index: Int32, weight: Int, at position: SourcePosition) throws(YAMLError) {
        if weight > limits.maxExpandedNodes {
            throw YAMLError(position: position, message: "aliases expand this document to more than \(limits.maxExpandedNodes) nodes")
        }
        if frames.isEmpty {
            current.root = index
        } else {
            pending.append(index)
        }
    }
}
