// The snapshot reader: docs/snapshot.md, version 1, read as hostile text (see snapshot.hpp).
//
// Every value is checked before it is used, and the first problem is the error, named by its
// place in the document. The rows go through AddressSpaceBuilder like any source's, and the
// builder is also made to state again what the saved source's builder stated (rejected and
// superseded rows, a source read only in part), so that a snapshot's map is accounted for exactly
// as the map it was saved from.
#include "vmatlas/snapshot.hpp"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstring>
#include <functional>
#include <iterator>
#include <numeric>
#include <optional>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sources/snapshot_fields.hpp"
#include "sources/text.hpp"
#include "sources/text_input.hpp"

namespace vmatlas {

namespace {

using json = nlohmann::json;

// Where a value is in the document, built as the reader descends and spelled out only for an
// error message: "rows[3].figures.rss".
struct Loc {
    const Loc* parent = nullptr;
    std::string_view key;  // an object's member, or else
    std::size_t index = 0;
    bool is_index = false;

    Loc operator[](std::string_view k) const { return Loc{this, k, 0, false}; }
    Loc operator[](std::size_t i) const { return Loc{this, {}, i, true}; }

    std::string str() const {
        std::string s = parent ? parent->str() : std::string();
        if (is_index) {
            s += fmt::format("[{}]", index);
        } else if (!key.empty()) {
            if (!s.empty()) s.push_back('.');
            s += key;
        }
        return s;
    }
};

// A value as an error message shows what was found: strings quoted and cut short.
std::string describe(const json& v) {
    if (v.is_string()) {
        const std::string& s = v.get_ref<const std::string&>();
        constexpr std::size_t kMax = 40;
        return s.size() <= kMax ? fmt::format("\"{}\"", s)
                                : fmt::format("\"{}...\"", s.substr(0, kMax));
    }
    if (v.is_object()) return "an object";
    if (v.is_array()) return "an array";
    return v.dump();  // a number, true, false or null: short, and never throws
}

// A name among the values of an enum's to_string, from its first enumerator to `last`.
template <typename Enum>
std::optional<Enum> parse_enum(std::string_view s, Enum last) {
    for (unsigned k = 0; k <= static_cast<unsigned>(last); ++k)
        if (to_string(static_cast<Enum>(k)) == s) return static_cast<Enum>(k);
    return std::nullopt;
}

struct Row {
    Mapping m;                 // its path is interned once the builder exists
    std::string path, object;  // the row's path and its label's object
    // Whether the row has "figures" and "sections", for a row read before the snapshot said
    // whether every row has them.
    bool has_figures = false, has_sections = false;
    Figures figures;
    Label label;
    Role role = Role::Other;
    std::string sections;
};

// The top-level members a snapshot has; any other is not read, nor kept while parsing.
constexpr std::string_view kTopKeys[] = {"schema",      "format",   "version",  "source",
                                         "account",     "figures",  "sections", "facts",
                                         "diagnostics", "warnings", "rows"};

// Thrown by the parse callback to end the parse at the first problem it finds.
struct StopParse {};

// Parses a whole document with the callback it is given (json::parse's parser_callback_t).
using ParseCallback = std::function<bool(int, json::parse_event_t, json&)>;
using Parse = std::function<json(const ParseCallback&)>;

class Reader {
  public:
    explicit Reader(std::string name) : name_(std::move(name)) {}

    Result<Target> read(const Parse& parse);

  private:
    // Records the first problem found; returns false for the caller to pass on.
    bool fail(const Loc& at, std::string_view what, ErrorKind kind = ErrorKind::MalformedInput) {
        if (!error_) {
            const std::string where = at.str();
            error_ = make_error(kind, fmt::format("{}: {}: {}", name_,
                                                  where.empty() ? "the document" : where, what));
        }
        return false;
    }
    bool wrong(const Loc& at, std::string_view what, const json& v) {
        return fail(at, fmt::format("{} (found {})", what, describe(v)));
    }

    // obj[key] (obj an object), or null and an error when it is missing.
    const json* member(const json& obj, const Loc& at, std::string_view key) {
        const auto it = obj.find(key);
        if (it == obj.end()) {
            fail(at[key], "missing");
            return nullptr;
        }
        return &*it;
    }
    const json* object(const json& obj, const Loc& at, std::string_view key) {
        const json* v = member(obj, at, key);
        if (v && !v->is_object()) {
            wrong(at[key], "not an object", *v);
            return nullptr;
        }
        return v;
    }
    const json* array(const json& obj, const Loc& at, std::string_view key) {
        const json* v = member(obj, at, key);
        if (v && !v->is_array()) {
            wrong(at[key], "not an array", *v);
            return nullptr;
        }
        return v;
    }

    bool get_u64(const json& v, const Loc& at, std::uint64_t& out) {
        if (!v.is_number_unsigned()) return wrong(at, "not an unsigned integer", v);
        out = v.get<std::uint64_t>();
        return true;
    }
    bool get_bool(const json& v, const Loc& at, bool& out) {
        if (!v.is_boolean()) return wrong(at, "not true or false", v);
        out = v.get<bool>();
        return true;
    }
    // A string, or {"hex": "..."} for bytes that are not UTF-8.
    bool get_text(const json& v, const Loc& at, std::string& out) {
        if (v.is_string()) {
            out = v.get_ref<const std::string&>();
            return true;
        }
        const auto hex = v.is_object() && v.size() == 1 ? v.find("hex") : v.end();
        if (hex == v.end() || !hex->is_string())
            return wrong(at, "not text (a string, or {\"hex\": \"...\"})", v);
        const std::string& digits = hex->get_ref<const std::string&>();
        if (digits.size() % 2 != 0) return wrong(at["hex"], "not pairs of hex digits", *hex);
        out.clear();
        out.reserve(digits.size() / 2);
        for (std::size_t k = 0; k < digits.size(); k += 2) {
            const int hi = text::hex_digit(digits[k]), lo = text::hex_digit(digits[k + 1]);
            if (hi < 0 || lo < 0) return wrong(at["hex"], "not pairs of hex digits", *hex);
            out.push_back(static_cast<char>(hi << 4 | lo));
        }
        return true;
    }
    // "0x" and up to 16 hex digits.
    bool get_hex(const json& v, const Loc& at, std::uint64_t& out) {
        if (!v.is_string()) return wrong(at, "not a hex address (a string \"0x...\")", v);
        const std::string& s = v.get_ref<const std::string&>();
        if (s.size() < 3 || !text::has_hex_prefix(s))
            return wrong(at, "not a hex address (a string \"0x...\")", v);
        const text::Number n = text::parse_hex(s, text::HexPrefix::Required);
        if (!n.ok())
            return wrong(at,
                         n.error == text::NumberError::TooLarge ? "a hex number above 64 bits"
                                                                : "not a hex address",
                         v);
        out = n.value;
        return true;
    }
    // null, or as get_hex.
    bool get_opt_hex(const json& v, const Loc& at, std::optional<Addr>& out) {
        if (v.is_null()) {
            out.reset();
            return true;
        }
        std::uint64_t a = 0;
        if (!get_hex(v, at, a)) return false;
        out = a;
        return true;
    }

    // Each reads obj[key] into out.
    bool u64(const json& obj, const Loc& at, std::string_view key, std::uint64_t& out) {
        const json* v = member(obj, at, key);
        return v && get_u64(*v, at[key], out);
    }
    bool boolean(const json& obj, const Loc& at, std::string_view key, bool& out) {
        const json* v = member(obj, at, key);
        return v && get_bool(*v, at[key], out);
    }
    bool text(const json& obj, const Loc& at, std::string_view key, std::string& out) {
        const json* v = member(obj, at, key);
        return v && get_text(*v, at[key], out);
    }
    bool text(const json& obj, const Loc& at, std::string_view key, ShortText& out) {
        std::string s;
        if (!text(obj, at, key, s)) return false;
        out = s;
        return true;
    }
    bool hex(const json& obj, const Loc& at, std::string_view key, std::uint64_t& out) {
        const json* v = member(obj, at, key);
        return v && get_hex(*v, at[key], out);
    }
    bool opt_hex(const json& obj, const Loc& at, std::string_view key, std::optional<Addr>& out) {
        const json* v = member(obj, at, key);
        return v && get_opt_hex(*v, at[key], out);
    }
    // A text that must be one of an enum's names.
    template <typename Enum>
    bool name_of(const json& obj, const Loc& at, std::string_view key, Enum last, Enum& out) {
        std::string s;
        if (!text(obj, at, key, s)) return false;
        const auto e = parse_enum(s, last);
        if (!e) {
            std::string names;
            for (unsigned k = 0; k <= static_cast<unsigned>(last); ++k)
                names += fmt::format("{}\"{}\"", k ? ", " : "", to_string(static_cast<Enum>(k)));
            return wrong(at[key], fmt::format("not one of {}", names), obj[std::string(key)]);
        }
        out = *e;
        return true;
    }

    bool read_source(const json& doc, const Loc& root, SourceInfo& src);
    bool read_account(const json& doc, const Loc& root, RowAccount& acc, bool& incomplete);
    bool read_facts(const json& doc, const Loc& root, ProcessFacts& facts);
    bool read_thread(const json& t, const Loc& at, ThreadInfo& info);
    bool read_diagnostic(const json& d, const Loc& at, Diagnostic& out);
    // A row; "figures" and "sections" as the snapshot says, or (nullopt) taken when present.
    bool read_row(const json& v, const Loc& at, std::optional<bool> with_figures,
                  std::optional<bool> with_sections, Row& row);

    // The elements of one of the document's arrays (rows, diagnostics, warnings, threads), read
    // one by one as they are parsed and not kept in the document: what a snapshot costs follows
    // what it holds, not the JSON that spells it.
    template <typename T>
    struct Elements {
        bool open = false;           // the array is being parsed
        std::vector<T> items;        // at most `keep` of them
        std::size_t count = 0;       // elements read, kept or not
        std::optional<Error> error;  // the first element that could not be read
        void reset() { *this = {}; }
    };

    // Reads one whole element of `into` (at `at`) with read(element, at, item); false, and the
    // error kept, for one that cannot be read; at most `keep` items are kept.
    template <typename T, typename Read>
    void take(Elements<T>& into, const json& element, const Loc& at, std::size_t keep,
              Read&& read) {
        if (into.error) return;
        T item{};
        if (!read(element, at, item)) {
            into.error = std::move(error_);
            error_.reset();
            throw StopParse{};  // the first problem found is the error: no need to read on
        }
        if (into.items.size() < keep) into.items.push_back(std::move(item));
        ++into.count;
    }

    // The parse callback: keeps the members this reader reads (top-level values as they end, in
    // top_), and reads the elements of its arrays as they end, without keeping them.
    bool on_parse(int depth, json::parse_event_t event, json& parsed);

    std::string name_;
    std::optional<Error> error_;
    // What on_parse saw: the members read so far, the top-level key and (under "facts") the
    // second-level key being read, and the arrays' elements.
    json top_ = json::object();
    std::string key_, facts_key_;
    Elements<Row> rows_;
    Elements<Diagnostic> diagnostics_;
    Elements<std::string> warnings_;
    Elements<ThreadInfo> threads_;
};

bool Reader::read_source(const json& doc, const Loc& root, SourceInfo& src) {
    const json* s = object(doc, root, "source");
    if (!s) return false;
    const Loc at = root["source"];
    const json* pid = member(*s, at, "pid");
    if (!pid) return false;
    if (!pid->is_null()) {
        std::uint64_t p = 0;
        if (!get_u64(*pid, at["pid"], p)) return false;
        if (p > static_cast<std::uint64_t>(INT_MAX))
            return wrong(at["pid"], "not a process id (above 2^31-1)", *pid);
        src.pid = static_cast<int>(p);
    }
    // "arguments" is left out when the source did not know them.
    const bool arguments = !s->contains("arguments") || text(*s, at, "arguments", src.arguments);
    const bool method = !s->contains("method") || text(*s, at, "method", src.method);
    return arguments && method && name_of(*s, at, "kind", SourceKind::QemuUser, src.kind) &&
           text(*s, at, "origin", src.origin) && text(*s, at, "process", src.process_name) &&
           text(*s, at, "time", src.time) && text(*s, at, "kernel", src.kernel);
}

bool Reader::read_account(const json& doc, const Loc& root, RowAccount& acc, bool& incomplete) {
    const json* a = object(doc, root, "account");
    if (!a) return false;
    const Loc at = root["account"];
    if (!(u64(*a, at, "read", acc.read) && u64(*a, at, "kept", acc.kept) &&
          u64(*a, at, "superseded", acc.superseded) && u64(*a, at, "rejected", acc.rejected) &&
          boolean(*a, at, "incomplete", incomplete)))
        return false;
    // Each term is checked against the total, so that the sum cannot wrap around.
    const bool adds_up = acc.kept <= acc.read && acc.superseded <= acc.read - acc.kept &&
                         acc.rejected == acc.read - acc.kept - acc.superseded;
    if (!adds_up)
        return fail(at["read"],
                    fmt::format("{} rows read, but {} kept + {} superseded + {} rejected", acc.read,
                                acc.kept, acc.superseded, acc.rejected));
    return true;
}

bool Reader::read_facts(const json& doc, const Loc& root, ProcessFacts& facts) {
    if (threads_.error) {  // the parse stopped there, inside "facts"
        error_ = std::move(threads_.error);
        return false;
    }
    const json* f = object(doc, root, "facts");
    if (!f) return false;
    const Loc at = root["facts"];
    if (!(opt_hex(*f, at, "vdso", facts.vdso) && opt_hex(*f, at, "entry", facts.entry) &&
          opt_hex(*f, at, "phdr", facts.phdr)))
        return false;
    const json* threads = member(*f, at, "threads");
    if (!threads) return false;
    if (threads->is_null()) return true;
    if (!threads->is_array()) return wrong(at["threads"], "not an array or null", *threads);
    facts.has_threads = true;
    facts.threads = std::move(threads_.items);
    return true;
}

bool Reader::read_thread(const json& t, const Loc& it, ThreadInfo& info) {
    if (!t.is_object()) return wrong(it, "not an object", t);
    const json* tid = member(t, it, "tid");
    if (!tid) return false;
    const bool fits = (tid->is_number_unsigned() && tid->get<std::uint64_t>() <= INT_MAX) ||
                      (tid->is_number_integer() && !tid->is_number_unsigned() &&
                       tid->get<std::int64_t>() >= INT_MIN);
    if (!fits) return wrong(it["tid"], "not a thread id (an integer of 32 bits)", *tid);
    info.tid = static_cast<pid_t>(tid->get<std::int64_t>());
    return text(t, it, "name", info.name) && opt_hex(t, it, "sp", info.sp) &&
           name_of(t, it, "sp_source", StackPointerSource::Registers, info.sp_source) &&
           text(t, it, "sp_error", info.sp_error);
}

bool Reader::read_diagnostic(const json& d, const Loc& at, Diagnostic& out) {
    if (!d.is_object()) return wrong(at, "not an object", d);
    std::uint64_t line = 0, column = 0;
    if (!(u64(d, at, "line", line) && u64(d, at, "column", column) &&
          text(d, at, "message", out.message)))
        return false;
    out.line = line;
    out.column = column;
    return true;
}

bool Reader::read_row(const json& v, const Loc& at, std::optional<bool> with_figures,
                      std::optional<bool> with_sections, Row& row) {
    if (!v.is_object()) return wrong(at, "not an object", v);
    Mapping& m = row.m;
    std::uint64_t offset = 0;
    if (!(hex(v, at, "start", m.start) && hex(v, at, "end", m.end) &&
          hex(v, at, "offset", offset) && u64(v, at, "inode", m.inode)))
        return false;
    if (m.end <= m.start)
        return fail(at["end"], fmt::format("{:#x} is not above start {:#x}", m.end, m.start));
    m.offset = FileOffset{offset};

    std::string s;
    if (!text(v, at, "perms", s)) return false;
    const auto perms = text::parse_perms(s, text::PermsForm::Snapshot);
    if (!perms)
        return wrong(at["perms"], "not four permission characters like \"r-xp\" or \"r-x?\"",
                     v["perms"]);
    m.perms = *perms;

    if (!text(v, at, "dev", s)) return false;
    const auto dev = text::parse_device(s, 16);
    if (!dev) return wrong(at["dev"], "not a device \"major:minor\" in hex", v["dev"]);
    m.dev_major = dev->major;
    m.dev_minor = dev->minor;

    if (!text(v, at, "path", row.path)) return false;

    const json* flags = array(v, at, "flags");
    if (!flags) return false;
    for (std::size_t k = 0; k < flags->size(); ++k) {
        if (!get_text((*flags)[k], at["flags"][k], s)) return false;
        const auto f = std::find_if(std::begin(snapshot::kFlagKeys), std::end(snapshot::kFlagKeys),
                                    [&](const snapshot::FlagKey& fk) { return fk.key == s; });
        if (f == std::end(snapshot::kFlagKeys))
            return wrong(at["flags"][k], "not \"deleted\", \"not_dumped\" or \"partly_dumped\"",
                         (*flags)[k]);
        m.flags |= f->bit;
    }

    if (!text(v, at, "name", s)) return false;
    row.label.name = s;
    if (!(name_of(v, at, "name_source", NameSource::Layout, row.label.source) &&
          text(v, at, "object", row.object) && name_of(v, at, "role", Role::Guard, row.role)))
        return false;

    row.has_sections = with_sections.value_or(v.contains("sections"));
    if (row.has_sections) {
        if (!text(v, at, "sections", row.sections)) return false;
    } else if (v.contains("sections")) {
        return fail(at["sections"], "present, but the snapshot's \"sections\" is false");
    }

    row.has_figures = with_figures.value_or(v.contains("figures"));
    if (!row.has_figures) {
        if (v.contains("figures"))
            return fail(at["figures"], "present, but the snapshot's \"figures\" is false");
        return true;
    }
    const json* f = object(v, at, "figures");
    if (!f) return false;
    const Loc fat = at["figures"];
    for (const snapshot::FigureKey& k : snapshot::kFigureKeys) {
        if (!u64(*f, fat, k.key, row.figures.*k.field)) return false;
        if (counts_row_bytes(k.field) && row.figures.*k.field > m.size())
            return fail(fat[k.key], fmt::format("{} is more than the row holds ({:#x} bytes)",
                                                row.figures.*k.field, m.size()));
    }
    return boolean(*f, fat, "thp_eligible", row.figures.thp_eligible) &&
           text(*f, fat, "vm_flags", row.figures.vm_flags);
}

bool Reader::on_parse(int depth, json::parse_event_t event, json& parsed) {
    using Event = json::parse_event_t;
    const bool ends =
        event == Event::value || event == Event::object_end || event == Event::array_end;
    const Loc root;
    if (depth == 1) {
        if (event == Event::key) {
            key_ = parsed.get<std::string>();
            // A key given twice: its last value counts, as in a document.
            if (key_ == "rows") rows_.reset();
            if (key_ == "diagnostics") diagnostics_.reset();
            if (key_ == "warnings") warnings_.reset();
            if (key_ == "facts") threads_.reset();
            return true;
        }
        const bool known =
            std::find(std::begin(kTopKeys), std::end(kTopKeys), key_) != std::end(kTopKeys);
        if (!known) return false;  // not read: not kept either
        if (event == Event::array_start) {
            rows_.open = key_ == "rows";
            diagnostics_.open = key_ == "diagnostics";
            warnings_.open = key_ == "warnings";
            // An array whose elements are read as parsed: one, should the parse stop inside it.
            if (rows_.open || diagnostics_.open || warnings_.open) top_[key_] = json::array();
        }
        if (ends) {
            rows_.open = diagnostics_.open = warnings_.open = false;
            json& value = top_[key_] = std::move(parsed);  // (not copied: it may nest deep)
            // Not a snapshot, or another version: nothing after it needs reading.
            if ((key_ == "format" &&
                 (!value.is_string() || value.get_ref<const std::string&>() != kSnapshotFormat)) ||
                (key_ == "version" &&
                 (!value.is_number_unsigned() || value.get<std::uint64_t>() != kSnapshotVersion)))
                throw StopParse{};
        }
        return true;
    }
    if (depth == 2 && key_ == "facts") {
        if (event == Event::key) facts_key_ = parsed.get<std::string>();
        if (event == Event::array_start) threads_.open = facts_key_ == "threads";
        if (ends) threads_.open = false;
        return true;
    }
    if (depth == 2 && ends && rows_.open) {
        // Read with "figures" and "sections" as the snapshot has said, when it has (the writer
        // says so first), else as each row has them, checked once the snapshot has said.
        auto flag = [&](const char* key) {
            const auto it = top_.find(key);
            return it != top_.end() && it->is_boolean() ? std::optional(it->get<bool>())
                                                        : std::nullopt;
        };
        const std::optional<bool> figures = flag("figures"), sections = flag("sections");
        const Loc rows = root["rows"];
        take(rows_, parsed, rows[rows_.count], SIZE_MAX,
             [&](const json& v, const Loc& at, Row& row) {
                 return read_row(v, at, figures, sections, row);
             });
        return false;
    }
    if (depth == 2 && ends && diagnostics_.open) {
        const Loc at = root["diagnostics"];
        take(diagnostics_, parsed, at[diagnostics_.count], kMaxDiagnostics,
             [&](const json& v, const Loc& l, Diagnostic& d) { return read_diagnostic(v, l, d); });
        return false;
    }
    if (depth == 2 && ends && warnings_.open) {
        const Loc at = root["warnings"];
        take(warnings_, parsed, at[warnings_.count], kMaxDiagnostics,
             [&](const json& v, const Loc& l, std::string& w) { return get_text(v, l, w); });
        return false;
    }
    if (depth == 3 && ends && threads_.open) {
        const Loc facts = root["facts"];
        const Loc at = facts["threads"];
        take(threads_, parsed, at[threads_.count], SIZE_MAX,
             [&](const json& v, const Loc& l, ThreadInfo& t) { return read_thread(v, l, t); });
        return false;
    }
    return true;
}

Result<Target> Reader::read(const Parse& parse) {
    json parsed;
    bool stopped = false;
    try {
        parsed = parse([this](int depth, json::parse_event_t event, json& value) {
            return on_parse(depth, event, value);
        });
    } catch (const StopParse&) {
        stopped = true;  // what was read so far is in top_, and holds the first problem
    } catch (const json::parse_error& e) {
        // "[json.exception.parse_error.101] parse error at line 1, column 2: ...": the part
        // after the bracket is the sentence.
        std::string_view what = e.what();
        if (const std::size_t close = what.find("] "); close != std::string_view::npos)
            what.remove_prefix(close + 2);
        return make_error(ErrorKind::MalformedInput,
                          fmt::format("{}: not a snapshot: not valid JSON: {}", name_, what));
    }
    const Loc root;
    if (!stopped && !parsed.is_object()) {
        wrong(root, "not a JSON object", parsed);
        return *error_;
    }
    const json& doc = top_;

    // Another JSON document of vmatlas's, a view's --json, says what it is by its schema.
    const auto schema = doc.find("schema");
    if (schema != doc.end() && schema->is_string() && !doc.contains("format") &&
        schema->get_ref<const std::string&>() != kSnapshotSchema) {
        fail(root, fmt::format("not a snapshot: its schema is {}, the JSON of a view; "
                               "'vmatlas save' writes a snapshot",
                               describe(*schema)));
        return *error_;
    }
    std::string format;
    if (!text(doc, root, "format", format)) return *error_;
    if (format != kSnapshotFormat) {
        wrong(root["format"], "not \"vmatlas-snapshot\": this is not a vmatlas snapshot",
              doc["format"]);
        return *error_;
    }
    std::uint64_t version = 0;
    if (!u64(doc, root, "version", version)) return *error_;
    if (version != kSnapshotVersion) {
        fail(root["version"],
             fmt::format("version {} is not supported: this vmatlas reads version {}", version,
                         kSnapshotVersion),
             ErrorKind::Unsupported);
        return *error_;
    }

    SourceInfo source;
    RowAccount account;
    bool incomplete = false, with_figures = false, with_sections = false;
    Target t;
    t.kind = TargetKind::Snapshot;
    Annotations names;
    if (!(read_source(doc, root, source) && read_account(doc, root, account, incomplete) &&
          boolean(doc, root, "figures", with_figures) &&
          boolean(doc, root, "sections", with_sections) && read_facts(doc, root, t.facts)))
        return *error_;
    // Each array: the document's member must be one, and its elements were read as parsed.
    auto elements = [&](const char* key, auto& parsed_elements) -> bool {
        if (!array(doc, root, key)) return false;
        if (parsed_elements.error) {
            error_ = std::move(parsed_elements.error);
            return false;
        }
        return true;
    };
    if (!elements("diagnostics", diagnostics_) || !elements("warnings", warnings_) ||
        !elements("rows", rows_))
        return *error_;
    names.warnings = std::move(warnings_.items);
    if (warnings_.count > names.warnings.size())
        names.warnings.push_back(
            fmt::format("{} more warnings are not kept", warnings_.count - names.warnings.size()));

    const Loc rows_at = root["rows"];
    std::vector<Row> rows = std::move(rows_.items);
    // Rows read before the snapshot said whether every row has figures and sections.
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const Loc at = rows_at[i];
        if (rows[i].has_sections != with_sections) {
            fail(at["sections"],
                 with_sections ? "missing" : "present, but the snapshot's \"sections\" is false");
            return *error_;
        }
        if (rows[i].has_figures != with_figures) {
            fail(at["figures"],
                 with_figures ? "missing" : "present, but the snapshot's \"figures\" is false");
            return *error_;
        }
    }
    if (rows.empty()) {
        fail(rows_at, "empty: a snapshot holds at least one row");
        return *error_;
    }
    if (account.kept != rows.size()) {
        fail(root["account"]["kept"],
             fmt::format("{}, but rows holds {}", account.kept, rows.size()));
        return *error_;
    }
    AddressSpaceBuilder builder(std::move(source));
    for (Row& r : rows) {
        r.m.path = builder.intern(r.path);
        r.label.object = r.object.empty() ? kNoPath : builder.intern(r.object);
        std::string().swap(r.path);
        std::string().swap(r.object);
    }

    // What the saved source's builder recorded: its account and its diagnostics, as they were.
    builder.carry(account, std::move(diagnostics_.items), incomplete ? Loss::Input : Loss::None);
    builder.count_unkept(diagnostics_.count - std::min(diagnostics_.count, kMaxDiagnostics));

    // Rows out of order, or overlapping, are the builder's to sort out; say where they are.
    bool sorted = true;
    for (std::size_t i = 1; i < rows.size() && sorted; ++i)
        if (rows[i].m.start < rows[i - 1].m.start) {
            sorted = false;
            builder.warn({0, 0,
                          fmt::format("rows[{}] starts at {:#x}, below rows[{}] at {:#x}: the "
                                      "rows are sorted by address",
                                      i, rows[i].m.start, i - 1, rows[i - 1].m.start)});
        }
    std::vector<std::size_t> order(rows.size());
    std::iota(order.begin(), order.end(), 0);
    if (!sorted)
        std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
            return rows[a].m.start < rows[b].m.start;
        });
    bool overlap = false;
    for (std::size_t k = 1; k < order.size() && !overlap; ++k) {
        const Mapping& a = rows[order[k - 1]].m;
        const Mapping& b = rows[order[k]].m;
        if (a.end > b.start) {
            overlap = true;
            builder.lose({0, 0,
                          fmt::format("rows[{}] ({:#x}-{:#x}) overlaps rows[{}] ({:#x}-{:#x}): of "
                                      "two overlapping rows the later one is kept",
                                      order[k], b.start, b.end, order[k - 1], a.start, a.end)});
        }
    }

    for (const Row& r : rows) {
        if (with_figures)
            builder.add(r.m, r.figures);
        else
            builder.add(r.m);
    }
    t.space = std::move(builder).build();

    // Each kept mapping's names are those of its row. When rows overlapped, the kept one of
    // several equal rows is the one read last: the builder keeps the later of two that overlap.
    const std::size_t n = t.space.size();
    names.labels.resize(n);
    names.roles.resize(n);
    if (with_sections) names.sections.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
        std::size_t from = i;
        if (!(sorted && !overlap)) {
            const Mapping& m = t.space[i];
            auto first =
                std::lower_bound(order.begin(), order.end(), m.start,
                                 [&](std::size_t r, Addr a) { return rows[r].m.start < a; });
            auto last = first;
            while (last != order.end() && rows[*last].m.start == m.start) ++last;
            from = SIZE_MAX;
            for (auto it = first; it != last; ++it)
                if (rows[*it].m == m && (from == SIZE_MAX || *it > from)) from = *it;
            if (from == SIZE_MAX) continue;  // cannot happen: every kept row is one of these
        }
        Row& r = rows[from];
        names.labels[i] = std::move(r.label);
        names.roles[i] = r.role;
        if (with_sections) names.sections[i] = std::move(r.sections);
    }
    t.names = std::move(names);
    return t;
}

}  // namespace

bool looks_like_snapshot(std::string_view text) {
    const std::size_t first = text.find_first_not_of(" \t\r\n");
    return first != std::string_view::npos && text[first] == '{';
}

namespace {

// The bytes of a snapshot as they arrive, for json::parse through SnapshotIterator: the pieces of
// a TextInput, ended early past kMaxSnapshotBytes or at a line longer than kMaxSnapshotLineBytes
// (then the parse fails, and cut() says why).
class SnapshotBytes {
  public:
    explicit SnapshotBytes(TextInput& in) : in_(in) {}

    bool at_end() { return pos_ == piece_.size() && !refill(); }
    char get() const { return piece_[pos_]; }
    void advance() { ++pos_; }

    // Why the text was ended early, if it was.
    std::optional<Error> cut() const { return cut_; }

  private:
    bool refill() {
        if (stopped_) return false;
        const auto next = in_.next_piece();
        if (!next) return stop(next.error());
        std::string_view piece = *next;
        if (piece.empty()) return stop(std::nullopt);
        if (total_ + piece.size() > kMaxSnapshotBytes) {
            piece = piece.substr(0, kMaxSnapshotBytes - total_);
            cut_ = make_error(ErrorKind::MalformedInput,
                              fmt::format("{}: not a snapshot: it is longer than {} MiB, the most "
                                          "a snapshot may be",
                                          in_.name(), kMaxSnapshotBytes >> 20));
        }
        // The writer writes one row a line: a line this long is no snapshot's.
        for (std::size_t at = 0; at < piece.size();) {
            const void* nl = std::memchr(piece.data() + at, '\n', piece.size() - at);
            const std::size_t end =
                nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - piece.data())
                   : piece.size();
            line_ += end - at;
            if (line_ > kMaxSnapshotLineBytes) {
                piece = piece.substr(0, end - (line_ - kMaxSnapshotLineBytes));
                cut_ = make_error(ErrorKind::MalformedInput,
                                  fmt::format("{}: not a snapshot: a line is longer than {} MiB",
                                              in_.name(), kMaxSnapshotLineBytes >> 20));
                break;
            }
            if (nl) line_ = 0;
            at = end + 1;
        }
        if (cut_) stopped_ = true;
        total_ += piece.size();
        piece_ = piece;
        pos_ = 0;
        return !piece_.empty();
    }
    bool stop(std::optional<Error> error) {
        stopped_ = true;
        if (error && !cut_) cut_ = std::move(error);
        piece_ = {};
        pos_ = 0;
        return false;
    }

    TextInput& in_;
    std::string_view piece_;
    std::size_t pos_ = 0, line_ = 0;
    std::uint64_t total_ = 0;
    bool stopped_ = false;
    std::optional<Error> cut_;
};

// An input iterator over SnapshotBytes: json::parse reads through it a byte at a time.
struct SnapshotIterator {
    using iterator_category = std::input_iterator_tag;
    using value_type = char;
    using difference_type = std::ptrdiff_t;
    using pointer = const char*;
    using reference = char;

    SnapshotBytes* bytes = nullptr;  // null: the end

    char operator*() const { return bytes->get(); }
    SnapshotIterator& operator++() {
        bytes->advance();
        return *this;
    }
    SnapshotIterator operator++(int) {
        SnapshotIterator before = *this;
        ++*this;
        return before;
    }
    bool done() const { return bytes == nullptr || bytes->at_end(); }
    friend bool operator==(const SnapshotIterator& a, const SnapshotIterator& b) {
        return a.done() == b.done();
    }
};

std::string snapshot_name(std::string origin) {
    return origin == "-" ? std::string("standard input") : std::move(origin);
}

// Reads with reader, turning an exception of the JSON library into an error: every value is
// checked before it is read, so none is expected; should one come anyway, it is this input's
// fault, not a reason to stop the program.
Result<Target> read_guarded(Reader& reader, const std::string& name, const Parse& parse) {
    try {
        return reader.read(parse);
    } catch (const json::exception& e) {
        return make_error(ErrorKind::MalformedInput,
                          fmt::format("{}: not a snapshot: {}", name, e.what()));
    }
}

}  // namespace

Result<Target> read_snapshot(std::string_view text, std::string origin) {
    const std::string name = snapshot_name(std::move(origin));
    Reader reader(name);
    return read_guarded(reader, name, [&](const ParseCallback& on_parse) {
        return json::parse(text.data(), text.data() + text.size(), on_parse);
    });
}

Result<Target> read_snapshot_input(TextInput& in, std::string origin) {
    const std::string name = snapshot_name(std::move(origin));
    Reader reader(name);
    SnapshotBytes bytes(in);
    auto target = read_guarded(reader, name, [&](const ParseCallback& on_parse) {
        return json::parse(SnapshotIterator{&bytes}, SnapshotIterator{}, on_parse);
    });
    if (auto cut = bytes.cut()) return *cut;
    return target;
}

}  // namespace vmatlas
