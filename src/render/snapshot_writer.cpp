// The snapshot writer: an annotated map as the JSON of docs/snapshot.md, byte for byte the same
// for the same map. One line per row (and per thread, diagnostic and warning), so that two
// snapshots compare well with diff.
#include <sys/utsname.h>
#include <ctime>

#include <fmt/format.h>

#include "model/number_text.hpp"
#include "model/utf8.hpp"
#include "render/json_writer.hpp"
#include "render/safe_text.hpp"
#include "sources/snapshot_fields.hpp"
#include "vmatlas/snapshot.hpp"

namespace vmatlas {

namespace {

// What a snapshot writes beyond render/json_writer.hpp's values: bytes as a JSON string when they
// are UTF-8, else as {"hex": "..."}, so that every byte comes back; optional addresses.
JsonWriter& text(JsonWriter& w, std::string_view s) {
    if (valid_utf8(s)) return w.string(s);  // exact for valid UTF-8
    std::string hex;
    for (const char c : s) append_hex(hex, static_cast<unsigned char>(c), 2);
    return w.begin_object().key("hex").string(hex).end_object();
}

JsonWriter& hex_or_null(JsonWriter& w, const std::optional<Addr>& v) {
    return v ? w.hex(*v) : w.null();
}

// `"name":[` then one element a line, each written by `each(emitter, i)`, then `]`.
template <typename Each>
void lines_array(std::string& out, std::string_view name, std::size_t n, Each&& each) {
    out += '"';
    out += name;
    out += "\":[";
    for (std::size_t i = 0; i < n; ++i) {
        out += i == 0 ? "\n" : ",\n";
        JsonWriter e(out);
        each(e, i);
    }
    out += n == 0 ? "]" : "\n]";
}

void write_source(std::string& out, const SourceInfo& src, const SnapshotStamp& stamp) {
    JsonWriter e(out);
    e.key("source").begin_object();  // a member of the top-level object, written around it
    text(e.key("kind"), to_string(src.kind));
    text(e.key("origin"), src.origin);
    e.key("pid");
    if (src.pid > 0)
        e.number(static_cast<std::uint64_t>(src.pid));
    else
        e.null();
    text(e.key("process"), src.process_name);
    if (!src.arguments.empty()) text(e.key("arguments"), src.arguments);
    if (!src.method.empty()) text(e.key("method"), src.method);
    text(e.key("time"), src.time.empty() ? stamp.time : src.time);
    text(e.key("kernel"), src.kernel.empty() ? stamp.kernel : src.kernel);
    e.end_object();
}

void write_account(std::string& out, const AddressSpace& space) {
    const RowAccount& rows = space.rows();
    JsonWriter e(out);
    e.key("account").begin_object();
    e.key("read").number(rows.read);
    e.key("kept").number(rows.kept);
    e.key("superseded").number(rows.superseded);
    e.key("rejected").number(rows.rejected);
    e.key("incomplete").boolean(space.incomplete());
    e.end_object();
}

void write_facts(std::string& out, const ProcessFacts& facts) {
    // Members of the facts object, which is written around them: the commas are this code's.
    auto member = [&](std::string_view key, const std::optional<Addr>& v) {
        JsonWriter w(out);
        hex_or_null(w.key(key), v);
        out += ',';
    };
    member("vdso", facts.vdso);
    member("entry", facts.entry);
    member("phdr", facts.phdr);
    if (!facts.has_threads) {
        out += "\"threads\":null";
        return;
    }
    lines_array(out, "threads", facts.threads.size(), [&](JsonWriter& e, std::size_t i) {
        const ThreadInfo& t = facts.threads[i];
        e.begin_object();
        e.key("tid").signed_number(t.tid);
        text(e.key("name"), t.name);
        hex_or_null(e.key("sp"), t.sp);
        text(e.key("sp_source"), to_string(t.sp_source));
        text(e.key("sp_error"), t.sp_error);
        e.end_object();
    });
}

void write_row(JsonWriter& e, const AddressSpace& space, const Annotations& notes, std::size_t i,
               bool with_sections) {
    const Mapping& m = space[i];
    e.begin_object();
    e.key("start").hex(m.start);
    e.key("end").hex(m.end);
    const auto perms = m.perms.text();
    text(e.key("perms"), std::string_view(perms.data(), perms.size()));
    e.key("offset").hex(raw(m.offset));
    text(e.key("dev"), fmt::format("{:02x}:{:02x}", m.dev_major, m.dev_minor));
    e.key("inode").number(m.inode);
    text(e.key("path"), space.path(m));
    e.key("flags").begin_array();
    for (const snapshot::FlagKey& f : snapshot::kFlagKeys)
        if (m.flags & f.bit) text(e, f.key);
    e.end_array();

    // Annotations shorter than the map (a caller that made none) leave the rest unnamed.
    const Label* label = i < notes.labels.size() ? &notes.labels[i] : nullptr;
    text(e.key("name"), label ? std::string_view(label->name) : std::string_view());
    text(e.key("name_source"), label ? to_string(label->source) : "");
    const PathId object = label ? label->object : kNoPath;
    text(e.key("object"), object < space.paths().size() ? space.paths().get(object) : "");
    text(e.key("role"), to_string(i < notes.roles.size() ? notes.roles[i] : Role::Other));
    if (with_sections) text(e.key("sections"), notes.sections[i]);

    if (!space.figures().empty()) {
        const Figures& f = space.figures()[i];
        e.key("figures").begin_object();
        for (const snapshot::FigureKey& k : snapshot::kFigureKeys) e.key(k.key).number(f.*k.field);
        e.key("thp_eligible").boolean(f.thp_eligible);
        text(e.key("vm_flags"), f.vm_flags);
        e.end_object();
    }
    e.end_object();
}

}  // namespace

SnapshotStamp snapshot_stamp_now() {
    SnapshotStamp stamp;
    const std::time_t now = std::time(nullptr);
    std::tm utc{};
    char buf[32];
    if (gmtime_r(&now, &utc) && std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &utc))
        stamp.time = buf;
    struct utsname u;
    if (uname(&u) == 0) stamp.kernel = fmt::format("{} {}", u.sysname, u.release);
    return stamp;
}

std::string write_snapshot(const AddressSpace& space, const Annotations& notes,
                           const ProcessFacts& facts, const SnapshotStamp& stamp) {
    const bool with_sections = !space.empty() && notes.sections.size() == space.size();
    const bool with_figures = !space.figures().empty();
    std::string out;
    out.reserve(256 + space.size() * (with_figures ? 640 : 200));
    out += fmt::format("{{\"schema\":\"{}\",\"format\":\"{}\",\"version\":{},\n", kSnapshotSchema,
                       kSnapshotFormat, kSnapshotVersion);
    write_source(out, space.source(), stamp);
    out += ",\n";
    write_account(out, space);
    out += fmt::format(",\n\"figures\":{},\"sections\":{},\n", with_figures, with_sections);
    out += "\"facts\":{";
    write_facts(out, facts);
    out += "},\n";
    lines_array(out, "diagnostics", space.diagnostics().size(), [&](JsonWriter& e, std::size_t i) {
        const Diagnostic& d = space.diagnostics()[i];
        e.begin_object();
        e.key("line").number(d.line);
        e.key("column").number(d.column);
        text(e.key("message"), d.message);
        e.end_object();
    });
    out += ",\n";
    lines_array(out, "warnings", notes.warnings.size(),
                [&](JsonWriter& e, std::size_t i) { text(e, notes.warnings[i]); });
    out += ",\n";
    lines_array(out, "rows", space.size(), [&](JsonWriter& e, std::size_t i) {
        write_row(e, space, notes, i, with_sections);
    });
    out += "}\n";
    return out;
}

}  // namespace vmatlas
