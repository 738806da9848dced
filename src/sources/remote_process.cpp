// What a gdbserver says of its process: threads, registers, auxv (remote_process.hpp).
#include "sources/remote_process.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <span>

#include <fmt/format.h>

#include "model/utf8.hpp"
#include "sources/core_notes.hpp"

namespace vmatlas::remote {

namespace {

Error malformed(std::string message) {
    return make_error(ErrorKind::MalformedInput, std::move(message));
}

std::string quoted(std::string_view text) {
    return fmt::format("'{}'", text.substr(0, std::min<std::size_t>(text.size(), 40)));
}

// An unsigned number in the given base, all of the text; none when it is not one or overflows.
std::optional<unsigned long long> parse_number(std::string_view text, int base) {
    unsigned long long v = 0;
    if (text.empty()) return std::nullopt;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v, base);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return v;
}

// XML text with its five named entities and character references written out.
Result<std::string> decode_entities(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        if (text[i] != '&') {
            out += text[i++];
            continue;
        }
        const std::size_t semi = text.find(';', i);
        if (semi == std::string_view::npos || semi - i > 12)
            return malformed(
                fmt::format("an '&' that starts no entity: {}", quoted(text.substr(i))));
        const std::string_view name = text.substr(i + 1, semi - i - 1);
        if (name == "lt")
            out += '<';
        else if (name == "gt")
            out += '>';
        else if (name == "amp")
            out += '&';
        else if (name == "quot")
            out += '"';
        else if (name == "apos")
            out += '\'';
        else {
            std::optional<unsigned long long> cp;
            if (name.starts_with("#x"))
                cp = parse_number(name.substr(2), 16);
            else if (name.starts_with('#'))
                cp = parse_number(name.substr(1), 10);
            if (!cp || *cp == 0 || *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff))
                return malformed(fmt::format("an unknown entity &{};", name));
            append_utf8(out, static_cast<char32_t>(*cp));
        }
        i = semi + 1;
    }
    return out;
}

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

// One tag of an XML document: <name a="v" ...>, </name> or <name .../>.
struct Tag {
    std::string_view name;
    std::vector<std::pair<std::string_view, std::string>> attributes;  // values decoded
    bool closing = false;                                              // </name>
    bool self_closing = false;                                         // <name/>
    std::size_t end = 0;                                               // just after its '>'

    const std::string* attribute(std::string_view key) const {
        for (const auto& [k, v] : attributes)
            if (k == key) return &v;
        return nullptr;
    }
};

// The tags of a document in order, past comments, processing instructions (<?xml ...?>) and
// declarations (<!DOCTYPE ...>). Not a validating parser: it reads what gdb's documents hold
// (threads, target descriptions) and refuses what it cannot read.
class TagReader {
  public:
    explicit TagReader(std::string_view xml) : xml_(xml) {}

    // The next tag; none at the end of the document.
    Result<std::optional<Tag>> next() {
        for (;;) {
            const std::size_t lt = xml_.find('<', at_);
            if (lt == std::string_view::npos) {
                at_ = xml_.size();
                return std::optional<Tag>();
            }
            const std::string_view rest = xml_.substr(lt);
            if (rest.starts_with("<!--")) {
                if (!skip_past(lt, "-->")) return malformed(unclosed(lt, "comment"));
            } else if (rest.starts_with("<?")) {
                if (!skip_past(lt, "?>")) return malformed(unclosed(lt, "processing instruction"));
            } else if (rest.starts_with("<![CDATA[")) {
                if (!skip_past(lt, "]]>")) return malformed(unclosed(lt, "CDATA section"));
            } else if (rest.starts_with("<!")) {
                // <!DOCTYPE target SYSTEM "gdb-target.dtd">, or with an internal subset [...]
                const std::size_t open = xml_.find('[', lt);
                const std::size_t gt = xml_.find('>', lt);
                if (gt == std::string_view::npos) return malformed(unclosed(lt, "declaration"));
                if (open != std::string_view::npos && open < gt) {
                    if (!skip_past(lt, "]>")) return malformed(unclosed(lt, "declaration"));
                } else {
                    at_ = gt + 1;
                }
            } else {
                auto tag = read_tag(lt);
                if (!tag) return tag.error();
                at_ = tag->end;
                return std::optional<Tag>(std::move(*tag));
            }
        }
    }

    // The text from offset `from` to the next '<', entities written out.
    Result<std::string> text_from(std::size_t from) const {
        const std::size_t lt = xml_.find('<', from);
        return decode_entities(xml_.substr(from, lt == std::string_view::npos ? lt : lt - from));
    }

  private:
    bool skip_past(std::size_t from, std::string_view end) {
        const std::size_t at = xml_.find(end, from);
        if (at == std::string_view::npos) return false;
        at_ = at + end.size();
        return true;
    }
    static std::string unclosed(std::size_t at, std::string_view what) {
        return fmt::format("a {} at offset {} that does not end", what, at);
    }
    static bool name_char(char c) {
        return !is_space(c) && c != '/' && c != '>' && c != '=' && c != '<' && c != '"' &&
               c != '\'';
    }

    Result<Tag> read_tag(std::size_t lt) const {
        Tag tag;
        std::size_t i = lt + 1;
        auto bad = [&](std::string_view what) {
            return malformed(fmt::format("the tag at offset {} {}", lt, what));
        };
        if (i < xml_.size() && xml_[i] == '/') tag.closing = true, ++i;
        const std::size_t name_start = i;
        while (i < xml_.size() && name_char(xml_[i])) ++i;
        tag.name = xml_.substr(name_start, i - name_start);
        if (tag.name.empty()) return bad("has no name");
        for (;;) {
            while (i < xml_.size() && is_space(xml_[i])) ++i;
            if (i >= xml_.size()) return bad("does not end");
            if (xml_[i] == '>') {
                tag.end = i + 1;
                return tag;
            }
            if (xml_[i] == '/' && i + 1 < xml_.size() && xml_[i + 1] == '>') {
                if (tag.closing) return bad("both opens and closes");
                tag.self_closing = true;
                tag.end = i + 2;
                return tag;
            }
            if (tag.closing) return bad("closes with attributes");
            const std::size_t key_start = i;
            while (i < xml_.size() && name_char(xml_[i])) ++i;
            const std::string_view key = xml_.substr(key_start, i - key_start);
            while (i < xml_.size() && is_space(xml_[i])) ++i;
            if (key.empty() || i >= xml_.size() || xml_[i] != '=')
                return bad("has an attribute without a value");
            ++i;
            while (i < xml_.size() && is_space(xml_[i])) ++i;
            if (i >= xml_.size() || (xml_[i] != '"' && xml_[i] != '\''))
                return bad(fmt::format("has an unquoted value of {}", key));
            const char quote = xml_[i++];
            const std::size_t close = xml_.find(quote, i);
            if (close == std::string_view::npos)
                return bad(fmt::format("has a value of {} that does not end", key));
            auto value = decode_entities(xml_.substr(i, close - i));
            if (!value)
                return bad(fmt::format("has a value of {} with {}", key, value.error().message));
            tag.attributes.emplace_back(key, std::move(*value));
            i = close + 1;
        }
    }

    std::string_view xml_;
    std::size_t at_ = 0;
};

// A thread id: "p<pid>.<tid>" (multiprocess) or "<tid>", in hex.
std::optional<StubThread> parse_thread_id(std::string_view id) {
    StubThread t;
    t.id = std::string(id);
    std::string_view tid = id;
    if (id.starts_with('p')) {
        const std::size_t dot = id.find('.');
        if (dot == std::string_view::npos) return std::nullopt;
        const auto pid = parse_number(id.substr(1, dot - 1), 16);
        if (!pid || *pid == 0 || *pid > 0x7fffffff) return std::nullopt;
        t.pid = static_cast<int>(*pid);
        tid = id.substr(dot + 1);
    }
    const auto v = parse_number(tid, 16);
    if (!v || *v == 0 || *v > 0x7fffffff) return std::nullopt;
    t.tid = static_cast<int>(*v);
    return t;
}

// gdb's own numbering of the registers where a description names none (its built-in register
// sets): rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp (amd64); eax, ecx, edx, ebx, esp (i386);
// x0..x30, sp (aarch64). Every register before the stack pointer is as wide as it.
struct ArchitectureStack {
    std::string_view architecture;  // as <architecture> names it
    std::string_view name;          // the stack pointer register
    unsigned word;                  // of the auxiliary vector
    unsigned long fixed_regnum;
    unsigned fixed_bytes;
};

constexpr ArchitectureStack kArchitectures[] = {
    {"i386:x86-64", "rsp", 8, 7, 8}, {"i386:x86-64:intel", "rsp", 8, 7, 8},
    {"i386:x64-32", "rsp", 4, 7, 8}, {"i386:x64-32:intel", "rsp", 4, 7, 8},
    {"i386", "esp", 4, 4, 4},        {"i386:intel", "esp", 4, 4, 4},
    {"aarch64", "sp", 8, 31, 8},
};

constexpr int kMaxIncludeDepth = 8;
constexpr int kMaxDocuments = 64;
constexpr unsigned long kMaxRegnum = 1 << 16;
constexpr unsigned long kMaxBitsize = 1 << 16;

struct DescriptionWalk {
    const ReadDocument& read_include;
    TargetDescription out;
    unsigned long next_regnum = 0;
    int documents = 0;

    std::optional<Error> walk(std::string_view xml, std::string_view where, int depth) {
        if (++documents > kMaxDocuments)
            return malformed(fmt::format("more than {} documents", kMaxDocuments));
        TagReader reader(xml);
        for (;;) {
            auto tag = reader.next();
            if (!tag) return in(where, tag.error());
            if (!*tag) return std::nullopt;
            const Tag& t = **tag;
            if (t.closing) continue;
            if (t.name == "architecture" && !t.self_closing) {
                auto text = reader.text_from(t.end);
                if (!text) return in(where, text.error());
                out.architecture = std::string(trim(*text));
            } else if (t.name == "reg") {
                if (auto e = add_register(t)) return in(where, *e);
            } else if (t.name == "xi:include" || t.name == "include") {
                const std::string* href = t.attribute("href");
                if (href == nullptr || href->empty())
                    return in(where, malformed("an xi:include without an href"));
                // It becomes part of a packet: only a file name's characters, never '#' or '$'.
                if (href->size() > 200 ||
                    href->find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                            "0123456789._-") != std::string::npos)
                    return in(where, malformed("an xi:include whose href is no plain file name"));
                if (depth >= kMaxIncludeDepth)
                    return in(where, malformed(fmt::format("includes nested more than {} deep "
                                                           "(at {})",
                                                           kMaxIncludeDepth, *href)));
                auto included = read_include(*href);
                if (!included) return included.error();
                if (auto e = walk(*included, *href, depth + 1)) return e;
            }
        }
    }

    std::optional<Error> add_register(const Tag& t) {
        const std::string* name = t.attribute("name");
        const std::string* bitsize = t.attribute("bitsize");
        if (name == nullptr || bitsize == nullptr)
            return malformed("a reg without a name or a bitsize");
        const auto bits = parse_number(*bitsize, 10);
        if (!bits || *bits == 0 || *bits > kMaxBitsize)
            return malformed(fmt::format("register {} has bitsize {}", *name, quoted(*bitsize)));
        unsigned long regnum = next_regnum;
        if (const std::string* r = t.attribute("regnum")) {
            const auto v = parse_number(*r, 10);
            if (!v || *v > kMaxRegnum)
                return malformed(fmt::format("register {} has regnum {}", *name, quoted(*r)));
            regnum = static_cast<unsigned long>(*v);
        }
        if (regnum > kMaxRegnum)
            return malformed(fmt::format("more than {} registers", kMaxRegnum));
        out.registers.push_back({*name, regnum, static_cast<unsigned long>(*bits)});
        next_regnum = regnum + 1;
        return std::nullopt;
    }

    static Error in(std::string_view where, const Error& e) {
        return make_error(e.kind, fmt::format("{}: {}", where, e.message));
    }
};

std::size_t packet_size(const RemoteConnection& stub) {
    std::size_t packet = 4096;
    const std::string& s = stub.supported();
    if (const auto at = s.find("PacketSize="); at != std::string::npos) {
        const auto end = s.find(';', at);
        const auto v = parse_number(std::string_view(s).substr(at + 11, end - at - 11), 16);
        if (v && *v >= 256)
            packet = static_cast<std::size_t>(std::min<unsigned long long>(*v, 1 << 20));
    }
    return packet;
}

}  // namespace

Result<std::vector<StubThread>> parse_threads_xml(std::string_view xml) {
    std::vector<StubThread> threads;
    TagReader reader(xml);
    bool in_threads = false;
    for (;;) {
        auto tag = reader.next();
        if (!tag) return tag.error();
        if (!*tag) break;
        const Tag& t = **tag;
        if (t.name == "threads") {
            in_threads = !t.closing && !t.self_closing;
            continue;
        }
        if (t.name != "thread" || t.closing || !in_threads) continue;
        const std::string* id = t.attribute("id");
        if (id == nullptr) return malformed(fmt::format("thread {} has no id", threads.size() + 1));
        auto thread = parse_thread_id(*id);
        if (!thread)
            return malformed(
                fmt::format("thread {}'s id {} is no thread id", threads.size() + 1, quoted(*id)));
        if (const std::string* name = t.attribute("name")) thread->name = *name;
        threads.push_back(std::move(*thread));
    }
    return threads;
}

Result<TargetDescription> parse_target_description(std::string_view xml,
                                                   const ReadDocument& read_include) {
    DescriptionWalk walk{read_include, {}, 0, 0};
    if (auto e = walk.walk(xml, "target.xml", 0)) return *e;
    return std::move(walk.out);
}

std::optional<StackPointerRegister> find_stack_pointer(const TargetDescription& d) {
    const ArchitectureStack* arch = nullptr;
    for (const ArchitectureStack& a : kArchitectures)
        if (a.architecture == d.architecture) arch = &a;
    if (d.registers.empty()) {
        if (arch == nullptr) return std::nullopt;
        return StackPointerRegister{std::string(arch->name), arch->fixed_regnum, arch->fixed_bytes,
                                    arch->fixed_regnum * arch->fixed_bytes, arch->word};
    }
    const RegisterInfo* sp = nullptr;
    for (const std::string_view name : {"rsp", "esp", "sp"}) {
        if (arch != nullptr && name != arch->name) continue;
        for (const RegisterInfo& r : d.registers)
            if (r.name == name) {
                sp = &r;
                break;
            }
        if (sp != nullptr) break;
    }
    if (sp == nullptr || sp->bitsize % 8 != 0 || sp->bitsize > 64) return std::nullopt;
    StackPointerRegister out{sp->name, sp->regnum, static_cast<unsigned>(sp->bitsize / 8), {}, 0};
    out.word = arch != nullptr ? arch->word : out.bytes;
    if (out.word != 4 && out.word != 8) return std::nullopt;
    // g holds the registers in the order of their numbers, each as wide as its bitsize: the
    // offset is known when every register below the stack pointer's number is there, in whole
    // bytes, once.
    std::vector<const RegisterInfo*> below;
    for (const RegisterInfo& r : d.registers)
        if (r.regnum < sp->regnum) below.push_back(&r);
    std::sort(below.begin(), below.end(),
              [](const RegisterInfo* a, const RegisterInfo* b) { return a->regnum < b->regnum; });
    std::size_t offset = 0;
    bool whole = below.size() == sp->regnum;
    for (std::size_t i = 0; whole && i < below.size(); ++i) {
        whole = below[i]->regnum == i && below[i]->bitsize % 8 == 0;
        offset += below[i]->bitsize / 8;
    }
    if (whole) out.g_offset = offset;
    return out;
}

std::optional<Addr> decode_register(std::string_view hex, unsigned bytes) {
    if (bytes == 0 || bytes > 8 || hex.size() != 2 * std::size_t{bytes}) return std::nullopt;
    Addr v = 0;
    for (unsigned i = bytes; i-- > 0;) {
        const auto byte = parse_number(hex.substr(2 * i, 2), 16);
        if (!byte || hex[2 * i] == '+' || hex[2 * i] == '-') return std::nullopt;
        v = (v << 8) | *byte;
    }
    return v;
}

Result<ProcessFacts> decode_auxv_facts(std::string_view bytes, unsigned word) {
    const core::Layout layout{.word = word, .big_endian = false, .machine = 0};
    auto auxv = core::decode_auxv(
        core::Bytes(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()), layout);
    if (!auxv) return auxv.error();
    ProcessFacts facts;
    facts.vdso = auxv->sysinfo_ehdr;
    facts.entry = auxv->entry;
    facts.phdr = auxv->phdr;
    return facts;
}

bool offers_qxfer(const RemoteConnection& stub, std::string_view object) {
    const std::string feature = fmt::format("qXfer:{}:read+", object);
    std::string_view s = stub.supported();
    while (!s.empty()) {
        const std::size_t semi = s.find(';');
        if (s.substr(0, semi) == feature) return true;
        if (semi == std::string_view::npos) break;
        s.remove_prefix(semi + 1);
    }
    return false;
}

Result<std::string> read_qxfer(RemoteConnection& stub, std::string_view object,
                               std::string_view annex, std::size_t max_bytes) {
    // What fits in the stub's packets escaped (each byte at most two), with room for the 'm'.
    const std::size_t length = (packet_size(stub) - 32) / 2;
    std::string data;
    for (;;) {
        const std::string request =
            fmt::format("qXfer:{}:read:{}:{:x},{:x}", object, annex, data.size(), length);
        auto reply = stub.request(request);
        if (!reply) return reply.error();
        const std::string what = fmt::format("{} answered {}", stub.name(), request);
        if (reply->empty())
            return make_error(ErrorKind::Unsupported,
                              what + " with nothing: it does not support it");
        if (error_reply(*reply))
            return make_error(ErrorKind::UnreadableInput, fmt::format("{} with {}", what, *reply));
        const char kind = (*reply)[0];
        if (kind != 'm' && kind != 'l')
            return make_error(
                ErrorKind::UnreadableInput,
                fmt::format("{} with {}, which is no qXfer reply", what, quoted(*reply)));
        auto part = unescape(std::string_view(*reply).substr(1));
        if (!part)
            return make_error(ErrorKind::UnreadableInput,
                              fmt::format("{}: {}", what, part.error().message));
        if (part->size() > max_bytes - data.size())
            return make_error(
                ErrorKind::UnreadableInput,
                fmt::format("{}: the object is larger than {} bytes", what, max_bytes));
        if (kind == 'm' && part->empty())
            return make_error(ErrorKind::UnreadableInput, what + " with 'm' and no data");
        data += *part;
        if (kind == 'l') return data;
    }
}

namespace {

Error unreadable(std::string sentence) {
    return make_error(ErrorKind::UnreadableInput, std::move(sentence));
}

// Reading the facts, each part's failure a warning or a thread's sp_error.
class FactsReader {
  public:
    FactsReader(RemoteConnection& stub, int pid, std::optional<std::string> current_thread)
        : stub_(stub), pid_(pid), named_thread_(current_thread), current_thread_(current_thread) {}

    // Makes `id` the thread whose registers the stub reads next.
    std::optional<Error> select(std::string_view id) {
        auto reply = stub_.request(fmt::format("Hg{}", id));
        selected_ = true;
        if (!reply) return reply.error();
        if (*reply != "OK")
            return unreadable(
                fmt::format("{} answered Hg{} with {}", stub_.name(), id, quoted(*reply)));
        return std::nullopt;
    }

    void read_threads() {
        if (!offers_qxfer(stub_, "threads")) {
            warn(
                fmt::format("{} does not offer qXfer:threads:read: the threads of process {} are "
                            "not read, and their stacks are not named",
                            stub_.name(), pid_));
            return;
        }
        auto xml = read_qxfer(stub_, "threads", "");
        if (!xml)
            return warn(
                fmt::format("cannot read the threads of process {}: {}; thread stacks "
                            "are not named",
                            pid_, xml.error().message));
        auto listed = parse_threads_xml(*xml);
        if (!listed)
            return warn(
                fmt::format("{} sent a thread list that cannot be read ({}): thread "
                            "stacks are not named",
                            stub_.name(), listed.error().message));
        std::vector<StubThread> threads;
        for (StubThread& t : *listed)
            if (!t.pid || *t.pid == pid_) threads.push_back(std::move(t));
        if (threads.empty())
            return warn(
                fmt::format("{}'s thread list has no thread of process {}: thread stacks "
                            "are not named",
                            stub_.name(), pid_));
        if (!current_thread_) current_thread_ = threads.front().id;
        const auto& sp = stack_pointer();
        facts_.has_threads = true;
        for (const StubThread& t : threads) {
            ThreadInfo info;
            info.tid = t.tid;
            info.name = t.name;
            if (!sp) {
                info.sp_error = sp.error().message;
            } else if (auto read = read_stack_pointer(t.id, *sp)) {
                info.sp = *read;
                info.sp_source = StackPointerSource::Registers;
            } else {
                info.sp_error = read.error().message;
            }
            facts_.threads.push_back(std::move(info));
            if (!stub_.connected()) break;
        }
        std::sort(facts_.threads.begin(), facts_.threads.end(),
                  [](const ThreadInfo& a, const ThreadInfo& b) { return a.tid < b.tid; });
    }

    void read_auxv() {
        if (!offers_qxfer(stub_, "auxv")) return;  // maps text has [vdso] and [heap] anyway
        // The words' width is the architecture's, which the target description says.
        const auto& sp = stack_pointer();
        if (!sp)
            return warn(fmt::format("the auxiliary vector of process {} is not read: {}", pid_,
                                    sp.error().message));
        auto bytes = read_qxfer(stub_, "auxv", "");
        if (!bytes)
            return warn(fmt::format("cannot read the auxiliary vector of process {}: {}", pid_,
                                    bytes.error().message));
        auto auxv = decode_auxv_facts(*bytes, sp->word);
        if (!auxv)
            return warn(
                fmt::format("{} sent an auxiliary vector of process {} that cannot be "
                            "read: {}",
                            stub_.name(), pid_, auxv.error().message));
        facts_.vdso = auxv->vdso;
        facts_.entry = auxv->entry;
        facts_.phdr = auxv->phdr;
    }

    // The thread qC named, selected again as this client found it, after a selection of this
    // client's.
    void reselect() {
        if (selected_ && named_thread_ && stub_.connected()) (void)select(*named_thread_);
    }

    ProcessFacts facts_;
    std::vector<std::string> warnings_;

  private:
    // The description's stack pointer, read once. A thread is selected before the description
    // is asked for: gdbserver 13 aborts on qXfer:features:read while none is (a new client
    // finds none selected).
    const Result<StackPointerRegister>& stack_pointer() {
        if (!sp_) sp_ = find_stack_pointer_once();
        return *sp_;
    }

    Result<StackPointerRegister> find_stack_pointer_once() {
        if (!offers_qxfer(stub_, "features"))
            return unreadable(
                fmt::format("{} does not offer qXfer:features:read, which says "
                            "which register is the stack pointer",
                            stub_.name()));
        if (!current_thread_)
            return unreadable(fmt::format("{} names no thread of process {} to read registers of",
                                          stub_.name(), pid_));
        if (auto e = select(*current_thread_)) return *e;
        auto xml = read_qxfer(stub_, "features", "target.xml");
        if (!xml) return xml.error();
        auto description = parse_target_description(
            *xml, [&](const std::string& href) { return read_qxfer(stub_, "features", href); });
        if (!description)
            return unreadable(fmt::format("{}'s target description: {}", stub_.name(),
                                          description.error().message));
        auto sp = find_stack_pointer(*description);
        if (!sp)
            return unreadable(
                fmt::format("{}'s target description (architecture {}) has no "
                            "stack pointer register this reads",
                            stub_.name(), quoted(description->architecture)));
        return *sp;
    }

    Result<Addr> read_stack_pointer(std::string_view thread, const StackPointerRegister& sp) {
        if (auto e = select(thread)) return *e;
        if (!no_p_) {
            const std::string p = fmt::format("p{:x}", sp.regnum);
            auto reply = stub_.request(p);
            if (!reply) return reply.error();
            if (!reply->empty()) {
                if (auto v = decode_register(*reply, sp.bytes)) return *v;
                return unreadable(fmt::format("{} answered {} with {}, not {} bytes of {}",
                                              stub_.name(), p, quoted(*reply), sp.bytes, sp.name));
            }
            no_p_ = true;  // p not supported: g for every thread
        }
        if (!sp.g_offset)
            return unreadable(
                fmt::format("{} does not support p, and where {} is in g's reply "
                            "is not known",
                            stub_.name(), sp.name));
        auto reply = stub_.request("g");
        if (!reply) return reply.error();
        const std::size_t at = 2 * *sp.g_offset;
        std::optional<Addr> v;
        if (reply->size() >= at + 2 * sp.bytes && !error_reply(*reply))
            v = decode_register(std::string_view(*reply).substr(at, 2 * sp.bytes), sp.bytes);
        if (!v)
            return unreadable(fmt::format("{}'s reply to g ({}) holds no {} at byte {}",
                                          stub_.name(), quoted(*reply), sp.name, *sp.g_offset));
        return *v;
    }

    void warn(std::string sentence) { warnings_.push_back(std::move(sentence)); }

    RemoteConnection& stub_;
    int pid_;
    std::optional<std::string> named_thread_;    // by qC
    std::optional<std::string> current_thread_;  // whose selection comes before the description
    std::optional<Result<StackPointerRegister>> sp_;
    bool no_p_ = false;
    bool selected_ = false;  // an Hg was sent
};

}  // namespace

RemoteProcess read_remote_process(RemoteConnection& stub, int pid, std::string_view current) {
    std::optional<std::string> current_thread;
    // Sent back in an Hg packet: only a thread id that parses as one.
    if (current.starts_with("QC") && current.size() > 2 && current.size() < 64 &&
        parse_thread_id(current.substr(2)))
        current_thread = current.substr(2);
    FactsReader reader(stub, pid, current_thread);
    reader.read_threads();
    if (stub.connected()) reader.read_auxv();
    reader.reselect();
    return {std::move(reader.facts_), std::move(reader.warnings_)};
}

}  // namespace vmatlas::remote
