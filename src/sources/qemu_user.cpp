// A QEMU user-mode guest, read from the QEMU process's own map (qemu_user.hpp).
#include "sources/qemu_user.hpp"

#include <elf.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "vmatlas/procfs.hpp"

namespace vmatlas::qemu_user {

namespace {

// QEMU 7.2's user-mode options that take a value (linux-user/main.c, arg_table).
constexpr std::array<std::string_view, 17> kWithValue = {
    "L", "s", "cpu", "E",       "U", "0",    "r",     "g",     "B",
    "R", "d", "D",   "dfilter", "p", "seed", "trace", "plugin"};

// A number as QEMU reads -B (strtoul with base 0: decimal, 0x hex or 0 octal).
std::optional<Addr> parse_number(std::string_view text) {
    if (text.empty() || text.size() > 40 || text[0] == '-' || text[0] == '+') return std::nullopt;
    const std::string s(text);
    errno = 0;
    char* end = nullptr;
    const unsigned long long v = std::strtoull(s.c_str(), &end, 0);
    if (errno != 0 || end != s.c_str() + s.size()) return std::nullopt;
    return Addr{v};
}

// The NUL-separated strings of a /proc file such as cmdline or environ.
std::vector<std::string> split_nul(std::string_view bytes) {
    std::vector<std::string> out;
    while (!bytes.empty()) {
        const std::size_t nul = bytes.find('\0');
        out.emplace_back(bytes.substr(0, nul));
        if (nul == std::string_view::npos) break;
        bytes.remove_prefix(nul + 1);
    }
    return out;
}

constexpr std::string_view kOwnNames[] = {"[heap]",        "[stack]",    "[vdso]",   "[vvar]",
                                          "[vvar_vclock]", "[vsyscall]", "[uprobes]"};

// A row of QEMU's own, never the guest's: see find_guest().
bool qemu_own(const AddressSpace& qemu, const Mapping& m, std::string_view executable) {
    if (m.perms.executable()) return true;
    const std::string_view path = qemu.path(m);
    if (path == executable) return true;
    return std::find(std::begin(kOwnNames), std::end(kOwnNames), path) != std::end(kOwnNames);
}

// x86-64 Linux's vsyscall page, which QEMU serves its x86-64 guests (execute only).
constexpr Addr kVsyscallPage = 0xffffffffff600000;

bool ends_with_program(std::string bytes, std::string_view program) {
    if (program.empty() || bytes.empty() || bytes.back() != '\0') return false;
    while (!bytes.empty() && bytes.back() == '\0') bytes.pop_back();
    if (!std::string_view(bytes).ends_with(program)) return false;
    return bytes.size() == program.size() || bytes[bytes.size() - program.size() - 1] == '\0';
}

}  // namespace

std::optional<Invocation> parse_invocation(const std::vector<std::string>& argv,
                                           const std::vector<std::string>& environment) {
    Invocation inv;
    for (const std::string& e : environment)
        if (e.starts_with("QEMU_GUEST_BASE=")) {
            inv.guest_base = parse_number(std::string_view(e).substr(16));
            if (!inv.guest_base) return std::nullopt;
        }
    std::size_t i = 1;
    while (i < argv.size()) {
        std::string_view arg = argv[i];
        if (!arg.starts_with('-')) break;
        ++i;
        arg.remove_prefix(1);
        if (arg == "-") break;  // "--" ends QEMU's options
        if (arg.starts_with('-')) arg.remove_prefix(1);
        const bool takes_value =
            std::find(kWithValue.begin(), kWithValue.end(), arg) != kWithValue.end();
        if (!takes_value) continue;
        if (i >= argv.size()) return std::nullopt;
        if (arg == "B") {
            inv.guest_base = parse_number(argv[i]);
            if (!inv.guest_base) return std::nullopt;
        }
        ++i;
    }
    if (i >= argv.size() || argv[i].empty()) return std::nullopt;
    inv.program = argv[i];
    inv.arguments.assign(argv.begin() + static_cast<std::ptrdiff_t>(i) + 1, argv.end());
    return inv;
}

Result<GuestWindow> find_guest(const AddressSpace& qemu, const GuestFacts& facts) {
    const auto& rows = qemu.mappings();
    const auto program_row = std::find_if(rows.begin(), rows.end(), [&](const Mapping& m) {
        return !facts.program.empty() && qemu.path(m) == facts.program &&
               !qemu_own(qemu, m, facts.qemu);
    });
    if (program_row == rows.end())
        return make_error(ErrorKind::UnreadableInput,
                          fmt::format("QEMU's map holds no row of the guest program {}: the "
                                      "guest has not been loaded yet, or has replaced itself",
                                      facts.program));
    GuestWindow w;
    if (!facts.wide) {
        // One reservation: the unbroken run of rows around the guest program.
        std::size_t first = static_cast<std::size_t>(program_row - rows.begin()), last = first;
        while (first > 0 && rows[first - 1].end == rows[first].start) --first;
        while (last + 1 < rows.size() && rows[last + 1].start == rows[last].end) ++last;
        w.begin = rows[first].start;
        w.end = rows[last].end;
        w.base = facts.guest_base.value_or(w.begin);
        w.reserved = true;
        w.how = fmt::format(
            "guest base {:#x}{}; the guest's rows are QEMU's reservation {:#x}-{:#x}, which "
            "holds the guest program, but for its rows with no access (QEMU's filler)",
            w.base, facts.guest_base ? " (given to QEMU)" : "", w.begin, w.end);
        return w;
    }
    w.base = facts.guest_base.value_or(0);
    w.begin = w.base;
    w.end = UINT64_MAX;
    for (const Mapping& m : rows)
        if (m.start >= w.begin && qemu_own(qemu, m, facts.qemu)) {
            w.end = m.start;
            break;
        }
    if (program_row->start < w.begin || program_row->end > w.end)
        return make_error(
            ErrorKind::UnreadableInput,
            fmt::format("the guest program's rows ({:#x}) are not below QEMU's own rows ({:#x} "
                        "and up) at guest base {:#x}: this QEMU lays its guest out in a way "
                        "vmatlas does not know",
                        program_row->start, w.end, w.base));
    w.how = fmt::format(
        "guest base {:#x} ({}); the guest's rows are QEMU's rows below its own, which start at "
        "{:#x}",
        w.base, facts.guest_base ? "given to QEMU" : "QEMU's choice for a 64-bit guest", w.end);
    return w;
}

AddressSpace guest_map(const AddressSpace& qemu, const GuestFacts& facts, const GuestWindow& window,
                       SourceInfo source) {
    AddressSpaceBuilder builder(std::move(source));
    bool stack_found = false;
    for (std::size_t i = qemu.lower_bound(window.begin); i < qemu.size(); ++i) {
        const Mapping& host = qemu[i];
        if (host.end > window.end) break;
        if (host.start < window.begin) continue;  // across the window's start: not the guest's
        const std::string_view path = qemu.path(host);
        if (window.reserved && host.perms.none() && path.empty()) continue;
        Mapping m = host;
        m.start = host.start - window.base;
        m.end = host.end - window.base;
        std::string_view name = path;
        if (!stack_found && path.empty() && host.perms.readable() && host.perms.writable() &&
            facts.read_before &&
            ends_with_program(facts.read_before(host.end, facts.program_as_given.size() + 64),
                              facts.program_as_given)) {
            name = "[stack]";
            stack_found = true;
        }
        m.path = name.empty() ? kNoPath : builder.intern(name);
        builder.add(m);
    }
    if (facts.x86_64 && window.base == 0) {
        Mapping v;
        v.start = kVsyscallPage;
        v.end = kVsyscallPage + 0x1000;
        v.perms = Perms(Perms::kExec);
        v.path = builder.intern("[vsyscall]");
        builder.add(v);
    }
    if (!facts.memory_error.empty())
        builder.warn({0, 0, fmt::format("the guest's stack is not named: {}", facts.memory_error)});
    if (qemu.partial())
        builder.lose({0, 0,
                      fmt::format("QEMU's own map was read in part ({}), so the guest's may be "
                                  "too",
                                  qemu.diagnostics().empty() ? std::string("see above")
                                                             : qemu.diagnostics().back().message)},
                     qemu.loss());
    return std::move(builder).build();
}

namespace {

// The guest program's ELF class and machine, from its first bytes.
struct GuestElf {
    bool wide = true;
    unsigned machine = EM_NONE;
};

Result<GuestElf> read_guest_elf(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return make_error(
            errno == EACCES ? ErrorKind::PermissionDenied : ErrorKind::UnreadableInput,
            fmt::format("cannot open the guest program {}: {}", path, std::strerror(errno)));
    unsigned char h[EI_NIDENT + 4] = {};
    const ssize_t n = ::pread(fd, h, sizeof h, 0);
    ::close(fd);
    if (n != static_cast<ssize_t>(sizeof h) || std::memcmp(h, ELFMAG, SELFMAG) != 0)
        return make_error(ErrorKind::UnreadableInput,
                          fmt::format("the guest program {} is no ELF file", path));
    GuestElf e;
    e.wide = h[EI_CLASS] == ELFCLASS64;
    const unsigned lo = h[EI_NIDENT + 2], hi = h[EI_NIDENT + 3];
    e.machine = h[EI_DATA] == ELFDATA2MSB ? (lo << 8 | hi) : (hi << 8 | lo);
    return e;
}

std::string link_target(const std::string& link) {
    char buf[PATH_MAX];
    const ssize_t n = ::readlink(link.c_str(), buf, sizeof buf);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

// A user-mode emulator's name: qemu-ARCH or qemu-ARCH-static, not qemu-system-ARCH nor one of
// QEMU's tools (qemu-img, qemu-io, qemu-nbd, ...).
bool user_mode_emulator(std::string_view exe) {
    const std::string_view name = exe.substr(exe.rfind('/') + 1);
    if (!name.starts_with("qemu-") || name.starts_with("qemu-system-")) return false;
    constexpr std::string_view kTools[] = {
        "qemu-img",  "qemu-io", "qemu-nbd", "qemu-pr-helper", "qemu-storage-daemon",
        "qemu-edid", "qemu-ga"};
    return std::find(std::begin(kTools), std::end(kTools), name) == std::end(kTools);
}

}  // namespace

Result<Target> open_qemu_user_target(std::string_view spec) {
    auto proc = resolve_process(spec);
    if (!proc) return proc.error();
    const pid_t pid = proc->pid;
    const std::string exe = link_target(fmt::format("/proc/{}/exe", pid));
    if (exe.empty())
        return make_error(errno == EACCES ? ErrorKind::PermissionDenied : ErrorKind::NoSuchProcess,
                          fmt::format("cannot tell which program process {} runs: {}", pid,
                                      std::strerror(errno)));
    if (!user_mode_emulator(exe))
        return make_error(ErrorKind::Usage,
                          fmt::format("process {} runs {}, which is no QEMU user-mode emulator "
                                      "(qemu-ARCH): qemu-user: is for the guest of one",
                                      pid, exe));
    auto cmdline = read_proc_file(fmt::format("/proc/{}/cmdline", pid));
    if (!cmdline) return cmdline.error();
    // Without its environment only QEMU_GUEST_BASE is unknown, which the guest's rows may show.
    auto environ = read_proc_file(fmt::format("/proc/{}/environ", pid));
    const auto inv = parse_invocation(split_nul(*cmdline),
                                      environ ? split_nul(*environ) : std::vector<std::string>{});
    if (!inv)
        return make_error(ErrorKind::UnreadableInput,
                          fmt::format("cannot find the guest program in QEMU's command line "
                                      "(process {}): '{}'",
                                      pid, fmt::join(split_nul(*cmdline), " ")));

    GuestFacts facts;
    facts.qemu = exe;
    facts.program_as_given = inv->program;
    facts.guest_base = inv->guest_base;
    std::string program = inv->program;
    if (!program.starts_with('/'))
        program = fmt::format("/proc/{}/cwd/{}", pid, program);  // QEMU opens it as given
    auto elf = read_guest_elf(program);
    if (!elf) return elf.error();
    facts.wide = elf->wide;
    facts.x86_64 = elf->machine == EM_X86_64;
    // The rows name the program as the kernel resolves it.
    if (char* real = ::realpath(program.c_str(), nullptr)) {
        facts.program = real;
        std::free(real);
    } else {
        facts.program = program;
    }

    auto qemu = read_process_maps(pid);
    if (!qemu) return qemu.error();
    const int mem = ::open(fmt::format("/proc/{}/mem", pid).c_str(), O_RDONLY | O_CLOEXEC);
    if (mem < 0)
        facts.memory_error = fmt::format(
            "cannot read /proc/{}/mem ({}); run as root or as the "
            "same user with ptrace allowed",
            pid, std::strerror(errno));
    facts.read_before = [mem](Addr end, std::size_t n) {
        std::string bytes(n, '\0');
        if (mem < 0 || end < n) return std::string();
        const ssize_t got = ::pread(mem, bytes.data(), n, static_cast<off_t>(end - n));
        return got == static_cast<ssize_t>(n) ? bytes : std::string();
    };
    auto window = find_guest(*qemu, facts);
    if (!window) {
        if (mem >= 0) ::close(mem);
        return window.error();
    }
    SourceInfo source{SourceKind::QemuUser, fmt::format("qemu-user:{}: {}", pid, window->how), pid,
                      facts.program.substr(facts.program.rfind('/') + 1)};
    source.arguments = inv->program;
    for (const std::string& a : inv->arguments) source.arguments += " " + a;
    Target t;
    t.kind = TargetKind::QemuUser;
    t.space = guest_map(*qemu, facts, *window, std::move(source));
    if (mem >= 0) ::close(mem);
    return t;
}

}  // namespace vmatlas::qemu_user
