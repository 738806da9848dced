// What the where tests share: the test program and its library (where_child.c, where_lib.c),
// built by the test with cc in every variant a symbolizer meets (debug information, none,
// stripped, MiniDebugInfo, a separate debug file found by .gnu_debuglink), and the ground truth
// read with the system's own tools: readelf's symbol tables, /proc/PID/maps, addr2line and
// llvm-symbolizer, parsed here without the library.
#pragma once

#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "elf/support.hpp"

namespace wheretest {

using elftest::must_run;
using elftest::run_tool;
using elftest::TempDir;

enum class Variant {
    Debug,          // -g
    NoDebug,        // no -g: .symtab, no DWARF
    Stripped,       // strip --strip-all: .dynsym only
    MiniDebugInfo,  // stripped, with .gnu_debugdata holding the functions' .symtab
    DebugLink,      // stripped, DWARF and .symtab in a .debug file named by .gnu_debuglink
};

inline std::string to_string(Variant v) {
    switch (v) {
        case Variant::Debug:
            return "debug";
        case Variant::NoDebug:
            return "nodebug";
        case Variant::Stripped:
            return "stripped";
        case Variant::MiniDebugInfo:
            return "minidebuginfo";
        case Variant::DebugLink:
            return "debuglink";
    }
    return "";
}

inline const std::vector<Variant> kVariants = {Variant::Debug, Variant::NoDebug, Variant::Stripped,
                                               Variant::MiniDebugInfo, Variant::DebugLink};

struct Built {
    std::string exe, lib;  // the program and its library, in a directory whose name has a space
};

// Strips `file` and adds what the variant keeps, as distributions do.
inline void finish(const std::string& file, Variant v, const std::string& dir) {
    const std::string debug = file + ".debug";
    switch (v) {
        case Variant::Debug:
        case Variant::NoDebug:
            return;
        case Variant::Stripped:
            must_run({"strip", "--strip-all", file});
            return;
        case Variant::DebugLink:
            must_run({"objcopy", "--only-keep-debug", file, debug});
            must_run({"strip", "--strip-all", file});
            must_run({"objcopy", "--add-gnu-debuglink=" + debug, file});
            return;
        case Variant::MiniDebugInfo: {
            // The recipe of gdb's manual (MiniDebugInfo): the functions .dynsym lacks, in an
            // xz-compressed ELF file as section .gnu_debugdata.
            auto names = [](const std::string& nm) {
                std::set<std::string> out;
                std::istringstream in(nm);
                for (std::string line; std::getline(in, line);) {
                    std::istringstream w(line);
                    std::string name, type;
                    if (w >> name >> type && (type == "T" || type == "t")) out.insert(name);
                }
                return out;
            };
            const auto dynamic =
                names(must_run({"nm", "-D", "--format=posix", "--defined-only", file}));
            const auto all = names(must_run({"nm", "--format=posix", "--defined-only", file}));
            std::string keep;
            for (const std::string& n : all)
                if (!dynamic.contains(n)) keep += n + "\n";
            const std::string keep_file = file + ".keep";
            elftest::write_text(keep_file, keep);
            const std::string mini = file + ".mini";
            must_run({"objcopy", "--only-keep-debug", file, debug});
            must_run({"objcopy", "-S", "--remove-section", ".gdb_index", "--remove-section",
                      ".comment", "--keep-symbols=" + keep_file, debug, mini});
            must_run({"strip", "--strip-all", "-R", ".comment", file});
            must_run({"xz", "--force", mini});
            must_run({"objcopy", "--add-section", ".gnu_debugdata=" + mini + ".xz", file});
            std::filesystem::remove(debug);
            (void)dir;
            return;
        }
    }
}

// The program and library of a variant, built once per test process.
inline const Built& build(Variant v) {
    static TempDir dir("vmatlas where");
    static std::map<Variant, Built> built;
    if (auto it = built.find(v); it != built.end()) return it->second;
    const std::string src = std::string(VMATLAS_WHERE_DIR);
    const std::string tag = to_string(v);
    const std::string sub = dir / tag;
    std::filesystem::create_directories(sub);
    Built b{sub + "/where child", sub + "/libwhere " + tag + ".so"};
    const std::vector<std::string> debug = v == Variant::NoDebug || v == Variant::Stripped
                                               ? std::vector<std::string>{}
                                               : std::vector<std::string>{"-g"};
    auto cc = [&](std::vector<std::string> args) {
        std::vector<std::string> argv = {"cc", "-O2", "-Wl,--build-id"};
        argv.insert(argv.end(), debug.begin(), debug.end());
        argv.insert(argv.end(), args.begin(), args.end());
        must_run(argv);
    };
    cc({"-fPIE", "-pie", "-o", b.exe, src + "/where_child.c", "-ldl"});
    cc({"-fPIC", "-shared", "-o", b.lib, src + "/where_lib.c"});
    finish(b.exe, v, sub);
    finish(b.lib, v, sub);
    return built.emplace(v, b).first->second;
}

// ---- symbol tables, as readelf -sW shows them ------------------------------------------------

struct Sym {
    std::uint64_t value = 0, size = 0;
    std::string type, bind, name;  // "FUNC", "GLOBAL", ...
    std::size_t index = 0;         // in its table
};

// The symbols of code and data a symbol table holds (.symtab, or .dynsym when dynamic), defined
// ones only: functions, objects and labels; functions only when only_functions.
inline std::vector<Sym> functions(const std::string& file, bool dynamic,
                                  bool only_functions = true) {
    const std::string text = must_run({"readelf", "-sW", dynamic ? "--dyn-syms" : "--syms", file});
    std::vector<Sym> out;
    std::istringstream in(text);
    bool want = false;
    for (std::string line; std::getline(in, line);) {
        if (line.starts_with("Symbol table")) {
            want = line.find(dynamic ? "'.dynsym'" : "'.symtab'") != std::string::npos;
            continue;
        }
        const auto w = elftest::words(line);
        // "   12: 0000000000001139    23 FUNC    GLOBAL DEFAULT   14 where_alpha"
        if (!want || w.size() < 8 || w[0] == "Num:" || w[0].back() != ':') continue;
        if (w[6] == "UND" || w[6] == "ABS") continue;
        Sym s;
        s.index = std::stoul(w[0]);
        s.value = elftest::parse_hex(w[1]);
        s.size = std::stoull(w[2], nullptr, 0);  // readelf writes a large size in 0x hex
        s.type = w[3];
        s.bind = w[4];
        s.name = w[7];
        // readelf adds the version of a .dynsym entry ("@GLIBC_2.2.5 (2)"); in .symtab, a
        // versioned name is the symbol's own.
        if (const auto at = s.name.find('@'); dynamic && at != std::string::npos) s.name.resize(at);
        const bool code = s.type == "FUNC" || (s.type == "NOTYPE" && !s.name.empty());
        if (code || (!only_functions && s.type == "OBJECT")) out.push_back(s);
    }
    return out;
}

// The name the documented rule picks among the symbols at one address: a sized one, the
// largest, a function before an object before a label, a global before a weak before a local,
// the fewest leading underscores, the shortest name, the first in the table.
inline const Sym& preferred(const std::vector<const Sym*>& at) {
    auto rank = [](const Sym& s) {
        const int bind = s.bind == "GLOBAL" ? 0 : s.bind == "WEAK" ? 1 : 2;
        const int type = s.type == "FUNC" ? 0 : s.type == "OBJECT" ? 1 : 2;
        return std::make_tuple(s.size == 0, ~s.size, type, bind, s.name.find_first_not_of('_'),
                               s.name.size(), s.index);
    };
    return **std::min_element(at.begin(), at.end(),
                              [&](const Sym* a, const Sym* b) { return rank(*a) < rank(*b); });
}

// ---- the peers -------------------------------------------------------------------------------

// One frame as a symbolizer prints it: function, file and line ("??" and 0 when unknown).
struct PeerFrame {
    std::string function, file;
    std::uint32_t line = 0;
    friend bool operator==(const PeerFrame&, const PeerFrame&) = default;
};

inline std::string describe(const std::vector<PeerFrame>& frames) {
    std::string s;
    for (const PeerFrame& f : frames)
        s += f.function + " at " + f.file + ":" + std::to_string(f.line) + "; ";
    return s;
}

// "file:line", "file:line:column", "file:line (discriminator N)", "??:0", "??:?".
inline void split_location(std::string loc, PeerFrame& f) {
    if (const auto d = loc.find(" (discriminator"); d != std::string::npos) loc.resize(d);
    // file names may hold ':' only in theory here: the last one or two are numbers.
    std::vector<std::string> parts;
    std::size_t colon;
    while ((colon = loc.rfind(':')) != std::string::npos && parts.size() < 2) {
        const std::string tail = loc.substr(colon + 1);
        if (tail.empty() || tail.find_first_not_of("0123456789?") != std::string::npos) break;
        parts.push_back(tail);
        loc.resize(colon);
    }
    f.file = loc;
    const std::string line = parts.empty() ? "0" : parts.back();
    f.line = line.find('?') == std::string::npos ? static_cast<std::uint32_t>(std::stoul(line)) : 0;
}

// addr2line -fi: for each address, pairs of lines (function, location), innermost first. A
// marker address between the real ones tells where each address's frames end.
inline std::vector<std::vector<PeerFrame>> addr2line(const std::string& file,
                                                     const std::vector<std::uint64_t>& vaddrs) {
    std::vector<std::string> argv = {"addr2line", "-f", "-i", "-a", "-e", file};
    for (std::uint64_t a : vaddrs) argv.push_back(fmt::format("{:#x}", a));
    const std::string text = must_run(argv);
    std::vector<std::vector<PeerFrame>> out;
    std::istringstream in(text);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    for (std::size_t k = 0; k < lines.size();) {
        if (lines[k].starts_with("0x")) {  // -a: the address starts each answer
            out.emplace_back();
            ++k;
            continue;
        }
        if (out.empty() || k + 1 >= lines.size()) break;
        PeerFrame f;
        f.function = lines[k];
        split_location(lines[k + 1], f);
        out.back().push_back(f);
        k += 2;
    }
    return out;
}

// llvm-symbolizer: blocks of (function, location) pairs, a blank line after each address.
inline std::vector<std::vector<PeerFrame>> llvm_symbolizer(
    const std::string& file, const std::vector<std::uint64_t>& vaddrs) {
    std::vector<std::string> argv = {"llvm-symbolizer", "--inlines", "--no-demangle",
                                     "--obj=" + file};
    for (std::uint64_t a : vaddrs) argv.push_back(fmt::format("{:#x}", a));
    const std::string text = must_run(argv);
    std::vector<std::vector<PeerFrame>> out(1);
    std::istringstream in(text);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    for (std::size_t k = 0; k < lines.size();) {
        if (lines[k].empty()) {
            out.emplace_back();
            ++k;
            continue;
        }
        if (k + 1 >= lines.size()) break;
        PeerFrame f;
        f.function = lines[k];
        split_location(lines[k + 1], f);
        out.back().push_back(f);
        k += 2;
    }
    while (!out.empty() && out.back().empty()) out.pop_back();
    return out;
}

}  // namespace wheretest
