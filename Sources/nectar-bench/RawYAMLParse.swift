import BotRuntime
import CYAML

/// The floor: libyaml's event parser over bytes already in memory, building
/// nothing. Nothing that reads YAML can be faster than this.
enum RawYAMLParse {
    /// Parses every buffer and returns the number of events seen.
    @discardableResult
    static func parse(_ buffers: [[UInt8]]) -> Int {
        var events = 0
        for bytes in buffers {
            bytes.withUnsafeBufferPointer { buffer in
                var parser = yaml_parser_t()
                yaml_parser_initialize(&parser)
                defer { yaml_parser_delete(&parser) }
                yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
                var event = yaml_event_t()
                while yaml_parser_parse(&parser, &event) == 1 {
                    let done = event.type == YAML_STREAM_END_EVENT
                    yaml_event_delete(&event)
                    events += 1
                    if done { break }
                }
            }
        }
        return events
    }
}
