// Files for tests: a scratch directory removed with everything in it, and whole-file reads and
// writes that either work or throw.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace vmtest {

namespace fs = std::filesystem;

// A fresh directory under the system's temporary directory, named STEM and six random
// characters after a space (so that every path in it holds a space), removed on destruction.
class TempDir {
  public:
    explicit TempDir(std::string_view stem = "vmatlas-test") {
        std::string t = (fs::temp_directory_path() / (std::string(stem) + " XXXXXX")).string();
        if (!mkdtemp(t.data())) throw std::runtime_error("mkdtemp failed");
        path_ = t;
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const fs::path& path() const { return path_; }
    std::string operator/(std::string_view leaf) const { return (path_ / leaf).string(); }

  private:
    fs::path path_;
};

// The file's bytes; "" when it cannot be read.
inline std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

inline void write_text(const std::string& path, std::string_view text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
    if (!out) throw std::runtime_error("cannot write " + path);
}

}  // namespace vmtest
