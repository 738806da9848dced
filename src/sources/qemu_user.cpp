// A QEMU user-mode guest, read from the QEMU process's own map (qemu_user.hpp).
#include "sources/qemu_user.hpp"

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "vmatlas/procfs.hpp"
#include "vmatlas/smaps.hpp"

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

// A size as QEMU reads -R: a number with an optional k, M or G (binary multiples).
std::optional<Addr> parse_size(std::string_view text) {
    unsigned shift = 0;
    if (!text.empty()) {
        const char unit = text.back();
        shift = unit == 'k' || unit == 'K'   ? 10
                : unit == 'm' || unit == 'M' ? 20
                : unit == 'g' || unit == 'G' ? 30
                                             : 0;
    }
    if (shift != 0) text.remove_suffix(1);
    const auto v = parse_number(text);
    if (!v || *v > (UINT64_MAX >> shift)) return std::nullopt;
    return *v << shift;
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
        } else if (e.starts_with("QEMU_RESERVED_VA=")) {
            inv.reserved = parse_size(std::string_view(e).substr(17));
            if (!inv.reserved) return std::nullopt;
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
        } else if (arg == "R") {
            inv.reserved = parse_size(argv[i]);
            if (!inv.reserved) return std::nullopt;
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
    if (!facts.wide || (facts.reserved && *facts.reserved != 0)) {
        // One reservation: the unbroken run of rows around the guest program, from the base
        // when QEMU was given one, and no larger than the reservation.
        const Addr size = facts.reserved && *facts.reserved != 0 ? *facts.reserved : Addr{1} << 32;
        const Addr low = facts.guest_base.value_or(0);
        const Addr high = facts.guest_base && *facts.guest_base <= UINT64_MAX - size
                              ? *facts.guest_base + size
                              : UINT64_MAX;
        if (program_row->start < low || program_row->end > high)
            return make_error(
                ErrorKind::UnreadableInput,
                fmt::format("the guest program's rows ({:#x}) are not in QEMU's reservation of the "
                            "guest's {:#x} bytes from guest base {:#x}: this QEMU lays its guest "
                            "out in a way vmatlas does not know",
                            program_row->start, size, low));
        std::size_t first = static_cast<std::size_t>(program_row - rows.begin()), last = first;
        while (first > 0 && rows[first - 1].end == rows[first].start &&
               rows[first - 1].start >= low)
            --first;
        while (last + 1 < rows.size() && rows[last + 1].start == rows[last].end &&
               rows[last + 1].end <= high)
            ++last;
        w.begin = rows[first].start;
        w.end = rows[last].end;
        if (w.end - w.begin > size)
            return make_error(ErrorKind::UnreadableInput,
                              fmt::format("QEMU's reservation of the guest's {:#x} bytes cannot be "
                                          "told from the rows next to it ({:#x}-{:#x} hold the "
                                          "guest program, unbroken)",
                                          size, w.begin, w.end));
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
        if (host.perms.none() && path.empty() && (window.reserved || host.start == window.base))
            continue;  // QEMU's filler, or its reservation at guest address 0
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
        if (qemu.figures().empty())
            builder.add(m);
        else
            builder.add(m, qemu.figures()[i]);
    }
    if (facts.x86_64) {
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
        "qemu-edid", "qemu-ga", "qemu-kvm"};
    return std::find(std::begin(kTools), std::end(kTools), name) == std::end(kTools);
}

}  // namespace

namespace {

// The guest program as QEMU's map names it, and where to open it from here.
struct ProgramFile {
    std::string row_path;
    std::string open_path;
};

// The guest program's file: the file QEMU's command line names (through QEMU's root, or its
// current directory for a relative name) when a row of QEMU's map has its device and inode;
// else, as the guest may have changed directory since, the lowest row at file offset 0 of a
// file with the program's name that is not QEMU's own.
std::optional<ProgramFile> locate_program(pid_t pid, const AddressSpace& qemu,
                                          std::string_view given, std::string_view exe) {
    const std::string root = fmt::format("/proc/{}/root", pid);
    const std::string named = given.starts_with('/') ? root + std::string(given)
                                                     : fmt::format("/proc/{}/cwd/{}", pid, given);
    struct stat st;
    if (::stat(named.c_str(), &st) == 0)
        for (const Mapping& m : qemu.mappings())
            if (m.inode == st.st_ino && m.dev_major == major(st.st_dev) &&
                m.dev_minor == minor(st.st_dev) && qemu.path(m).starts_with('/'))
                return ProgramFile{std::string(qemu.path(m)), named};
    const std::string_view name = given.substr(given.rfind('/') + 1);
    for (const Mapping& m : qemu.mappings()) {
        const std::string_view path = qemu.path(m);
        if (raw(m.offset) == 0 && path.starts_with('/') && path != exe && !m.deleted() &&
            path.substr(path.rfind('/') + 1) == name)
            return ProgramFile{std::string(path), root + std::string(path)};
    }
    return std::nullopt;
}

}  // namespace

Result<Target> open_qemu_user_target(std::string_view spec, const TargetOptions& options) {
    auto proc = resolve_process(spec);
    if (!proc) return proc.error();
    const pid_t pid = proc->pid;
    // QEMU's own map first: it says, as for any process, one that has exited or is a kernel
    // thread.
    auto qemu = options.live_figures ? read_process_smaps(pid) : read_process_maps(pid);
    if (!qemu) return qemu.error();
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
    // Without its environment only QEMU_GUEST_BASE and QEMU_RESERVED_VA are unknown.
    auto environ = read_proc_file(fmt::format("/proc/{}/environ", pid));
    const auto inv = parse_invocation(split_nul(*cmdline),
                                      environ ? split_nul(*environ) : std::vector<std::string>{});
    if (!inv)
        return make_error(ErrorKind::UnreadableInput,
                          fmt::format("cannot read QEMU's command line (process {}): it names no "
                                      "guest program, or its -B or -R is no number: '{}'",
                                      pid, fmt::join(split_nul(*cmdline), " ")));
    const auto program = locate_program(pid, *qemu, inv->program, exe);
    if (!program)
        return make_error(ErrorKind::UnreadableInput,
                          fmt::format("QEMU's map (process {}) holds no row of the guest program "
                                      "{}: the guest has not been loaded yet, or has replaced "
                                      "itself, or QEMU was given a link to it by a relative name "
                                      "and the guest has left that directory",
                                      pid, inv->program));
    auto elf = read_guest_elf(program->open_path);
    if (!elf) return elf.error();

    GuestFacts facts;
    facts.qemu = exe;
    facts.program = program->row_path;
    facts.program_as_given = inv->program;
    facts.wide = elf->wide;
    facts.x86_64 = elf->machine == EM_X86_64;
    facts.guest_base = inv->guest_base;
    facts.reserved = inv->reserved;
    const int mem = ::open(fmt::format("/proc/{}/mem", pid).c_str(), O_RDONLY | O_CLOEXEC);
    if (mem < 0)
        facts.memory_error = fmt::format(
            "cannot read /proc/{}/mem ({}); run as root or as the same user with ptrace allowed",
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
    SourceInfo source{SourceKind::QemuUser, fmt::format("qemu-user:{}", pid), pid,
                      facts.program.substr(facts.program.rfind('/') + 1)};
    source.method = window->how;
    source.arguments = inv->program;
    for (const std::string& a : inv->arguments) source.arguments += " " + a;
    Target t;
    t.kind = TargetKind::QemuUser;
    t.space = guest_map(*qemu, facts, *window, std::move(source));
    if (mem >= 0) ::close(mem);
    return t;
}

}  // namespace vmatlas::qemu_user
