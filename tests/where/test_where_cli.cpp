// `vmatlas where`, the command, on the test's own program running (where_child.c and its
// library): every function's answer in JSON against readelf and addr2line -fi; a few addresses
// asked of the kernel answered as the whole map answers them; standard input answered a line
// at a time; and the same answers from the process's maps text, a snapshot, a core and the ELF
// file itself.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include "core/core_support.hpp"
#include "where/where_support.hpp"

namespace wheretest {
namespace {

using Json = nlohmann::json;

// A running test program, with where its files are loaded.
struct Running {
    explicit Running(Variant v) : child({build(v).exe, build(v).lib}) {
        const auto w = elftest::words(child.ready_line());  // "ready REMAP VADDR"
        copy = elftest::parse_hex(w.at(1));
        maps = vmtest::read_proc_maps(child.pid());
    }
    std::uint64_t base_of(const std::string& file) const {
        for (const vmtest::ProcRow& r : maps)
            if (r.path == file && r.offset == 0) return r.start;
        throw std::runtime_error("not mapped: " + file);
    }
    const vmtest::ProcRow& row_named(const std::string& path) const {
        for (const vmtest::ProcRow& r : maps)
            if (r.path == path) return r;
        throw std::runtime_error("no row " + path);
    }
    void stop() {
        kill(child.pid(), SIGSTOP);
        int ws = 0;
        waitpid(child.pid(), &ws, WUNTRACED);
    }
    ~Running() { kill(child.pid(), SIGCONT); }
    std::string pid() const { return std::to_string(child.pid()); }

    elftest::Child child;
    std::uint64_t copy = 0;
    std::vector<vmtest::ProcRow> maps;
};

std::string hex(std::uint64_t v) {
    return fmt::format("{:#x}", v);
}

std::vector<Json> json_lines(const std::string& text) {
    std::vector<Json> out;
    for (const std::string& line : vmtest::lines(text)) out.push_back(Json::parse(line));
    return out;
}

// The frames of a JSON answer as a symbolizer prints them; without lines, the symbol and "??:0"
// (what addr2line prints for code without line information).
std::vector<PeerFrame> frames_of(const Json& j) {
    std::vector<PeerFrame> out;
    for (const Json& f : j.at("frames"))
        out.push_back({f.at("function").get<std::string>(), f.at("file").get<std::string>(),
                       f.at("line").get<std::uint32_t>()});
    return out;
}

TEST(WhereCli, EveryFunctionAsReadelfAndAddr2line) {
    Running run(Variant::Debug);
    const Built& b = build(Variant::Debug);
    // Each sized function of both objects at its first byte and in its middle, in one run: more
    // than 16 addresses, so the map is read whole.
    struct Asked {
        const std::string* file;
        std::uint64_t base, vaddr, offset;
        const Sym* want;
    };
    std::vector<Asked> asked;
    std::map<std::string, std::vector<Sym>> syms;
    std::vector<std::string> args = {"where", "--json", run.pid()};
    for (const std::string* object : {&b.exe, &b.lib}) {
        const std::string& file = *object;
        syms[file] = functions(file, false);
        std::map<std::uint64_t, std::vector<const Sym*>> aliases;
        for (const Sym& s : syms[file]) aliases[s.value].push_back(&s);
        for (const Sym& s : syms[file]) {
            if (s.size == 0 || s.type != "FUNC") continue;
            for (const std::uint64_t off : {std::uint64_t{0}, s.size / 2}) {
                asked.push_back(
                    {&file, run.base_of(file), s.value + off, off, &preferred(aliases[s.value])});
                args.push_back(hex(run.base_of(file) + s.value + off));
            }
        }
    }
    ASSERT_GT(asked.size(), 16u);
    const vmtest::RunResult r = vmtest::vmatlas(args);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.err, "");
    const std::vector<Json> answers = json_lines(r.out);
    ASSERT_EQ(answers.size(), asked.size());
    // addr2line -fi of each object, in the order asked.
    std::map<std::string, std::vector<std::vector<PeerFrame>>> gnu;
    std::map<std::string, std::size_t> next;
    for (const std::string& file : {b.exe, b.lib}) {
        std::vector<std::uint64_t> vaddrs;
        for (const Asked& a : asked)
            if (*a.file == file) vaddrs.push_back(a.vaddr);
        gnu[file] = addr2line(file, vaddrs);
        ASSERT_EQ(gnu[file].size(), vaddrs.size());
    }
    std::size_t with_lines = 0;
    for (std::size_t k = 0; k < answers.size(); ++k) {
        const Json& j = answers[k];
        const Asked& a = asked[k];
        const std::string& file = *a.file;
        SCOPED_TRACE(j.dump());
        EXPECT_EQ(j.at("input"), args[3 + k]);
        EXPECT_EQ(j.at("pc"), args[3 + k]);
        EXPECT_EQ(j.at("image_path"), file);
        EXPECT_EQ(j.at("image_name"), file.substr(file.rfind('/') + 1));
        EXPECT_EQ(j.at("image_base"), hex(a.base));
        EXPECT_EQ(j.at("image_offset"), a.vaddr);  // the base is where vaddr 0 is
        EXPECT_EQ(j.at("elf_vaddr"), hex(a.vaddr));
        EXPECT_EQ(j.at("name"), "text");
        EXPECT_EQ(j.at("name_source"), "elf");
        EXPECT_EQ(j.at("section"), ".text");
        EXPECT_EQ(j.at("symbol"), a.want->name);
        EXPECT_EQ(j.at("symbol_offset"), a.offset);
        EXPECT_EQ(j.at("symbol_size"), a.want->size);
        EXPECT_EQ(j.at("symbol_match"), "inside");
        EXPECT_EQ(j.at("error"), nullptr);
        const std::vector<PeerFrame>& peer = gnu[file][next[file]++];
        // Where DWARF has the code, the frames are addr2line -fi's, innermost first.
        const std::vector<PeerFrame> mine = frames_of(j);
        if (mine.empty()) {
            EXPECT_EQ(j.at("line"), nullptr);
            continue;
        }
        ++with_lines;
        EXPECT_EQ(mine, peer) << "addr2line: " << describe(peer);
        EXPECT_EQ(j.at("function"), mine[0].function);
        EXPECT_EQ(j.at("line"), mine[0].line);
    }
    // where_alpha, _beta, _gamma, _local, main and the library's functions, twice each.
    EXPECT_GE(with_lines, 14u);
}

// A few numeric addresses of a live process are asked of the kernel (PROCMAP_QUERY where it has
// it); on standard input, the whole map is read. The answers are the same, byte for byte.
TEST(WhereCli, FewAddressesAnswerAsTheWholeMap) {
    Running run(Variant::Debug);
    run.stop();
    const Built& b = build(Variant::Debug);
    const std::vector<std::string> addrs = {
        hex(run.base_of(b.exe) + 0x10),         hex(run.copy + 0x20),
        hex(run.row_named("[heap]").start + 8), hex(run.row_named("[stack]").end - 8),
        hex(run.base_of(b.lib) + 0x1000),
    };
    std::vector<std::string> args = {"where", "--json", run.pid()};
    args.insert(args.end(), addrs.begin(), addrs.end());
    const vmtest::RunResult few = vmtest::vmatlas(args);
    ASSERT_EQ(few.status, 0) << few.err;
    std::string input;
    for (const std::string& a : addrs) input += a + "\n";
    const vmtest::RunResult whole = vmtest::vmatlas({"where", "--json", run.pid()}, input);
    ASSERT_EQ(whole.status, 0) << whole.err;
    EXPECT_EQ(few.out, whole.out);
    const std::vector<Json> answers = json_lines(few.out);
    ASSERT_EQ(answers.size(), addrs.size());
    EXPECT_EQ(answers[2].at("name"), "[heap]");
    EXPECT_EQ(answers[3].at("name"), "[stack]");
    // The copy of the program's text is named by the file offsets it maps.
    EXPECT_EQ(answers[1].at("name"), "text");
    EXPECT_EQ(answers[1].at("image_path"), b.exe);
}

// A command with pipes on its standard input, output and error.
class Piped {
  public:
    explicit Piped(std::vector<std::string> argv) {
        int in[2], out[2], err[2];
        if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC))
            throw std::runtime_error("pipe2");
        pid_ = fork();
        if (pid_ < 0) throw std::runtime_error("fork");
        if (pid_ == 0) {
            dup2(in[0], 0);
            dup2(out[1], 1);
            dup2(err[1], 2);
            std::vector<char*> args;
            for (std::string& a : argv) args.push_back(a.data());
            args.push_back(nullptr);
            execv(args[0], args.data());
            _exit(127);
        }
        close(in[0]), close(out[1]), close(err[1]);
        in_ = in[1], out_ = out[0], err_ = err[0];
    }
    ~Piped() {
        close_input();
        if (pid_ > 0) kill(pid_, SIGKILL), waitpid(pid_, nullptr, 0);
        close(out_), close(err_);
    }
    void write_line(const std::string& line) {
        const std::string text = line + "\n";
        ASSERT_EQ(write(in_, text.data(), text.size()), static_cast<ssize_t>(text.size()));
    }
    void close_input() {
        if (in_ >= 0) close(in_), in_ = -1;
    }
    // The next line of standard output, or what came before it in 20 s.
    std::string read_line() { return vmtest::read_line(out_, 20'000); }
    // The rest of standard output and error, and the exit status.
    vmtest::RunResult finish() {
        close_input();
        vmtest::RunResult r;
        auto drain = [](int fd, std::string& to) {
            char buf[4096];
            for (ssize_t n; (n = read(fd, buf, sizeof buf)) != 0;) {
                if (n < 0 && errno == EINTR) continue;
                if (n < 0) break;
                to.append(buf, static_cast<std::size_t>(n));
            }
        };
        drain(out_, r.out);
        drain(err_, r.err);
        int ws = 0;
        waitpid(pid_, &ws, 0);
        pid_ = 0;
        r.status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
        return r;
    }

  private:
    pid_t pid_ = 0;
    int in_ = -1, out_ = -1, err_ = -1;
};

// Addresses on a pipe are answered as each line comes: the answer to one is written before the
// next is sent.
TEST(WhereCli, StandardInputIsAnsweredLineByLine) {
    Running run(Variant::Debug);
    Piped where({VMATLAS_BIN, "where", run.pid()});
    where.write_line("where_alpha+4");
    const std::string first = where.read_line();
    EXPECT_NE(first.find(" symbol=where_alpha symbol_offset=0x4 "), std::string::npos) << first;
    EXPECT_TRUE(first.starts_with("pc=0x")) << first;
    EXPECT_NE(first.find(" image_name=\"where child\" "), std::string::npos) << first;
    where.write_line("[heap]+0x10");
    const std::string second = where.read_line();
    EXPECT_NE(second.find(" name=[heap] "), std::string::npos) << second;
    EXPECT_NE(second.find(" mapping_offset=0x10"), std::string::npos) << second;
    where.write_line("0x10");
    where.write_line("nosuch+1");
    const vmtest::RunResult rest = where.finish();
    EXPECT_EQ(rest.status, 1);
    const auto lines = vmtest::lines(rest.out);
    ASSERT_EQ(lines.size(), 2u) << rest.out;
    EXPECT_TRUE(lines[0].starts_with("pc=0x10 ")) << lines[0];
    EXPECT_NE(lines[0].find(" hole_start=0x0 "), std::string::npos) << lines[0];
    EXPECT_TRUE(lines[1].starts_with("input=nosuch+1 error=")) << lines[1];
    EXPECT_NE(rest.err.find("vmatlas: 1 of 4 addresses are in no mapping (the first 0x10)"),
              std::string::npos)
        << rest.err;
    EXPECT_NE(rest.err.find("vmatlas: 'nosuch' is no address"), std::string::npos) << rest.err;
}

// The maps text, a snapshot, a core of the stopped process and the program's ELF file answer as
// the process did (the files are on disk).
TEST(WhereCli, EveryTargetAnswersAsTheProcess) {
    Running run(Variant::Debug);
    run.stop();
    const Built& b = build(Variant::Debug);
    vmtest::TempDir dir("vmatlas where targets");
    std::string input, exe_input;
    for (const std::string& file : {b.exe, b.lib})
        for (const Sym& s : functions(file, false)) {
            if (s.size == 0 || s.type != "FUNC") continue;
            const std::string a = hex(run.base_of(file) + s.value + s.size / 2);
            input += a + "\n";
            if (file == b.exe) exe_input += a + "\n";
        }
    input +=
        hex(run.copy + 0x10) + "\n" + hex(run.row_named("[heap]").start + 0x40) + "\n" + "0x1000\n";
    const std::string fields =
        "pc,image_name,image_path,image_base,image_offset,start,end,name,file_offset,elf_vaddr,"
        "segment,segment_offset,section,section_offset,symbol,symbol_offset,function,file,line,"
        "inlined,build_id,hole_start,hole_end";
    auto where = [&](const std::string& target, const std::string& text,
                     std::vector<std::string> more = {}) {
        std::vector<std::string> args = {"where", "--fields", fields};
        args.insert(args.end(), more.begin(), more.end());
        args.push_back(target);
        return vmtest::vmatlas(args, text);
    };
    const vmtest::RunResult live = where(run.pid(), input);
    ASSERT_EQ(live.status, 1) << live.err;  // 0x1000 is in no mapping
    ASSERT_NE(live.out.find(" symbol=where_gamma "), std::string::npos) << live.out;
    EXPECT_EQ(vmtest::lines(live.out).size(),
              static_cast<std::size_t>(std::count(input.begin(), input.end(), '\n')));

    const std::string maps = dir / "the child's maps";
    elftest::write_text(maps, vmtest::slurp("/proc/" + run.pid() + "/maps"));
    const vmtest::RunResult text = where(maps, input);
    EXPECT_EQ(text.status, 1) << text.err;
    EXPECT_EQ(text.out, live.out) << "maps text";

    const std::string snapshot = dir / "where.json";
    const vmtest::RunResult saved = vmtest::vmatlas({"save", run.pid(), "-o", snapshot});
    ASSERT_EQ(saved.status, 0) << saved.err;
    const vmtest::RunResult snap = where(snapshot, input);
    EXPECT_EQ(snap.status, 1) << snap.err;
    EXPECT_EQ(snap.out, live.out) << "snapshot";

    // The program's own file, loaded where the process has it: its functions answer alike.
    const vmtest::RunResult live_exe = where(run.pid(), exe_input);
    ASSERT_EQ(live_exe.status, 0) << live_exe.err;
    const vmtest::RunResult image = where(b.exe, exe_input, {"--base", hex(run.base_of(b.exe))});
    EXPECT_EQ(image.status, 0) << image.err;
    EXPECT_EQ(image.out, live_exe.out) << "ELF image";

    const auto core = vmtest::gcore(run.child.pid(), dir / "core");
    if (!core) GTEST_SKIP() << "gcore could not dump the child";
    const vmtest::RunResult dumped = where(*core, input);
    EXPECT_EQ(dumped.status, 1) << dumped.err;
    EXPECT_EQ(dumped.out, live.out) << "core";
}

// The program's file as an ELF image, named by a path relative to the working directory: its
// functions are found by name and answered with their section and symbol, as readelf lists them.
TEST(WhereCliImage, ARelativePathFindsItsSymbols) {
    const Built& b = build(Variant::Debug);
    const std::string dir = b.exe.substr(0, b.exe.rfind('/'));
    const std::string name = b.exe.substr(b.exe.rfind('/') + 1);
    const vmtest::RunResult r =
        vmtest::vmatlas({"where", "--json", "--base", "0", name, "where_alpha", "where_gamma+2"},
                        {}, [&] { (void)chdir(dir.c_str()); });
    ASSERT_EQ(r.status, 0) << r.err;
    const std::vector<Json> answers = json_lines(r.out);
    ASSERT_EQ(answers.size(), 2u);
    std::map<std::string, std::uint64_t> value;
    for (const Sym& s : functions(b.exe, false)) value[s.name] = s.value;
    EXPECT_EQ(answers[0].at("pc"), hex(value.at("where_alpha")));
    EXPECT_EQ(answers[0].at("symbol"), "where_alpha");
    EXPECT_EQ(answers[0].at("section"), ".text");
    EXPECT_EQ(answers[0].at("function"), "where_alpha");
    EXPECT_EQ(answers[1].at("pc"), hex(value.at("where_gamma") + 2));
    EXPECT_EQ(answers[1].at("symbol_offset"), 2u);
    EXPECT_EQ(answers[1].at("image_path"), name);
}

// Standard input as a file or a paste gives it: blank lines skipped, CRLF line ends, a last line
// without its '\n'; and a line too long to be an address stops the run (status 7) after the
// lines before it are answered.
TEST(WhereCliInput, LinesAsTheyArrive) {
    // host.maps: layout.maps without its deleted files, whose names would bring a warning.
    const std::string maps = std::string(VMATLAS_FIXTURES) + "/host.maps";
    const vmtest::RunResult r = vmtest::vmatlas({"where", "--fields", "pc,name", maps},
                                                "\n0x55555555e010\r\n  \n[stack]+8");
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, "pc=0x55555555e010 name=[heap]\npc=0x7ffffffde008 name=[stack]\n");
    EXPECT_EQ(r.err, "");

    const vmtest::RunResult longer = vmtest::vmatlas(
        {"where", "--fields", "pc,name", maps}, "0x55555555e010\n" + std::string(100'000, 'a'));
    EXPECT_EQ(longer.status, 7);
    EXPECT_EQ(longer.out, "pc=0x55555555e010 name=[heap]\n");
    EXPECT_EQ(longer.err,
              "vmatlas: standard input: a line is longer than 65536 bytes, which no address is; "
              "the lines before it are answered\n");
}

}  // namespace
}  // namespace wheretest
