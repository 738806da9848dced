// Which file names the segments of a gdbserver target's objects (remote_objects.hpp).
#include "sources/remote_objects.hpp"

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <span>
#include <tuple>

#include <fmt/format.h>

#include "sources/object_files.hpp"
#include "sources/remote_files.hpp"
#include "vmatlas/annotations.hpp"

namespace vmatlas::remote {

namespace {

// Enough for the ELF header, the program headers and the build-id note of any object a linker
// makes (the same as a core's dumped first page is read for).
constexpr std::size_t kHeaderBytes = 64 * 1024;

std::string hex_id(const std::vector<std::uint8_t>& id) {
    std::string out;
    for (const std::uint8_t b : id) out += fmt::format("{:02x}", b);
    return out;
}

// Whether `local` is the object the remote file is: the same build-id, or without build-ids
// the same PT_LOADs.
bool same_object(const elf::ElfObject& remote, const elf::ElfObject& local) {
    if (remote.build_id.empty() && local.build_id.empty()) return same_loads(remote, local);
    return remote.build_id == local.build_id;
}

// How `local` differs from the remote file, for a warning.
std::string_view difference(const elf::ElfObject& remote, const elf::ElfObject& local) {
    if (remote.build_id.empty() && local.build_id.empty()) return "other program headers";
    if (local.build_id.empty()) return "no build-id";
    if (remote.build_id.empty()) return "a build-id, where the remote file has none";
    return "another build-id";
}

Result<elf::ElfObject> parse(std::string_view bytes) {
    return elf::read_elf_object(std::as_bytes(std::span(bytes.data(), bytes.size())));
}

// Writes `bytes` as `file`, whole or not at all: a new temporary file beside it (mkstemp: created
// here, never a file or link someone put there), flushed to disk, then renamed, so that a reader
// never sees a part, not even after a crash, and two writers of one object leave one copy.
// Nothing, or why not.
std::optional<Error> write_atomically(const std::string& file, std::string_view bytes) {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(file).parent_path(), ec);
    if (ec)
        return make_error(
            ErrorKind::UnreadableInput,
            fmt::format("cannot create {}: {}", std::filesystem::path(file).parent_path().string(),
                        ec.message()));
    std::string temp = file + ".XXXXXX";
    const int fd = ::mkstemp(temp.data());
    if (fd < 0)
        return make_error(ErrorKind::UnreadableInput,
                          fmt::format("cannot create {}: {}", temp, std::strerror(errno)));
    std::size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        done += static_cast<std::size_t>(n);
    }
    const int saved = errno;
    const bool flushed = done == bytes.size() && ::fsync(fd) == 0;
    const bool closed = ::close(fd) == 0;
    if (done < bytes.size() || !flushed || !closed || ::rename(temp.c_str(), file.c_str()) != 0) {
        const int e = done < bytes.size() ? saved : errno;
        ::unlink(temp.c_str());
        return make_error(ErrorKind::UnreadableInput,
                          fmt::format("cannot write {}: {}", file, std::strerror(e)));
    }
    return std::nullopt;
}

// What names one object's segments.
struct Chosen {
    std::optional<elf::ElfObject> object;  // nothing: its segments are not named
    std::string file;                      // the local file it was read from; empty: memory
    std::vector<std::string> warnings;     // said with its first read
};

class RemoteObjects final : public ObjectReader {
  public:
    std::optional<ObjectHeaders> read(const AddressSpace& space,
                                      const std::vector<std::size_t>& rows,
                                      std::vector<std::string>& warnings) const override {
        const auto it = chosen_.find(std::string(space.path(space[rows.front()])));
        if (it == chosen_.end()) return std::nullopt;
        Chosen& c = it->second;
        warnings.insert(warnings.end(), c.warnings.begin(), c.warnings.end());
        c.warnings.clear();  // an object of several groups is warned of once
        if (!c.object) return std::nullopt;
        return ObjectHeaders{*c.object, c.file};
    }

    void finish(std::vector<std::string>& warnings) const override {
        warnings.insert(warnings.end(), final_.begin(), final_.end());
        final_.clear();
    }

    // annotate() runs on one thread; read() is const for its callers, not for what it has said.
    mutable std::map<std::string, Chosen> chosen_;
    mutable std::vector<std::string> final_;
};

class Fetcher {
  public:
    Fetcher(RemoteConnection& stub, const ObjectSources& sources)
        : stub_(stub), sources_(sources) {}

    Chosen choose(const std::string& path) {
        Chosen c;
        auto head = read_remote_range(stub_, path, 0, kHeaderBytes);
        if (!head || head->cut) {
            c.warnings.push_back(not_read(path, head ? *head->cut : head.error()));
            return c;
        }
        auto remote = parse(head->bytes);
        if (!remote) {
            // Not ELF (a locale archive, a font) is silent; broken ELF is worth a word.
            if (remote.error().kind != ErrorKind::Unsupported)
                c.warnings.push_back(fmt::format("{}: {} on {}; its segments are not named", path,
                                                 remote.error().message, stub_.name()));
            return c;
        }
        std::string rejected;  // the sysroot's copy, when it is another object
        if (!sources_.sysroot.empty()) {
            const std::string copy = sources_.sysroot + path;
            if (auto local = read_regular_elf(copy)) {
                if (same_object(*remote, *local)) return use(c, path, std::move(*local), copy);
                rejected = fmt::format("{}: the copy under --sysroot {} has {}", path,
                                       sources_.sysroot, difference(*remote, *local));
            }
        }
        // The path here: the same machine, or the same installation.
        if (auto local = read_regular_elf(path); local && same_object(*remote, *local))
            return use(c, path, std::move(*local), path, rejected, "the file of that path here");
        const std::string id = hex_id(remote->build_id);
        const std::string cached = id.empty() || sources_.cache_dir.empty()
                                       ? std::string()
                                       : fmt::format("{}/objects/{}", sources_.cache_dir, id);
        // A cached copy must also have the remote file's PT_LOADs: a stub wrote it, and its
        // build-id alone would let one stub's file stand for another's object.
        if (!cached.empty())
            if (auto local = read_regular_elf(cached);
                local && same_object(*remote, *local) && same_loads(*remote, *local))
                return use(c, path, std::move(*local), cached, rejected, "its cached copy");

        auto whole = read_whole(path, std::move(head->bytes));
        if (!whole) {
            if (!rejected.empty()) c.warnings.push_back(rejected + ", and is not used");
            c.warnings.push_back(not_read(path, whole.error()));
            return c;
        }
        auto object = parse(*whole);
        if (!object || object->build_id != remote->build_id) {
            if (!rejected.empty()) c.warnings.push_back(rejected + ", and is not used");
            c.warnings.push_back(
                fmt::format("{}: the file on {} changed while it was read; its segments are "
                            "not named",
                            path, stub_.name()));
            return c;
        }
        std::string file;
        if (id.empty()) {
            if (uncached_++ == 0) first_uncached_ = path;
        } else if (!cached.empty()) {
            if (auto failed = write_atomically(cached, *whole))
                c.warnings.push_back(
                    fmt::format("{}: {}; it is read again next time", path, failed->message));
            else
                file = cached;
        }
        return use(c, path, std::move(*object), file, rejected, "the remote file");
    }

    // What is said once at the end: objects left unread, objects read but not cached.
    std::vector<std::string> final_warnings(std::size_t unread, const std::string& first_unread) {
        std::vector<std::string> out;
        if (unread > 0)
            out.push_back(fmt::format(
                "{}{} {} not read, as the connection to {} was lost; {} segments are not named",
                first_unread,
                unread == 1
                    ? ""
                    : fmt::format(" and {} other object{}", unread - 1, unread == 2 ? "" : "s"),
                unread == 1 ? "was" : "were", stub_.name(), unread == 1 ? "its" : "their"));
        if (uncached_ > 0)
            out.push_back(fmt::format(
                "{}{} {} no build-id, so {} read from {} whole and not cached: the next run "
                "reads {} again",
                first_uncached_,
                uncached_ == 1 ? ""
                               : fmt::format(" and {} other object{}", uncached_ - 1,
                                             uncached_ == 2 ? "" : "s"),
                uncached_ == 1 ? "has" : "have", uncached_ == 1 ? "it was" : "they were",
                stub_.name(), uncached_ == 1 ? "it" : "them"));
        return out;
    }

  private:
    Chosen& use(Chosen& c, const std::string& path, elf::ElfObject object, std::string file,
                const std::string& rejected = {}, std::string_view from = {}) {
        if (!rejected.empty())
            c.warnings.push_back(fmt::format("{}; its segments are named from {}", rejected, from));
        // Damage in the sections of the file used (its program headers were whole).
        for (const std::string& w : object.warnings) c.warnings.push_back(path + ": " + w);
        object.warnings.clear();
        c.object = std::move(object);
        c.file = std::move(file);
        return c;
    }

    // The remote file whole: the head already read, then the rest.
    Result<std::string> read_whole(const std::string& path, std::string head) {
        if (head.size() < kHeaderBytes) return head;  // the file ended within it
        const std::size_t max = sources_.max_file_bytes;
        auto rest = read_remote_range(stub_, path, head.size(), max - head.size() + 1);
        if (!rest) return rest.error();
        if (rest->cut) return *rest->cut;
        if (head.size() + rest->bytes.size() > max)
            return make_error(
                ErrorKind::UnreadableInput,
                fmt::format("{} on {} is larger than {} bytes", path, stub_.name(), max));
        return head + rest->bytes;
    }

    std::string not_read(const std::string& path, const Error& why) const {
        return fmt::format("{}: {}; its segments are not named", path, why.message);
    }

    RemoteConnection& stub_;
    const ObjectSources& sources_;
    std::size_t uncached_ = 0;
    std::string first_uncached_;
};

// The paths whose objects are looked for: absolute, not deleted, not a kernel name, with an
// inode, not under /dev, /proc or /sys (opening a device there can block or have effects), and
// without "..", "//" that could lead there.
std::vector<std::string> object_paths(const AddressSpace& space) {
    std::vector<std::string> paths;
    std::set<std::string_view> seen;
    for (const Mapping& m : space.mappings()) {
        if (m.path == kNoPath || m.deleted() || m.inode == 0) continue;
        const std::string_view path = space.path(m);
        if (!path.starts_with('/') || is_kernel_name(path) || path.starts_with("/dev/") ||
            path.starts_with("/proc/") || path.starts_with("/sys/") ||
            path.find("/../") != std::string_view::npos ||
            path.find("//") != std::string_view::npos || path.ends_with("/.."))
            continue;
        if (seen.insert(path).second) paths.emplace_back(path);
    }
    return paths;
}

}  // namespace

std::string default_cache_dir() {
    if (const char* dir = std::getenv("VMATLAS_CACHE_DIR"); dir != nullptr && *dir != '\0')
        return dir;
    if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && xdg[0] == '/')
        return fmt::format("{}/vmatlas", xdg);
    if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0')
        return fmt::format("{}/.cache/vmatlas", home);
    return {};
}

std::shared_ptr<const ObjectReader> fetch_remote_objects(RemoteConnection& stub,
                                                         const AddressSpace& space,
                                                         const ObjectSources& sources) {
    auto reader = std::make_shared<RemoteObjects>();
    Fetcher fetcher(stub, sources);
    std::size_t unread = 0;
    std::string first_unread;
    const std::vector<std::string> paths = object_paths(space);
    // The files are opened as the process sees them, in its mount namespace (a process in a
    // container maps the container's files), as gdb asks: vFile:setfs with its PID, put back to
    // the stub's own (0) at the end. A stub without it ("") or that refuses it opens them in its
    // own namespace, the process's when both run on one system.
    const int pid = space.source().pid;
    bool in_process_fs = false;
    if (!paths.empty() && pid > 0)
        if (auto set = stub.request(fmt::format("vFile:setfs:{:x}", pid)); set && *set == "F0")
            in_process_fs = true;
    for (const std::string& path : paths) {
        // A lost connection has been said once, with the object whose read it ended.
        if (!stub.connected()) {
            if (unread++ == 0) first_unread = path;
            continue;
        }
        reader->chosen_.emplace(path, fetcher.choose(path));
    }
    if (in_process_fs && stub.connected()) (void)stub.request("vFile:setfs:0");
    reader->final_ = fetcher.final_warnings(unread, first_unread);
    return reader;
}

}  // namespace vmatlas::remote
