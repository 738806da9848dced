// A real gdbserver attached to the demo, read through the command as tcp:localhost:PORT: every
// row equal to the demo's /proc/PID/maps read by the test's own reader, through the default view
// and through pmap; gdbserver serving on after each client, its inferior left stopped. A child
// with threads under gdbserver: its thread stacks named from the stub's registers as from the
// process itself, its facts those of /proc. A
// gdbserver --multi attached to nothing, read with --remote-pid. Then the ways a connection
// fails: nothing listening, a stub that closes before it replies, and one that closes mid-read.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "remote/fake_stub.hpp"
#include "sources/remote_protocol.hpp"
#include "support/harness.hpp"
#include "support/threads_child.hpp"
#include "vmatlas/elf.hpp"
#include "vmatlas/threads.hpp"

namespace vmtest {
namespace {

// gdbserver on a port the kernel picks, attached to a process or, with --multi, to none; killed
// and reaped on destruction.
class GdbServer {
  public:
    struct Multi {};
    // before_exec runs in the child before gdbserver is executed (async-signal-safe calls only;
    // _exit(125) when it fails: the constructor then throws).
    explicit GdbServer(pid_t inferior, void (*before_exec)() = nullptr)
        : GdbServer({"--attach", "localhost:0", std::to_string(inferior)}, inferior, before_exec) {}
    explicit GdbServer(Multi) : GdbServer({"--multi", "localhost:0"}, 0, nullptr) {}

  private:
    GdbServer(std::vector<std::string> args, pid_t inferior, void (*before_exec)())
        : inferior_(inferior) {
        int err[2];
        if (pipe2(err, O_CLOEXEC) != 0) throw std::runtime_error("pipe2");
        args.insert(args.begin(), "gdbserver");
        std::vector<char*> argv;
        for (std::string& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        pid_ = fork();
        if (pid_ < 0) throw std::runtime_error("fork");
        if (pid_ == 0) {
            dup2(err[1], 1);
            dup2(err[1], 2);
            if (before_exec) before_exec();
            execvp(argv[0], argv.data());
            _exit(127);
        }
        close(err[1]);
        for (int i = 0; i < 20 && port_.empty(); ++i) {
            const std::string line = read_line(err[0]);
            if (line.empty()) break;
            output_ += line + "\n";
            if (line.starts_with("Listening on port ")) port_ = line.substr(18);
        }
        out_ = err[0];
        if (port_.empty()) {
            stop();
            throw std::runtime_error("gdbserver did not listen: " + output_);
        }
    }

  public:
    ~GdbServer() { stop(); }
    const std::string& port() const { return port_; }
    std::string target() const { return "tcp:localhost:" + port_; }
    // Whether it still runs (it has not exited).
    bool running() const { return pid_ > 0 && waitpid(pid_, nullptr, WNOHANG) == 0; }
    // SIGKILL now, and reaped.
    void kill_now() { stop(); }

  private:
    void stop() {
        if (pid_ > 0) {
            kill(pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
            pid_ = 0;
            // Stopped when gdbserver attached: let it see its stdin close.
            if (inferior_ > 0) kill(inferior_, SIGCONT);
        }
        if (out_ >= 0) close(out_), out_ = -1;
    }
    pid_t inferior_, pid_ = 0;
    int out_ = -1;
    std::string port_, output_;
};

char process_state(pid_t pid) {
    const std::string stat = slurp("/proc/" + std::to_string(pid) + "/stat");
    const auto paren = stat.rfind(')');
    return paren + 2 < stat.size() ? stat[paren + 2] : '?';
}

std::vector<std::string> without_first_line(const std::string& text) {
    auto all = lines(text);
    if (!all.empty()) all.erase(all.begin());
    return all;
}

// pmap's lines with the thread stacks the stub's registers named ("[ stack tid=N ]", "[ guard
// tid=N ]") as maps text saved here names them, with no registers to go on: "[ anon ]". How
// many there were, in `named`.
std::vector<std::string> threads_unnamed(std::vector<std::string> rows, std::size_t& named) {
    static const std::regex kThreadName(R"(\[ (stack|guard) tid=[0-9,]+ \])");
    named = 0;
    for (std::string& row : rows) {
        const std::string anon = std::regex_replace(row, kThreadName, "[ anon ]");
        named += anon != row;
        row = anon;
    }
    return rows;
}

TEST(RemoteLive, TheMapThroughGdbserverIsProcMaps) {
    const TempDir dir("vmatlas remote");
    Demo demo({}, {.dir = dir.path().string()});
    GdbServer server(demo.pid());
    const std::vector<ProcRow> rows = read_proc_maps(demo.pid());
    const std::string maps_text = slurp("/proc/" + demo.pid_text() + "/maps");

    const RunResult r = vmatlas({"--json", server.target()});
    ASSERT_EQ(r.status, 0) << r.err;
    const auto j = parse_json(r);
    EXPECT_EQ(j["source"]["kind"], "maps text");
    EXPECT_EQ(j["source"]["pid"], demo.pid());
    EXPECT_EQ(j["source"]["origin"], server.target() + ":/proc/" + demo.pid_text() + "/maps");
    EXPECT_EQ(j["source"]["process"], "vmatlas-demo");
    EXPECT_EQ(j["partial"], false);
    EXPECT_EQ(j["rows"]["rejected"], 0);
    const auto& ms = j["mappings"];
    ASSERT_EQ(ms.size(), rows.size());
    std::size_t deleted = 0, spaced = 0;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        SCOPED_TRACE("row " + std::to_string(i) + ": " + to_hex(rows[i].start) + " " +
                     rows[i].path);
        expect_json_row(ms[i], rows[i]);
        deleted += rows[i].deleted;
        spaced += rows[i].path.find(' ') != std::string::npos;
    }
    EXPECT_GT(deleted, 0u);  // the demo's deleted file, read as the kernel marked it
    EXPECT_GT(spaced, 0u);   // and names with spaces

    // The same map as the maps text saved here, through pmap, but for the demo's two threads'
    // stacks and guards, named from the stub's registers; gdbserver took a second client.
    const std::string saved = dir / "maps.txt";
    write_text(saved, maps_text);
    const RunResult remote_pmap = vmatlas({"pmap", server.target()});
    const RunResult local_pmap = vmatlas({"pmap", saved});
    ASSERT_EQ(remote_pmap.status, 0) << remote_pmap.err;
    ASSERT_EQ(local_pmap.status, 0) << local_pmap.err;
    std::size_t named = 0;
    EXPECT_EQ(threads_unnamed(without_first_line(remote_pmap.out), named),
              without_first_line(local_pmap.out));
    EXPECT_EQ(named, 4u);
    EXPECT_GT(lines(remote_pmap.out).size(), rows.size());

    // Nothing was resumed: the demo is still stopped under gdbserver, its map as it was.
    EXPECT_EQ(process_state(demo.pid()), 't');
    EXPECT_EQ(slurp("/proc/" + demo.pid_text() + "/maps"), maps_text);
}

// Each row of smaps text: its start, and its Size and Rss lines in bytes.
struct SmapsFigures {
    std::uint64_t start = 0, size = 0, rss = 0;
    bool operator==(const SmapsFigures&) const = default;
};

std::vector<SmapsFigures> smaps_figures(const std::string& text) {
    std::vector<SmapsFigures> rows;
    for (const std::string& line : lines(text)) {
        const auto colon = line.find(':');
        const auto dash = line.find('-');
        if (dash != std::string::npos && (colon == std::string::npos || dash < colon)) {
            rows.push_back({hex(line.substr(0, dash))});
        } else if (!rows.empty() && (line.starts_with("Size:") || line.starts_with("Rss:"))) {
            const std::uint64_t kb = std::stoull(line.substr(colon + 1));
            (line[0] == 'S' ? rows.back().size : rows.back().rss) = kb * 1024;
        }
    }
    return rows;
}

// The figures views read /proc/PID/smaps through the gdbserver: the rows and their Size and Rss
// are those of the smaps the test reads itself, the demo stopped under gdbserver all along (so
// its Size and Rss hold still); and
// pmap -x shows what it shows for that smaps text saved here, but for the thread stacks named
// from the stub's registers.
TEST(RemoteLive, FiguresAreTheInferiorsSmaps) {
    const TempDir dir("vmatlas remote");
    Demo demo({}, {.dir = dir.path().string()});
    GdbServer server(demo.pid());
    const std::string smaps_path = "/proc/" + demo.pid_text() + "/smaps";
    const std::string before = slurp(smaps_path);

    const RunResult r = vmatlas({"pmap", "-x", "--json", server.target()});
    const std::string after = slurp(smaps_path);
    ASSERT_EQ(r.status, 0) << r.err;
    // Nothing moved while it was read (Pss does: it shares pages with processes that come and
    // go, vmatlas among them).
    ASSERT_TRUE(smaps_figures(before) == smaps_figures(after));
    const auto j = parse_json(r);
    EXPECT_EQ(j["source"]["kind"], "smaps text");
    EXPECT_EQ(j["source"]["origin"], server.target() + ":" + smaps_path);
    EXPECT_EQ(j["source"]["pid"], demo.pid());
    EXPECT_EQ(j["partial"], false);
    const std::vector<SmapsFigures> want = smaps_figures(after);
    const auto& ms = j["mappings"];
    ASSERT_EQ(ms.size(), want.size());
    std::uint64_t rss = 0;
    for (std::size_t i = 0; i < want.size(); ++i) {
        SCOPED_TRACE("row " + std::to_string(i) + ": " + to_hex(want[i].start));
        EXPECT_EQ(ms[i]["start"], to_hex(want[i].start));
        EXPECT_EQ(ms[i]["size"], want[i].size);
        EXPECT_EQ(ms[i]["rss"], want[i].rss);
        rss += want[i].rss;
    }
    EXPECT_GT(rss, 0u);
    EXPECT_EQ(j["totals"]["rss"], rss);

    const std::string saved = dir / "smaps.txt";
    write_text(saved, after);
    const RunResult remote_pmap = vmatlas({"pmap", "-x", server.target()});
    const RunResult local_pmap = vmatlas({"pmap", "-x", saved});
    ASSERT_EQ(remote_pmap.status, 0) << remote_pmap.err;
    std::size_t named = 0;
    EXPECT_EQ(threads_unnamed(without_first_line(remote_pmap.out), named),
              without_first_line(local_pmap.out));
    EXPECT_EQ(named, 4u);
}

int tracer_pid(pid_t pid) {
    const std::string status = slurp("/proc/" + std::to_string(pid) + "/status");
    const auto at = status.find("TracerPid:");
    return at == std::string::npos ? -1 : std::atoi(status.c_str() + at + 10);
}

// gdbserver --multi attached to nothing: --remote-pid names the process whose map is read, a
// child of the test's that nothing attaches to; the server serves on after each client, the one
// that found no process too.
TEST(RemoteLive, RemotePidThroughAMultiServer) {
    const TempDir dir("vmatlas remote");
    Demo demo({}, {.dir = dir.path().string()});
    demo.pause();  // its map holds still
    GdbServer server(GdbServer::Multi{});

    const RunResult none = vmatlas({server.target()});
    EXPECT_EQ(none.status, 3);
    EXPECT_EQ(none.out, "");
    EXPECT_EQ(none.err, "vmatlas: " + server.target() +
                            " debugs no process (its qC reply is 'E01'): give --remote-pid PID "
                            "to read a process of its machine, or start gdbserver with a program "
                            "or --attach PID\n");
    EXPECT_TRUE(server.running());

    const std::vector<ProcRow> rows = read_proc_maps(demo.pid());
    const RunResult r = vmatlas({"--json", "--remote-pid", demo.pid_text(), server.target()});
    ASSERT_EQ(r.status, 0) << r.err;
    const auto j = parse_json(r);
    EXPECT_EQ(j["source"]["pid"], demo.pid());
    EXPECT_EQ(j["source"]["origin"], server.target() + ":/proc/" + demo.pid_text() + "/maps");
    EXPECT_EQ(j["source"]["process"], "vmatlas-demo");
    EXPECT_EQ(j["partial"], false);
    const auto& ms = j["mappings"];
    ASSERT_EQ(ms.size(), rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
        SCOPED_TRACE("row " + std::to_string(i) + ": " + to_hex(rows[i].start) + " " +
                     rows[i].path);
        expect_json_row(ms[i], rows[i]);
    }
    EXPECT_EQ(tracer_pid(demo.pid()), 0);  // read, never attached
    EXPECT_TRUE(server.running());
    const RunResult again = vmatlas({"--remote-pid", demo.pid_text(), server.target()});
    EXPECT_EQ(again.status, 0) << again.err;
}

TEST(RemoteLive, RemotePidOfNoProcess) {
    GdbServer server(GdbServer::Multi{});
    // Above the kernel's largest pid_max (2^22): no process has it.
    const RunResult r = vmatlas({"--remote-pid", "99999999", server.target()});
    EXPECT_EQ(r.status, 3);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "vmatlas: " + server.target() +
                         " cannot open /proc/99999999/maps: No such file or directory (errno 2)\n");
}

TEST(RemoteLive, RemotePidIsForGdbserverTargets) {
    const RunResult r = vmatlas({"--remote-pid", "1", "self"});
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.err.find("--remote-pid is for a gdbserver target, tcp:HOST:PORT"),
              std::string::npos)
        << r.err;
    EXPECT_EQ(vmatlas({"--remote-pid", "0", "tcp::1"}).status, 2);
}

// Row start -> the name of every row whose name is a thread's stack or guard ("stack tid=N").
std::map<std::string, std::string> thread_stack_rows(const nlohmann::json& j) {
    std::map<std::string, std::string> rows;
    for (const auto& m : j["mappings"]) {
        const std::string name = m["name"].is_string() ? m["name"].get<std::string>() : "";
        if (name.starts_with("stack tid=") || name.starts_with("guard tid="))
            rows[m["start"].get<std::string>()] = name;
    }
    return rows;
}

// One word of the auxiliary vector the test reads itself from /proc/PID/auxv.
std::optional<std::uint64_t> auxv_entry(const std::string& auxv, std::uint64_t type) {
    for (std::size_t at = 0; at + 16 <= auxv.size(); at += 16) {
        std::uint64_t t, v;
        std::memcpy(&t, auxv.data() + at, 8);
        std::memcpy(&v, auxv.data() + at + 8, 8);
        if (t == type) return v;
    }
    return std::nullopt;
}

// A process with threads under a real gdbserver: each thread's stack is named from the stub's
// registers exactly as vmatlas names it from the process itself (read here while gdbserver keeps
// it stopped), and the facts are those of /proc: each thread's stack pointer as
// /proc/PID/task/TID/syscall says it (the threads are stopped), its name, and the auxiliary
// vector's addresses.
TEST(RemoteLive, ThreadStacksAndAuxvFromTheStub) {
    vmtest::ThreadsChild child(4);
    ASSERT_TRUE(child.ready);
    ASSERT_EQ(child.tids.size(), 4u);
    GdbServer server(child.pid());

    const RunResult remote = vmatlas({"--json", server.target()});
    ASSERT_EQ(remote.status, 0) << remote.err;
    EXPECT_EQ(remote.err, "");
    const RunResult local = vmatlas({"--json", child.pid_text()});
    ASSERT_EQ(local.status, 0) << local.err;
    const auto remote_json = parse_json(remote);
    const auto remote_rows = thread_stack_rows(remote_json);
    const auto local_rows = thread_stack_rows(parse_json(local));
    EXPECT_EQ(remote_rows, local_rows);
    std::set<std::string> named;
    for (const auto& [start, name] : remote_rows) named.insert(name);
    for (const pid_t tid : child.tids) {
        EXPECT_TRUE(named.contains("stack tid=" + std::to_string(tid))) << tid;
        EXPECT_TRUE(named.contains("guard tid=" + std::to_string(tid))) << tid;
    }
    std::size_t vdso = 0;
    for (const auto& m : remote_json["mappings"]) vdso += m["name"] == "[vdso]";
    EXPECT_EQ(vdso, 1u);

    // The facts, as a snapshot keeps them.
    const RunResult saved = vmatlas({"save", server.target()});
    ASSERT_EQ(saved.status, 0) << saved.err;
    const auto facts = parse_json(saved)["facts"];
    const std::string proc = "/proc/" + child.pid_text();
    const std::string auxv = slurp(proc + "/auxv");
    EXPECT_EQ(facts["vdso"], to_hex(*auxv_entry(auxv, 33)));  // AT_SYSINFO_EHDR
    EXPECT_EQ(facts["entry"], to_hex(*auxv_entry(auxv, 9)));  // AT_ENTRY
    EXPECT_EQ(facts["phdr"], to_hex(*auxv_entry(auxv, 3)));   // AT_PHDR
    std::vector<pid_t> tids = child.tids;
    tids.push_back(child.pid());
    std::sort(tids.begin(), tids.end());
    const auto& threads = facts["threads"];
    ASSERT_EQ(threads.size(), tids.size()) << facts.dump();
    for (std::size_t i = 0; i < tids.size(); ++i) {
        SCOPED_TRACE("thread " + std::to_string(tids[i]));
        const std::string task = proc + "/task/" + std::to_string(tids[i]);
        const auto sp = vmatlas::parse_syscall_stack_pointer(slurp(task + "/syscall"));
        ASSERT_TRUE(sp);
        std::string comm = slurp(task + "/comm");
        if (comm.ends_with('\n')) comm.pop_back();
        EXPECT_EQ(threads[i]["tid"], tids[i]);
        EXPECT_EQ(threads[i]["name"], comm);
        EXPECT_EQ(threads[i]["sp"], to_hex(*sp));
        EXPECT_EQ(threads[i]["sp_source"], "registers");
        EXPECT_EQ(threads[i]["sp_error"], "");
    }
    EXPECT_EQ(process_state(child.pid()), 't');  // still stopped under gdbserver
    EXPECT_TRUE(server.running());
}

// A port nothing listens on: bound, then closed.
std::string free_port() {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
        throw std::runtime_error("bind");
    close(fd);
    return std::to_string(ntohs(a.sin_port));
}

TEST(RemoteLive, NothingListening) {
    const std::string port = free_port();
    const RunResult r = vmatlas({"tcp:127.0.0.1:" + port});
    EXPECT_EQ(r.status, 7);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "vmatlas: cannot connect to a gdbserver at tcp:127.0.0.1:" + port +
                         ": Connection refused\n");
}

TEST(RemoteLive, AStubThatClosesBeforeItReplies) {
    const int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ASSERT_EQ(listen(listener, 1), 0);
    ASSERT_EQ(getsockname(listener, reinterpret_cast<sockaddr*>(&a), &len), 0);
    const std::string port = std::to_string(ntohs(a.sin_port));
    // It answers qSupported, then closes when asked anything else.
    std::thread stub([listener] {
        const int fd = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
        std::string buffer;
        char chunk[4096];
        for (ssize_t n; fd >= 0 && (n = read(fd, chunk, sizeof chunk)) > 0;) {
            buffer.append(chunk, static_cast<std::size_t>(n));
            for (auto d = vmatlas::remote::decode_frame(buffer);
                 d.kind != vmatlas::remote::Frame::Incomplete;
                 d = vmatlas::remote::decode_frame(buffer)) {
                const bool qsupported =
                    d.kind == vmatlas::remote::Frame::Packet && d.payload.starts_with("qSupported");
                const bool other = d.kind == vmatlas::remote::Frame::Packet && !qsupported;
                buffer.erase(0, d.consumed);
                if (other) {
                    close(fd);
                    return;
                }
                if (qsupported) {
                    const std::string reply = "+" + vmatlas::remote::frame("PacketSize=4000");
                    if (write(fd, reply.data(), reply.size()) < 0) return;
                }
            }
        }
        if (fd >= 0) close(fd);
    });
    const RunResult r = vmatlas({"tcp:127.0.0.1:" + port});
    stub.join();
    close(listener);
    EXPECT_EQ(r.status, 7);
    EXPECT_EQ(r.err,
              "vmatlas: tcp:127.0.0.1:" + port + " closed the connection before it replied\n");
}

// A stub that sends the first 100 bytes of a maps text (two rows and part of a third) and then
// closes the connection: the two rows are shown, a warning says what is missing, and the status
// is that of partial input.
TEST(RemoteLive, AStubThatGoesAwayMidReadGivesThePartialMap) {
    const std::string maps =
        "10000-11000 rw-p 00000000 00:00 0\n"
        "12000-13000 r--p 00000000 00:00 0\n"
        "14000-15000 rw-p 00000000 00:00 0\n"
        "16000-17000 rw-p 00000000 00:00 0\n";
    vmtest::FakeStub stub(vmtest::FakeStub::Tcp{}, [&, preads = 0](const std::string& p) mutable {
        using vmatlas::remote::frame;
        std::optional<std::string> reply = frame("");
        if (p.starts_with("qSupported")) reply = frame("PacketSize=1000");
        if (p == "qC") reply = frame("QCp2a.2a");
        if (p == "vFile:open:2f70726f632f34322f6d617073,0,0") reply = frame("F7");
        if (p.starts_with("vFile:pread:7,") && ++preads == 1)
            reply = frame("F64;" + vmatlas::remote::escape(maps.substr(0, 100)));
        if (p.starts_with("vFile:pread:7,") && preads > 1) reply = std::nullopt;
        return reply;
    });
    const std::string target = "tcp:127.0.0.1:" + stub.port();
    const RunResult r = vmatlas({"--json", target});
    EXPECT_EQ(r.status, 9);
    EXPECT_EQ(r.err, "vmatlas: warning: " + target +
                         " closed the connection before it replied: /proc/42/maps was read to "
                         "offset 0x44, and the rows after it are missing\n");
    const auto j = parse_json(r);
    EXPECT_EQ(j["partial"], true);
    ASSERT_EQ(j["mappings"].size(), 2u);
    EXPECT_EQ(j["mappings"][0]["start"], "0x10000");
    EXPECT_EQ(j["mappings"][1]["start"], "0x12000");
}

TEST(RemoteLive, ATargetThatIsNoHostAndPort) {
    const RunResult r = vmatlas({"tcp:localhost"});
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.err.find("give tcp:HOST:PORT"), std::string::npos) << r.err;
}

// ---- which file names a row's segments (docs/remote.md) ---------------------------------------

// The cache of remote objects, in a directory of the test's for every run of the command.
class CacheDir {
  public:
    explicit CacheDir(const TempDir& dir) : path_(dir / "cache") {
        ::setenv("VMATLAS_CACHE_DIR", path_.c_str(), 1);
    }
    ~CacheDir() { ::unsetenv("VMATLAS_CACHE_DIR"); }
    const std::string& path() const { return path_; }
    std::vector<std::string> entries() const {
        std::vector<std::string> names;
        if (std::filesystem::exists(path_ + "/objects"))
            for (const auto& e : std::filesystem::directory_iterator(path_ + "/objects"))
                names.push_back(e.path().filename().string());
        return names;
    }

  private:
    std::string path_;
};

// Each row's start, name and where the name came from, for the rows named from ELF headers or
// by layout (the local view also names stacks from registers, which a gdbserver target does
// not read).
std::vector<std::string> object_names(const nlohmann::json& j) {
    std::vector<std::string> out;
    for (const auto& m : j["mappings"])
        if (m["name_source"] == "elf" || m["name_source"] == "layout")
            out.push_back(m["start"].get<std::string>() + " " + m["name"].get<std::string>() + " " +
                          m["name_source"].get<std::string>());
    return out;
}

// The command's warnings but the one about the demo's deleted file's row, which maps text always
// gets ("line N, column M: this row's name ends in \" (deleted)\" ...").
std::string object_warnings(const std::string& err) {
    std::string out;
    for (const std::string& line : lines(err))
        if (!line.starts_with("vmatlas: warning: line ")) out += line + "\n";
    return out;
}

// A small executable of the test's own, with a build-id no other file has.
std::string other_build(const TempDir& dir) {
    const std::string src = dir / "other.c";
    write_text(src, "int main(void) { return 42; }\n");
    const std::string exe = dir / "other";
    must_run({"cc", "-O0", "-Wl,--build-id=0x0123456789abcdef0123", "-o", exe, src});
    return exe;
}

std::string build_id_of(const std::string& file) {
    const int fd = open(file.c_str(), O_RDONLY | O_CLOEXEC);
    auto obj = vmatlas::elf::read_elf_object(fd);
    close(fd);
    std::string hex;
    if (obj)
        for (const std::uint8_t b : obj->build_id) hex += fmt::format("{:02x}", b);
    return hex;
}

std::string exe_of(pid_t pid) {
    return std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/exe").string();
}

// With --sysroot holding copies of the demo's executable and libc at their paths, the segments
// are named as the demo's own map names them, without a word; a copy of another build is not
// used, and the warning names it.
TEST(RemoteLive, SysrootCopiesWithTheBuildIdNameTheSegments) {
    const TempDir dir("vmatlas remote");
    const CacheDir cache(dir);
    Demo demo({}, {.dir = dir.path().string()});
    GdbServer server(demo.pid());
    const RunResult local = vmatlas({"--json", demo.pid_text()});
    ASSERT_EQ(local.status, 0) << local.err;
    const auto want = object_names(parse_json(local));
    ASSERT_GT(want.size(), 4u);

    const std::string sysroot = dir / "sys root";
    const std::string exe = exe_of(demo.pid());
    std::string libc;
    for (const ProcRow& row : read_proc_maps(demo.pid()))
        if (row.path.find("/libc.so") != std::string::npos) libc = row.path;
    ASSERT_FALSE(libc.empty());
    for (const std::string& file : {exe, libc}) {
        std::filesystem::create_directories(std::filesystem::path(sysroot + file).parent_path());
        std::filesystem::copy_file(file, sysroot + file);
    }
    const RunResult r = vmatlas({"--json", "--sysroot", sysroot, server.target()});
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(object_warnings(r.err), "");
    EXPECT_EQ(object_names(parse_json(r)), want);
    EXPECT_TRUE(cache.entries().empty());  // every object was here already

    // Another build at the executable's path in the sysroot: not used, and said.
    std::filesystem::copy_file(other_build(dir), sysroot + exe,
                               std::filesystem::copy_options::overwrite_existing);
    const RunResult other = vmatlas({"--json", "--sysroot", sysroot, server.target()});
    ASSERT_EQ(other.status, 0) << other.err;
    EXPECT_EQ(object_warnings(other.err),
              "vmatlas: warning: " + exe + ": the copy under --sysroot " + sysroot +
                  " has another build-id; its segments are named from the file of "
                  "that path here\n");
    EXPECT_EQ(object_names(parse_json(other)), want);

    EXPECT_EQ(vmatlas({"--sysroot", sysroot, "self"}).status, 2);  // a gdbserver's option
}

// The demo's executable read through gdbserver when the file of its path here is another build:
// the command runs in a mount namespace of its own where another executable is bound over that
// path, as a machine with another installation would have it, while gdbserver reads the real
// one. The first run reads the remote file whole into the cache, named by its build-id; the
// second finds it there and writes nothing; both name the segments as the demo's own map does.
TEST(RemoteLive, ARemoteObjectIsReadOnceIntoTheCache) {
    const TempDir dir("vmatlas remote");
    const CacheDir cache(dir);
    Demo demo({}, {.dir = dir.path().string()});
    GdbServer server(demo.pid());
    const RunResult local = vmatlas({"--json", demo.pid_text()});
    ASSERT_EQ(local.status, 0) << local.err;
    const auto want = object_names(parse_json(local));
    const std::string exe = exe_of(demo.pid());
    const std::string other = other_build(dir);
    const std::string id = build_id_of(exe);
    ASSERT_EQ(id.size(), 40u);
    ASSERT_NE(build_id_of(other), id);

    // Between fork and exec: async-signal-safe calls only.
    const int flags = geteuid() == 0 ? CLONE_NEWNS : CLONE_NEWUSER | CLONE_NEWNS;
    const auto elsewhere = [&] {
        if (unshare(flags) != 0 || mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) ||
            mount(other.c_str(), exe.c_str(), nullptr, MS_BIND, nullptr) != 0)
            _exit(125);
    };
    const RunResult first = vmatlas({"--json", server.target()}, {}, elsewhere);
    if (first.status == 125) GTEST_SKIP() << "no mount namespace for the command";
    ASSERT_EQ(first.status, 0) << first.err;
    EXPECT_EQ(object_warnings(first.err), "");
    EXPECT_EQ(object_names(parse_json(first)), want);
    EXPECT_EQ(cache.entries(), std::vector<std::string>{id});
    const std::string entry = cache.path() + "/objects/" + id;
    EXPECT_EQ(slurp(entry), slurp(exe));
    struct stat before {};
    ASSERT_EQ(stat(entry.c_str(), &before), 0);

    const RunResult second = vmatlas({"--json", server.target()}, {}, elsewhere);
    ASSERT_EQ(second.status, 0) << second.err;
    EXPECT_EQ(object_warnings(second.err), "");
    EXPECT_EQ(second.out, first.out);
    struct stat after {};
    ASSERT_EQ(stat(entry.c_str(), &after), 0);
    EXPECT_EQ(after.st_ino, before.st_ino);  // not written again (a rename makes a new inode)
    EXPECT_EQ(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
    EXPECT_EQ(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
}

// What the namespaced gdbserver of the next test binds over a path: set before it forks.
std::string g_bound_over, g_bound_with;

// gdbserver in a mount namespace of its own where another build is bound over the demo's
// executable, as when gdbserver runs outside the container of the process it attaches to: the
// objects are opened where the process sees them (vFile:setfs with its PID), so the file here,
// which is the one the process mapped, has the remote file's build-id: nothing is read whole, and
// the segments are named as the demo's own map names them.
TEST(RemoteLive, ObjectsAreOpenedInTheProcesssMountNamespace) {
    if (geteuid() != 0) GTEST_SKIP() << "gdbserver in a mount namespace of its own needs root";
    const TempDir dir("vmatlas remote");
    const CacheDir cache(dir);
    Demo demo({}, {.dir = dir.path().string()});
    const RunResult local = vmatlas({"--json", demo.pid_text()});
    ASSERT_EQ(local.status, 0) << local.err;
    g_bound_over = exe_of(demo.pid());
    g_bound_with = other_build(dir);
    std::optional<GdbServer> server;
    try {
        server.emplace(demo.pid(), [] {
            if (unshare(CLONE_NEWNS) != 0 ||
                mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
                mount(g_bound_with.c_str(), g_bound_over.c_str(), nullptr, MS_BIND, nullptr) != 0)
                _exit(125);
        });
    } catch (const std::runtime_error& e) {
        GTEST_SKIP() << "no mount namespace for gdbserver: " << e.what();
    }
    const RunResult remote = vmatlas({"--json", server->target()});
    ASSERT_EQ(remote.status, 0) << remote.err;
    EXPECT_EQ(object_warnings(remote.err), "");
    EXPECT_EQ(object_names(parse_json(remote)), object_names(parse_json(local)));
    EXPECT_EQ(cache.entries(), std::vector<std::string>{});
}

// A child with a large map: 1500 anonymous pages of alternating permissions, so that no two
// merge; it waits until it is killed.
class ManyMappings {
  public:
    ManyMappings() {
        int ready[2];
        if (pipe2(ready, O_CLOEXEC) != 0) throw std::runtime_error("pipe2");
        pid_ = fork();
        if (pid_ < 0) throw std::runtime_error("fork");
        if (pid_ == 0) {
            for (int i = 0; i < 1500; ++i)
                mmap(nullptr, 4096, i % 2 ? PROT_READ : PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (write(ready[1], "x", 1) != 1) _exit(1);
            for (;;) pause();
        }
        close(ready[1]);
        char c;
        const bool made = read(ready[0], &c, 1) == 1;  // its map is made
        close(ready[0]);
        if (!made) throw std::runtime_error("the child did not map its pages");
    }
    ~ManyMappings() {
        kill(pid_, SIGKILL);
        kill(pid_, SIGCONT);
        waitpid(pid_, nullptr, 0);
    }
    pid_t pid() const { return pid_; }

  private:
    pid_t pid_ = 0;
};

// Between the command and a gdbserver: it passes the bytes on both ways until the command asks
// for its third vFile:pread, and then kills the gdbserver (SIGKILL) and closes the connection.
class KillingProxy {
  public:
    explicit KillingProxy(GdbServer& server) {
        listener_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        if (bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
            listen(listener_, 1) != 0 ||
            getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len) != 0)
            throw std::runtime_error("listen");
        port_ = std::to_string(ntohs(a.sin_port));
        thread_ = std::thread([this, &server] { relay(server); });
    }
    ~KillingProxy() {
        shutdown(listener_, SHUT_RDWR);
        if (thread_.joinable()) thread_.join();
        close(listener_);
    }
    std::string target() const { return "tcp:127.0.0.1:" + port_; }
    int preads() const { return preads_; }

  private:
    static int connect_to(const std::string& port) {
        addrinfo hints{};
        hints.ai_socktype = SOCK_STREAM;
        addrinfo* list = nullptr;
        if (getaddrinfo("localhost", port.c_str(), &hints, &list) != 0) return -1;
        int fd = -1;
        for (addrinfo* ai = list; ai != nullptr && fd < 0; ai = ai->ai_next) {
            fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
            if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) close(fd), fd = -1;
        }
        freeaddrinfo(list);
        return fd;
    }

    void relay(GdbServer& server) {
        const int client = accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
        if (client < 0) return;
        const int stub = connect_to(server.port());
        std::string asked;  // what the command sent, for counting its reads
        char chunk[65536];
        for (bool open = stub >= 0; open;) {
            pollfd fds[2] = {{client, POLLIN, 0}, {stub, POLLIN, 0}};
            if (poll(fds, 2, 10'000) <= 0) break;
            for (int i = 0; i < 2 && open; ++i) {
                if (fds[i].revents == 0) continue;
                const ssize_t n = read(fds[i].fd, chunk, sizeof chunk);
                if (n <= 0) {
                    open = false;
                    break;
                }
                if (i == 0) {
                    asked.append(chunk, static_cast<std::size_t>(n));
                    for (auto at = asked.find("$vFile:pread:"); at != std::string::npos;
                         at = asked.find("$vFile:pread:", at + 1))
                        ++preads_;
                    asked.erase(0, asked.size() > 16 ? asked.size() - 16 : 0);
                    if (preads_ >= 3) {
                        server.kill_now();
                        open = false;
                        break;
                    }
                }
                if (write(fds[1 - i].fd, chunk, static_cast<std::size_t>(n)) != n) open = false;
            }
        }
        if (stub >= 0) close(stub);
        close(client);
    }

    int listener_ = -1;
    std::string port_;
    std::thread thread_;
    int preads_ = 0;
};

// A real gdbserver killed while the command reads a large map through it: the rows that came
// whole are shown and equal the process's own, the map is partial (9), and stderr says where the
// read ended and that the objects were not read.
TEST(RemoteLive, AGdbserverKilledMidReadGivesThePartialMap) {
    const TempDir dir("vmatlas remote");
    const CacheDir cache(dir);
    ManyMappings child;
    const std::string maps_text = slurp("/proc/" + std::to_string(child.pid()) + "/maps");
    const std::vector<ProcRow> rows = parse_proc_maps(maps_text);
    ASSERT_GT(rows.size(), 1500u);
    GdbServer server(child.pid());
    KillingProxy proxy(server);

    const RunResult r = vmatlas({"--json", proxy.target()});
    EXPECT_EQ(proxy.preads(), 3);
    EXPECT_FALSE(server.running());
    EXPECT_EQ(r.status, 9) << r.err;
    const auto j = parse_json(r);
    EXPECT_EQ(j["partial"], true);
    const auto& ms = j["mappings"];
    ASSERT_GT(ms.size(), 10u);
    ASSERT_LT(ms.size(), rows.size());
    std::size_t offset = 0;
    for (std::size_t i = 0; i < ms.size(); ++i) {
        SCOPED_TRACE("row " + std::to_string(i));
        expect_json_row(ms[i], rows[i]);
        offset = maps_text.find('\n', offset) + 1;
    }
    const auto err = lines(r.err);
    ASSERT_EQ(err.size(), 2u) << r.err;
    EXPECT_EQ(err[0], fmt::format("vmatlas: warning: {} closed the connection before it replied: "
                                  "/proc/{}/maps was read to offset {:#x}, and the rows after it "
                                  "are missing",
                                  proxy.target(), child.pid(), offset));
    // The rows that came hold one object, the test's own executable (the pages are mapped
    // below the libraries; a sanitizer build's shadow rows, which name no file, come first).
    const auto object = std::find_if(rows.begin(), rows.begin() + static_cast<long>(ms.size()),
                                     [](const ProcRow& row) { return row.path.starts_with('/'); });
    ASSERT_NE(object, rows.begin() + static_cast<long>(ms.size()));
    EXPECT_EQ(err[1], "vmatlas: warning: " + object->path + " was not read, as the connection to " +
                          proxy.target() + " was lost; its segments are not named");
    EXPECT_TRUE(cache.entries().empty());
}

}  // namespace
}  // namespace vmtest
