// Which file names a gdbserver target's objects (src/sources/remote_objects.hpp), against a
// scripted TCP stub that serves a process's maps and a "remote" ELF file whose bytes the test
// chooses, so that the remote file and the files here (the path, a --sysroot copy, the cache)
// differ exactly as each case needs. The ELF files are built here field by field: an ELF64
// header, two PT_LOADs (r at 0, r-x at 0x1000) and a PT_NOTE holding the GNU build-id.
#include <elf.h>
#include <sys/stat.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "remote/fake_stub.hpp"
#include "sources/object_reader.hpp"
#include "sources/remote_files.hpp"
#include "sources/remote_objects.hpp"
#include "support/files.hpp"

namespace vmatlas::remote {
namespace {

using vmtest::TempDir;
using namespace std::string_literals;

template <typename T>
void put(std::string& b, std::size_t at, const T& v) {
    std::memcpy(b.data() + at, &v, sizeof v);
}

// An ELF64 shared object of `size` bytes whose build-id is `id` (none when empty); `text_size`
// sets its second PT_LOAD's sizes, so that two files without build-ids can differ.
std::string tiny_elf(const std::string& id, std::size_t size = 0x3000,
                     std::uint64_t text_size = 0x2000) {
    std::string b(size, '\0');
    Elf64_Ehdr eh{};
    std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS64;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    eh.e_type = ET_DYN;
    eh.e_machine = EM_X86_64;
    eh.e_version = EV_CURRENT;
    eh.e_phoff = sizeof eh;
    eh.e_ehsize = sizeof eh;
    eh.e_phentsize = sizeof(Elf64_Phdr);
    eh.e_phnum = id.empty() ? 2 : 3;
    put(b, 0, eh);
    constexpr std::size_t kNote = 0x200;
    const std::size_t note_size = 16 + (id.size() + 3) / 4 * 4;
    const Elf64_Phdr ph[3] = {
        {PT_LOAD, PF_R, 0, 0, 0, 0x1000, 0x1000, 0x1000},
        {PT_LOAD, PF_R | PF_X, 0x1000, 0x1000, 0x1000, text_size, text_size, 0x1000},
        {PT_NOTE, PF_R, kNote, kNote, kNote, note_size, note_size, 4},
    };
    for (int i = 0; i < eh.e_phnum; ++i) put(b, sizeof eh + i * sizeof(Elf64_Phdr), ph[i]);
    const std::uint32_t header[3] = {4, static_cast<std::uint32_t>(id.size()), NT_GNU_BUILD_ID};
    put(b, kNote, header);
    std::memcpy(b.data() + kNote + 12, "GNU", 4);
    std::memcpy(b.data() + kNote + 16, id.data(), id.size());
    return b;
}

std::string hex(const std::string& bytes) {
    std::string out;
    for (const unsigned char c : bytes) out += fmt::format("{:02x}", c);
    return out;
}

const std::string kIdA = "\x11\x22\x33\x44\x55\x66\x77\x88";
const std::string kIdB = "\x99\xaa\xbb\xcc\xdd\xee\xff\x00"s;

// A gdbserver debugging process 42 whose map has two rows of `path`, serving that map and the
// files of `files` (path -> bytes), refusing the paths in `denied` with EACCES. It counts the
// bytes of each file it sends.
struct RemoteMachine {
    std::string path;
    std::map<std::string, std::string> files;
    std::set<std::string> denied;
    std::string closes_on;  // a file whose first read the stub answers by going away
    std::map<std::string, std::size_t> sent;  // read after the stub's thread has ended
    bool setfs = false;                       // whether it answers vFile:setfs (as gdbserver)

    vmtest::FakeStub::Script script() {
        return [this, open = std::map<unsigned, std::string>(),
                next_fd = 3u](const std::string& p) mutable -> std::optional<std::string> {
            if (p.starts_with("qSupported")) return frame("PacketSize=4000");
            if (p == "qC") return frame("QCp2a.2a");
            if (p.starts_with("vFile:setfs:")) return frame(setfs ? "F0" : "");
            if (p.starts_with("vFile:open:")) {
                const std::string hex_path = p.substr(11, p.find(',') - 11);
                std::string name;
                for (std::size_t i = 0; i + 1 < hex_path.size(); i += 2)
                    name += static_cast<char>(std::stoi(hex_path.substr(i, 2), nullptr, 16));
                if (denied.contains(name)) return frame("F-1,d");
                if (!files.contains(name)) return frame("F-1,2");
                open[next_fd] = name;
                return frame(fmt::format("F{:x}", next_fd++));
            }
            unsigned fd = 0, count = 0, offset = 0;
            if (std::sscanf(p.c_str(), "vFile:pread:%x,%x,%x", &fd, &count, &offset) == 3) {
                if (!open.contains(fd)) return frame("F-1,9");
                if (open[fd] == closes_on) return std::nullopt;
                const std::string& bytes = files[open[fd]];
                const std::string part = offset >= bytes.size() ? "" : bytes.substr(offset, count);
                sent[open[fd]] += part.size();
                return frame(fmt::format("F{:x};", part.size()) + escape(part));
            }
            if (p.starts_with("vFile:close:")) return frame("F0");
            return frame("");
        };
    }

    // Two rows of object_path, the stack, and a row of each of `more`.
    void set_map(const std::string& object_path, const std::vector<std::string>& more = {}) {
        path = object_path;
        files["/proc/42/maps"] = fmt::format(
            "00400000-00401000 r--p 00000000 08:01 1234 {0}\n"
            "00401000-00403000 r-xp 00001000 08:01 1234 {0}\n"
            "7ffc0000-7ffc1000 rw-p 00000000 00:00 0 [stack]\n",
            object_path);
        for (std::size_t i = 0; i < more.size(); ++i)
            files["/proc/42/maps"] +=
                fmt::format("{:x}-{:x} r--p 00000000 08:01 {} {}\n", 0x7ffd0000 + i * 0x1000,
                            0x7ffd1000 + i * 0x1000, 2000 + i, more[i]);
        files["/proc/42/comm"] = "prog\n";
    }
};

struct Named {
    std::optional<ObjectHeaders> headers;
    std::vector<std::string> warnings;
    std::vector<std::string> payloads;
};

// The target read through the stub, and its object read as the ELF stage reads it.
Named read_through(RemoteMachine& machine, const TargetOptions& options = {}) {
    vmtest::FakeStub stub(vmtest::FakeStub::Tcp{}, machine.script());
    const std::string spec = "tcp:127.0.0.1:" + stub.port();
    auto t = open_remote_target(spec, options);
    Named out;
    EXPECT_TRUE(t) << t.error().message;
    if (!t) return out;
    EXPECT_GE(t->space.size(), 3u);
    EXPECT_TRUE(t->objects);
    if (!t->objects) return out;
    out.headers = t->objects->read(t->space, {0, 1}, out.warnings);
    t->objects->finish(out.warnings);
    out.payloads = stub.payloads();
    // Only host I/O was asked for, after the handshake, the questions to a QEMU stub and qC.
    const auto qc = std::find(out.payloads.begin(), out.payloads.end(), "qC");
    EXPECT_NE(qc, out.payloads.end());
    for (std::size_t i = static_cast<std::size_t>(qc - out.payloads.begin()) + 1;
         i < out.payloads.size(); ++i)
        EXPECT_TRUE(out.payloads[i] == "vFile:setfs:2a" || out.payloads[i] == "vFile:setfs:0" ||
                    out.payloads[i].starts_with("vFile:open:") ||
                    out.payloads[i].starts_with("vFile:pread:") ||
                    out.payloads[i].starts_with("vFile:close:"))
            << out.payloads[i];
    return out;
}

class RemoteObjectsTest : public ::testing::Test {
  protected:
    void SetUp() override {
        cache_ = dir_ / "cache";
        ::setenv("VMATLAS_CACHE_DIR", cache_.c_str(), 1);
        // The remote path is one that exists nowhere here unless a test puts it there.
        remote_path_ = dir_ / "machine/usr/lib/lib prog.so";
        machine_.set_map(remote_path_);
    }
    void TearDown() override { ::unsetenv("VMATLAS_CACHE_DIR"); }

    void put_file(const std::string& file, const std::string& bytes) {
        std::filesystem::create_directories(std::filesystem::path(file).parent_path());
        vmtest::write_text(file, bytes);
    }
    std::string cached(const std::string& id) const { return cache_ + "/objects/" + hex(id); }

    TempDir dir_{"vmatlas remote objects"};
    std::string cache_, remote_path_;
    RemoteMachine machine_;
};

TEST_F(RemoteObjectsTest, ASysrootCopyWithTheBuildIdNamesTheSegments) {
    machine_.files[remote_path_] = tiny_elf(kIdA, 0x30000);
    const std::string sysroot = dir_ / "sysroot";
    put_file(sysroot + remote_path_, tiny_elf(kIdA, 0x30000));
    const Named n = read_through(machine_, {.sysroot = sysroot});
    ASSERT_TRUE(n.headers);
    EXPECT_EQ(n.headers->file, sysroot + remote_path_);
    EXPECT_EQ(n.headers->object.build_id.size(), kIdA.size());
    EXPECT_TRUE(n.warnings.empty()) << n.warnings.front();
    // Only the first 64 KB of the remote file were read, and nothing was cached.
    EXPECT_EQ(machine_.sent[remote_path_], 0x10000u);
    EXPECT_FALSE(std::filesystem::exists(cache_));
}

TEST_F(RemoteObjectsTest, ASysrootCopyWithAnotherBuildIdIsNotUsed) {
    machine_.files[remote_path_] = tiny_elf(kIdA);
    const std::string sysroot = dir_ / "sysroot";
    put_file(sysroot + remote_path_, tiny_elf(kIdB));
    put_file(remote_path_, tiny_elf(kIdA));  // the same file here, at the same path
    const Named n = read_through(machine_, {.sysroot = sysroot});
    ASSERT_TRUE(n.headers);
    EXPECT_EQ(n.headers->file, remote_path_);
    ASSERT_EQ(n.warnings.size(), 1u);
    EXPECT_EQ(n.warnings[0], remote_path_ + ": the copy under --sysroot " + sysroot +
                                 " has another build-id; its segments are named from the file "
                                 "of that path here");
}

TEST_F(RemoteObjectsTest, TheFileOfThePathHereWithTheBuildId) {
    machine_.files[remote_path_] = tiny_elf(kIdA);
    put_file(remote_path_, tiny_elf(kIdA));
    const Named n = read_through(machine_);
    ASSERT_TRUE(n.headers);
    EXPECT_EQ(n.headers->file, remote_path_);
    EXPECT_TRUE(n.warnings.empty());
    EXPECT_FALSE(std::filesystem::exists(cache_));
}

TEST_F(RemoteObjectsTest, AFileHereWithAnotherBuildIdSendsToTheRemoteFileThenTheCache) {
    // 200 KB: the head, then the rest in pieces.
    const std::string remote = tiny_elf(kIdA, 200 * 1024, 0x30000);
    machine_.files[remote_path_] = remote;
    put_file(remote_path_, tiny_elf(kIdB));
    const Named first = read_through(machine_);
    ASSERT_TRUE(first.headers);
    EXPECT_EQ(first.headers->file, cached(kIdA));
    EXPECT_TRUE(first.warnings.empty()) << first.warnings.front();
    EXPECT_EQ(first.headers->object.program_headers.at(1).filesz, 0x30000u);
    EXPECT_EQ(machine_.sent[remote_path_], remote.size());
    EXPECT_EQ(vmtest::slurp(cached(kIdA)), remote);
    EXPECT_EQ(std::filesystem::directory_iterator(cache_ + "/objects")->path(),
              cached(kIdA));  // no temporary file left beside it

    // Again: the cached copy, and only the remote file's head read.
    machine_.sent.clear();
    const Named second = read_through(machine_);
    ASSERT_TRUE(second.headers);
    EXPECT_EQ(second.headers->file, cached(kIdA));
    EXPECT_TRUE(second.warnings.empty());
    EXPECT_EQ(machine_.sent[remote_path_], 0x10000u);
}

TEST_F(RemoteObjectsTest, ACachedCopyWithAnotherBuildIdIsReplaced) {
    // A damaged cache entry (another object under A's name) is read over, not used.
    machine_.files[remote_path_] = tiny_elf(kIdA);
    put_file(cached(kIdA), tiny_elf(kIdB));
    const Named n = read_through(machine_);
    ASSERT_TRUE(n.headers);
    EXPECT_EQ(n.headers->file, cached(kIdA));
    EXPECT_EQ(vmtest::slurp(cached(kIdA)), tiny_elf(kIdA));
}

TEST_F(RemoteObjectsTest, ACachedCopyWithTheBuildIdButOtherLoadsIsReplaced) {
    // A stub wrote the cache: a file under A's build-id must also have the remote file's PT_LOADs.
    machine_.files[remote_path_] = tiny_elf(kIdA);
    put_file(cached(kIdA), tiny_elf(kIdA, 200 * 1024, 0x30000));
    const Named n = read_through(machine_);
    ASSERT_TRUE(n.headers);
    EXPECT_EQ(n.headers->file, cached(kIdA));
    EXPECT_EQ(vmtest::slurp(cached(kIdA)), tiny_elf(kIdA));
}

TEST_F(RemoteObjectsTest, TheObjectsAreOpenedInTheProcesssMountNamespace) {
    // The maps in the stub's own namespace; the objects in the process's (PID 42), then back.
    machine_.setfs = true;
    machine_.files[remote_path_] = tiny_elf(kIdA);
    put_file(remote_path_, tiny_elf(kIdA));
    const Named n = read_through(machine_);
    ASSERT_TRUE(n.headers);
    std::vector<std::string> files;
    for (const std::string& p : n.payloads)
        if (p.starts_with("vFile:setfs:") || p.starts_with("vFile:open:")) files.push_back(p);
    EXPECT_EQ(files, (std::vector<std::string>{
                         "vFile:open:" + hex_text("/proc/42/maps") + ",0,0",
                         "vFile:open:" + hex_text("/proc/42/comm") + ",0,0", "vFile:setfs:2a",
                         "vFile:open:" + hex_text(remote_path_) + ",0,0", "vFile:setfs:0"}));
}

TEST_F(RemoteObjectsTest, AnObjectWithoutBuildIdIsReadWholeAndNotCached) {
    machine_.files[remote_path_] = tiny_elf("", 0x3000, 0x1800);
    put_file(remote_path_, tiny_elf("", 0x3000, 0x2000));  // other PT_LOADs
    const Named n = read_through(machine_);
    ASSERT_TRUE(n.headers);
    EXPECT_EQ(n.headers->file, "");
    EXPECT_EQ(n.headers->object.program_headers.at(1).filesz, 0x1800u);
    ASSERT_EQ(n.warnings.size(), 1u);
    EXPECT_EQ(n.warnings[0].substr(0, remote_path_.size()), remote_path_);
    EXPECT_NE(n.warnings[0].find(" has no build-id, so it was read from tcp:127.0.0.1:"),
              std::string::npos)
        << n.warnings[0];
    EXPECT_TRUE(n.warnings[0].ends_with(" whole and not cached: the next run reads it again"));
    EXPECT_FALSE(std::filesystem::exists(cache_));
}

TEST_F(RemoteObjectsTest, AnObjectWithoutBuildIdHereWithTheSameLoadsIsUsed) {
    machine_.files[remote_path_] = tiny_elf("", 0x3000, 0x1800);
    put_file(remote_path_, tiny_elf("", 0x3000, 0x1800));
    const Named n = read_through(machine_);
    ASSERT_TRUE(n.headers);
    EXPECT_EQ(n.headers->file, remote_path_);
    EXPECT_TRUE(n.warnings.empty());
}

TEST_F(RemoteObjectsTest, ARemoteFileThatCannotBeReadLeavesTheRowsUnnamed) {
    machine_.files[remote_path_] = tiny_elf(kIdA);
    machine_.denied.insert(remote_path_);
    const Named n = read_through(machine_);
    EXPECT_FALSE(n.headers);
    ASSERT_EQ(n.warnings.size(), 1u);
    EXPECT_TRUE(n.warnings[0].starts_with(remote_path_ + ": tcp:127.0.0.1:")) << n.warnings[0];
    EXPECT_TRUE(n.warnings[0].ends_with(" cannot open " + remote_path_ +
                                        ": Permission denied (errno 13); its segments are not "
                                        "named"))
        << n.warnings[0];
}

TEST_F(RemoteObjectsTest, AFileThatIsNotElfIsPassedOverSilently) {
    machine_.files[remote_path_] = "a locale archive, or a font";
    const Named n = read_through(machine_);
    EXPECT_FALSE(n.headers);
    EXPECT_TRUE(n.warnings.empty());
}

TEST_F(RemoteObjectsTest, ACacheThatCannotBeWrittenIsSaidAndTheRemoteFileUsed) {
    machine_.files[remote_path_] = tiny_elf(kIdA);
    put_file(cache_, "a file where the cache directory would be");
    const Named n = read_through(machine_);
    ASSERT_TRUE(n.headers);
    EXPECT_EQ(n.headers->file, "");
    EXPECT_EQ(n.headers->object.build_id.size(), kIdA.size());
    ASSERT_EQ(n.warnings.size(), 1u);
    EXPECT_TRUE(n.warnings[0].starts_with(remote_path_ + ": cannot create " + cache_))
        << n.warnings[0];
    EXPECT_TRUE(n.warnings[0].ends_with("; it is read again next time")) << n.warnings[0];
}

// The stub goes away while the first object is read: that object's warning says why, and one
// more counts the objects after it.
TEST_F(RemoteObjectsTest, AConnectionLostAmongTheObjectsIsSaidOnce) {
    const std::vector<std::string> more = {dir_ / "machine/lib/b.so", dir_ / "machine/lib/c.so"};
    machine_.set_map(remote_path_, more);
    for (const std::string& p : more) machine_.files[p] = tiny_elf(kIdB);
    machine_.files[remote_path_] = tiny_elf(kIdA);
    machine_.closes_on = remote_path_;
    vmtest::FakeStub stub(vmtest::FakeStub::Tcp{}, machine_.script());
    const std::string spec = "tcp:127.0.0.1:" + stub.port();
    auto t = open_remote_target(spec);
    ASSERT_TRUE(t) << t.error().message;
    ASSERT_EQ(t->space.size(), 5u);
    ASSERT_TRUE(t->objects);
    std::vector<std::string> warnings;
    EXPECT_FALSE(t->objects->read(t->space, {0, 1}, warnings));
    EXPECT_FALSE(t->objects->read(t->space, {3}, warnings));
    EXPECT_FALSE(t->objects->read(t->space, {4}, warnings));
    t->objects->finish(warnings);
    EXPECT_EQ(warnings,
              (std::vector<std::string>{
                  remote_path_ + ": " + spec +
                      " closed the connection before it replied; its segments are not named",
                  more[0] + " and 1 other object were not read, as the connection to " + spec +
                      " was lost; their segments are not named"}));
}

TEST(RemoteObjectsCache, TheDirectoryFromTheEnvironment) {
    const char* saved_home = std::getenv("HOME");
    const std::string home = saved_home ? saved_home : "";
    ::unsetenv("VMATLAS_CACHE_DIR");
    ::unsetenv("XDG_CACHE_HOME");
    ::setenv("HOME", "/home/u", 1);
    EXPECT_EQ(default_cache_dir(), "/home/u/.cache/vmatlas");
    ::setenv("XDG_CACHE_HOME", "/xdg", 1);
    EXPECT_EQ(default_cache_dir(), "/xdg/vmatlas");
    ::setenv("VMATLAS_CACHE_DIR", "/c", 1);
    EXPECT_EQ(default_cache_dir(), "/c");
    ::unsetenv("VMATLAS_CACHE_DIR");
    ::unsetenv("XDG_CACHE_HOME");
    if (saved_home) ::setenv("HOME", home.c_str(), 1);
}

}  // namespace
}  // namespace vmatlas::remote
