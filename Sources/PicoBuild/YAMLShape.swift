import CYaml
import Foundation

/// How deeply a YAML text nests, measured by libyaml's event parser before Yams composes it.
/// libyaml keeps its own stacks on the heap, so thousands of levels cost it nothing, while
/// Yams' composer recurses once per level and 5,000 nested `[` overflowed the stack. Reading
/// the events is exact, where any guess from the text could be fooled by quoting.
/// The only place that touches libyaml's parser (Yams wraps it for everything else).
enum YAMLShape {
    /// Where (1-based line and column, within `text`) collections first nest deeper than
    /// `limit`, or nil; nil too for text libyaml cannot parse (Yams then reports the error).
    static func firstPosition(exceeding limit: Int, in text: String) -> (line: Int, column: Int)? {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { return nil }
        defer { yaml_parser_delete(&parser) }
        var bytes = Array(text.utf8)
        return bytes.withUnsafeMutableBufferPointer { buffer -> (line: Int, column: Int)? in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var depth = 0
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else { return nil }
                defer { yaml_event_delete(&event) }
                switch event.type {
                case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                    depth += 1
                    if depth > limit { return (Int(event.start_mark.line) + 1, Int(event.start_mark.column) + 1) }
                case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                    depth -= 1
                case YAML_STREAM_END_EVENT:
                    return nil
                default:
                    break
                }
            }
        }
    }
}
