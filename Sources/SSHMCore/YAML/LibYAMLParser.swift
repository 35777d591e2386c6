import CYAML

/// Where an event or an error starts: 1-based, columns counted in Unicode scalars as libyaml counts them.
package struct YAMLMark: Hashable, Sendable {
    package var line: Int
    package var column: Int

    package init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    init(_ mark: yaml_mark_t) {
        self.init(line: mark.line + 1, column: mark.column + 1)
    }
}

/// A scalar's text as written, after YAML's quoting and folding; never resolved to a number or a boolean.
package struct YAMLScalar: Hashable, Sendable {
    package var text: String
    /// Unquoted and not a block scalar: the only style in which an empty scalar means "nothing".
    package var isPlain: Bool
    /// The explicit tag, as libyaml expands it (`!!int` is `tag:yaml.org,2002:int`).
    package var tag: String?

    package init(text: String, isPlain: Bool, tag: String?) {
        self.text = text
        self.isPlain = isPlain
        self.tag = tag
    }
}

/// One libyaml event, copied out of the C event, which `LibYAMLParser.next()` frees before it returns.
struct YAMLEvent {
    enum Kind {
        case streamEnd
        case documentStart
        case documentEnd
        case scalar(YAMLScalar)
        case sequenceStart
        case sequenceEnd
        case mappingStart
        case mappingEnd
        case alias(name: String)
        /// The stream's start: nothing for a manifest to read.
        case streamStart
    }

    var kind: Kind
    /// The `&name` a scalar, sequence or mapping declares.
    var anchor: String?
    var mark: YAMLMark
}

/// Why libyaml stopped, as its parser reports it.
struct LibYAMLError: Error {
    enum Kind {
        case memory
        /// The input holds a character YAML forbids; `offset` is in bytes.
        case reader(offset: Int, value: Int32)
        /// Lexical or grammatical.
        case syntax
    }

    var kind: Kind
    var problem: String
    var mark: YAMLMark
    /// What libyaml was parsing, and where that started.
    var context: (text: String, mark: YAMLMark)?
}

/// A libyaml parser over bytes that outlive it: the only owner of its `yaml_parser_t`.
struct LibYAMLParser: ~Copyable {
    private let parser: UnsafeMutablePointer<yaml_parser_t>

    /// `nil` when libyaml cannot allocate its buffers; `input` must stay valid and unchanged while the parser lives.
    static func make(_ input: UnsafeBufferPointer<UInt8>) -> LibYAMLParser? {
        // libyaml asserts on a null input pointer, which an empty buffer may have.
        guard let base = input.baseAddress else { return nil }
        let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
        // On failure yaml_parser_initialize frees what it allocated itself.
        guard yaml_parser_initialize(parser) == 1 else {
            parser.deallocate()
            return nil
        }
        yaml_parser_set_encoding(parser, YAML_UTF8_ENCODING)
        yaml_parser_set_input_string(parser, base, input.count)
        return LibYAMLParser(parser)
    }

    private init(_ parser: UnsafeMutablePointer<yaml_parser_t>) {
        self.parser = parser
    }

    deinit {
        yaml_parser_delete(parser)
        parser.deallocate()
    }

    /// The next event; after the stream's end, `streamEnd` again; after an error, the same error again.
    mutating func next() -> Result<YAMLEvent, LibYAMLError> {
        var event = yaml_event_t()
        guard yaml_parser_parse(parser, &event) == 1 else { return .failure(error()) }
        defer { yaml_event_delete(&event) }
        return .success(Self.copy(event))
    }

    private static func copy(_ event: yaml_event_t) -> YAMLEvent {
        let mark = YAMLMark(event.start_mark)
        switch event.type {
        case YAML_STREAM_START_EVENT:
            return YAMLEvent(kind: .streamStart, mark: mark)
        case YAML_DOCUMENT_START_EVENT:
            return YAMLEvent(kind: .documentStart, mark: mark)
        case YAML_DOCUMENT_END_EVENT:
            return YAMLEvent(kind: .documentEnd, mark: mark)
        case YAML_SCALAR_EVENT:
            let data = event.data.scalar
            let text = String(decoding: UnsafeBufferPointer(start: data.value, count: data.length), as: UTF8.self)
            let scalar = YAMLScalar(
                text: text, isPlain: data.style == YAML_PLAIN_SCALAR_STYLE, tag: string(data.tag))
            return YAMLEvent(kind: .scalar(scalar), anchor: string(data.anchor), mark: mark)
        case YAML_SEQUENCE_START_EVENT:
            return YAMLEvent(kind: .sequenceStart, anchor: string(event.data.sequence_start.anchor), mark: mark)
        case YAML_SEQUENCE_END_EVENT:
            return YAMLEvent(kind: .sequenceEnd, mark: mark)
        case YAML_MAPPING_START_EVENT:
            return YAMLEvent(kind: .mappingStart, anchor: string(event.data.mapping_start.anchor), mark: mark)
        case YAML_MAPPING_END_EVENT:
            return YAMLEvent(kind: .mappingEnd, mark: mark)
        case YAML_ALIAS_EVENT:
            return YAMLEvent(kind: .alias(name: string(event.data.alias.anchor) ?? ""), mark: mark)
        default:
            // YAML_STREAM_END_EVENT, and YAML_NO_EVENT, which libyaml returns after the stream's end.
            return YAMLEvent(kind: .streamEnd, mark: mark)
        }
    }

    private static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        pointer.map { String(cString: $0) }
    }

    private func error() -> LibYAMLError {
        let state = parser.pointee
        let problem = state.problem.map { String(cString: $0) } ?? "unknown error"
        let context = state.context.map { (text: String(cString: $0), mark: YAMLMark(state.context_mark)) }
        let kind: LibYAMLError.Kind
        switch state.error {
        case YAML_MEMORY_ERROR: kind = .memory
        case YAML_READER_ERROR: kind = .reader(offset: state.problem_offset, value: state.problem_value)
        default: kind = .syntax
        }
        return LibYAMLError(kind: kind, problem: problem, mark: YAMLMark(state.problem_mark), context: context)
    }
}
