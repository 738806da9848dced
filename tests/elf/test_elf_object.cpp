// The ELF reader on bytes in memory: a small, valid ELF64 (and ELF32) image built here field by
// field, then broken in each way a hostile or damaged file can be (truncated, tables past the
// end, counts that would read gigabytes, name offsets outside their tables, .SUNW_phname words
// pointing nowhere). Every case is a Result error or a warning, never a crash or a read outside
// the buffer (run under ASan in the sanitizer build).
#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <random>
#include <span>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "elf/support.hpp"
#include "vmatlas/elf.hpp"

namespace {

using vmatlas::ErrorKind;
using vmatlas::elf::ElfObject;
using vmatlas::elf::read_elf_object;
using Bytes = std::vector<std::byte>;

template <typename T>
void put(Bytes& b, std::size_t at, const T& v) {
    if (b.size() < at + sizeof v) b.resize(at + sizeof v);
    std::memcpy(b.data() + at, &v, sizeof v);
}

template <typename T>
T get(const Bytes& b, std::size_t at) {
    T v;
    std::memcpy(&v, b.data() + at, sizeof v);
    return v;
}

vmatlas::Result<ElfObject> read(const Bytes& b) {
    return read_elf_object(std::span<const std::byte>(b));
}

// Layout of the image (ELF64):
//   0x000 Ehdr, 0x040 four Phdrs (LOAD r, LOAD rx, LOAD rw, GNU_RELRO), 0x200 .dynstr,
//   0x240 .SUNW_phname, 0x280 .shstrtab, 0x300 section headers: null, .text, .dynstr,
//   .SUNW_phname, .bss, .shstrtab.
constexpr std::size_t kPhoff = 0x40, kDynstr = 0x200, kPhname = 0x240, kShstr = 0x280,
                      kShoff = 0x300;
constexpr char kDynstrText[] = "\0libc.so.6\0text\0data\0";  // "text" at 11, "data" at 16
constexpr char kShstrText[] = "\0.text\0.dynstr\0.SUNW_phname\0.bss\0.shstrtab\0";

Bytes valid_elf64() {
    Bytes b(kShoff + 6 * sizeof(Elf64_Shdr));
    Elf64_Ehdr eh{};
    std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS64;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    eh.e_type = ET_DYN;
    eh.e_machine = EM_X86_64;
    eh.e_version = EV_CURRENT;
    eh.e_phoff = kPhoff;
    eh.e_shoff = kShoff;
    eh.e_ehsize = sizeof(Elf64_Ehdr);
    eh.e_phentsize = sizeof(Elf64_Phdr);
    eh.e_phnum = 4;
    eh.e_shentsize = sizeof(Elf64_Shdr);
    eh.e_shnum = 6;
    eh.e_shstrndx = 5;
    put(b, 0, eh);
    const Elf64_Phdr ph[4] = {
        {PT_LOAD, PF_R, 0, 0, 0, 0x1000, 0x1000, 0x1000},
        {PT_LOAD, PF_R | PF_X, 0x1000, 0x1000, 0x1000, 0x100, 0x100, 0x1000},
        {PT_LOAD, PF_R | PF_W, 0x1e00, 0x2e00, 0x2e00, 0x200, 0x4000, 0x1000},
        {PT_GNU_RELRO, PF_R, 0x1e00, 0x2e00, 0x2e00, 0x100, 0x100, 1},
    };
    for (int i = 0; i < 4; ++i) put(b, kPhoff + i * sizeof(Elf64_Phdr), ph[i]);
    std::memcpy(b.data() + kDynstr, kDynstrText, sizeof kDynstrText);
    const std::uint32_t words[4] = {0, 11, 0, 16};  // LOAD 1 "text", LOAD 3's RELRO "data"
    std::memcpy(b.data() + kPhname, words, sizeof words);
    std::memcpy(b.data() + kShstr, kShstrText, sizeof kShstrText);
    const Elf64_Shdr sh[6] = {
        {},
        {1, SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, 0x1000, 0x100, 0x20, 0, 0, 16, 0},
        {7, SHT_STRTAB, SHF_ALLOC, 0x200, kDynstr, sizeof kDynstrText, 0, 0, 1, 0},
        {15, SHT_PROGBITS, 0, 0, kPhname, 16, 2, 0, 4, 4},
        {28, SHT_NOBITS, SHF_ALLOC | SHF_WRITE, 0x3000, 0x2000, 0x3c00, 0, 0, 32, 0},
        {33, SHT_STRTAB, 0, 0, kShstr, sizeof kShstrText, 0, 0, 1, 0},
    };
    for (int i = 0; i < 6; ++i) put(b, kShoff + i * sizeof(Elf64_Shdr), sh[i]);
    return b;
}

std::size_t phdr_at(int i) {
    return kPhoff + i * sizeof(Elf64_Phdr);
}
std::size_t shdr_at(int i) {
    return kShoff + i * sizeof(Elf64_Shdr);
}

TEST(ElfObject, ValidImage) {
    auto obj = read(valid_elf64());
    ASSERT_TRUE(obj.ok()) << obj.error().message;
    EXPECT_EQ(obj->elf_class, unsigned{ELFCLASS64});
    EXPECT_EQ(obj->type, ET_DYN);
    ASSERT_EQ(obj->program_headers.size(), 4u);
    EXPECT_EQ(obj->program_headers[2].memsz, 0x4000u);
    EXPECT_EQ(obj->program_headers[1].name, "text");
    EXPECT_EQ(obj->program_headers[3].name, "data");
    EXPECT_EQ(obj->program_headers[0].name, "");
    EXPECT_TRUE(obj->has_phnames);
    ASSERT_EQ(obj->sections.size(), 3u);  // .text .dynstr .bss: the SHF_ALLOC ones
    EXPECT_EQ(obj->sections[0].name, ".text");
    EXPECT_EQ(obj->sections[2].name, ".bss");
    EXPECT_EQ(obj->sections[2].type, unsigned{SHT_NOBITS});
    EXPECT_TRUE(obj->warnings.empty()) << obj->warnings.front();
    EXPECT_TRUE(obj->build_id.empty());
}

TEST(ElfObject, ValidElf32Image) {
    Bytes b(0x200);
    Elf32_Ehdr eh{};
    std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS32;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    eh.e_type = ET_EXEC;
    eh.e_machine = EM_386;
    eh.e_version = EV_CURRENT;
    eh.e_phoff = sizeof eh;
    eh.e_ehsize = sizeof eh;
    eh.e_phentsize = sizeof(Elf32_Phdr);
    eh.e_phnum = 2;
    put(b, 0, eh);
    put(b, sizeof eh,
        Elf32_Phdr{PT_LOAD, 0, 0x8048000, 0x8048000, 0x200, 0x200, PF_R | PF_X, 0x1000});
    put(b, sizeof eh + sizeof(Elf32_Phdr),
        Elf32_Phdr{PT_LOAD, 0x100, 0x8049100, 0x8049100, 0x10, 0x100000, PF_R | PF_W, 0x1000});
    auto obj = read(b);
    ASSERT_TRUE(obj.ok()) << obj.error().message;
    EXPECT_EQ(obj->elf_class, unsigned{ELFCLASS32});
    EXPECT_EQ(obj->type, ET_EXEC);
    ASSERT_EQ(obj->program_headers.size(), 2u);
    EXPECT_EQ(obj->program_headers[0].vaddr, 0x8048000u);
    EXPECT_EQ(obj->program_headers[1].memsz, 0x100000u);
    EXPECT_EQ(obj->program_headers[1].flags, unsigned{PF_R | PF_W});
    EXPECT_EQ(obj->phdr_bytes, 2 * sizeof(Elf32_Phdr));
}

TEST(ElfObject, NotElf) {
    for (const std::string s : {"", "h", "hello, world",
                                "\x7f"
                                "EL",
                                "!<arch>\n"}) {
        Bytes b;
        for (char c : s) b.push_back(static_cast<std::byte>(c));
        auto obj = read(b);
        ASSERT_FALSE(obj.ok()) << s;
        EXPECT_EQ(obj.error().kind, ErrorKind::Unsupported) << s;
    }
}

TEST(ElfObject, TruncatedHeaders) {
    const Bytes full = valid_elf64();
    for (std::size_t n : {4, 5, 15, 16, 40, 63}) {
        Bytes b(full.begin(), full.begin() + n);
        auto obj = read(b);
        ASSERT_FALSE(obj.ok()) << n;
        EXPECT_EQ(obj.error().kind, ErrorKind::MalformedInput) << n;
        EXPECT_NE(obj.error().message.find("truncated"), std::string::npos) << obj.error().message;
    }
    // Cut inside the program header table.
    Bytes b(full.begin(), full.begin() + phdr_at(3));
    auto obj = read(b);
    ASSERT_FALSE(obj.ok());
    EXPECT_EQ(obj.error().kind, ErrorKind::MalformedInput);
}

TEST(ElfObject, EveryTruncationIsAnErrorOrSound) {
    const Bytes full = valid_elf64();
    for (std::size_t n = 0; n <= full.size(); ++n) {
        Bytes b(full.begin(), full.begin() + n);
        auto obj = read(b);
        if (obj.ok()) {
            EXPECT_GE(n, phdr_at(4));
            EXPECT_EQ(obj->program_headers.size(), 4u);
        } else {
            EXPECT_FALSE(obj.error().message.empty());
        }
    }
}

TEST(ElfObject, BadIdent) {
    Bytes b = valid_elf64();
    b[EI_CLASS] = std::byte{7};
    auto obj = read(b);
    ASSERT_FALSE(obj.ok());
    EXPECT_EQ(obj.error().kind, ErrorKind::MalformedInput);
    EXPECT_NE(obj.error().message.find("class 7"), std::string::npos) << obj.error().message;
    b = valid_elf64();
    b[EI_DATA] = std::byte{0};
    EXPECT_FALSE(read(b).ok());
}

TEST(ElfObject, ProgramHeadersPastTheEnd) {
    Bytes b = valid_elf64();
    put<std::uint64_t>(b, offsetof(Elf64_Ehdr, e_phoff), b.size() - 8);
    auto obj = read(b);
    ASSERT_FALSE(obj.ok());
    EXPECT_EQ(obj.error().kind, ErrorKind::MalformedInput);

    b = valid_elf64();
    put<std::uint64_t>(b, offsetof(Elf64_Ehdr, e_phoff), ~std::uint64_t{0} - 8);
    EXPECT_FALSE(read(b).ok());
}

TEST(ElfObject, HugeProgramHeaderCount) {
    Bytes b = valid_elf64();
    put<std::uint16_t>(b, offsetof(Elf64_Ehdr, e_phnum), 0xfffe);
    auto obj = read(b);
    ASSERT_FALSE(obj.ok());
    EXPECT_EQ(obj.error().kind, ErrorKind::MalformedInput);

    // PN_XNUM: the real count is in section 0's sh_info.
    b = valid_elf64();
    put<std::uint16_t>(b, offsetof(Elf64_Ehdr, e_phnum), PN_XNUM);
    put<std::uint32_t>(b, shdr_at(0) + offsetof(Elf64_Shdr, sh_info), 0xffffffff);
    EXPECT_FALSE(read(b).ok());
    put<std::uint32_t>(b, shdr_at(0) + offsetof(Elf64_Shdr, sh_info), 4);
    auto counted = read(b);
    ASSERT_TRUE(counted.ok()) << counted.error().message;
    EXPECT_EQ(counted->program_headers.size(), 4u);
}

TEST(ElfObject, WrongProgramHeaderSize) {
    Bytes b = valid_elf64();
    put<std::uint16_t>(b, offsetof(Elf64_Ehdr, e_phentsize), 0x20);
    auto obj = read(b);
    ASSERT_FALSE(obj.ok());
    EXPECT_NE(obj.error().message.find("e_phentsize"), std::string::npos) << obj.error().message;
}

TEST(ElfObject, LoadRangesThatWrap) {
    Bytes b = valid_elf64();
    put<std::uint64_t>(b, phdr_at(1) + offsetof(Elf64_Phdr, p_offset), ~std::uint64_t{0} - 0x10);
    auto obj = read(b);
    ASSERT_FALSE(obj.ok());
    EXPECT_NE(obj.error().message.find("program header 1"), std::string::npos)
        << obj.error().message;

    b = valid_elf64();
    put<std::uint64_t>(b, phdr_at(2) + offsetof(Elf64_Phdr, p_vaddr), ~std::uint64_t{0} - 0x10);
    EXPECT_FALSE(read(b).ok());
}

TEST(ElfObject, SectionHeadersPastTheEnd) {
    Bytes b = valid_elf64();
    put<std::uint64_t>(b, offsetof(Elf64_Ehdr, e_shoff), b.size() - 0x10);
    auto obj = read(b);
    // libelf refuses the whole file here; either way there is no section read past the end.
    if (obj.ok()) {
        EXPECT_TRUE(obj->sections.empty());
    } else {
        EXPECT_EQ(obj.error().kind, ErrorKind::MalformedInput);
    }

    b = valid_elf64();
    put<std::uint16_t>(b, offsetof(Elf64_Ehdr, e_shnum), 0xfeff);
    obj = read(b);
    if (obj.ok()) {
        EXPECT_TRUE(obj->sections.empty());
    }
}

TEST(ElfObject, BadSectionNameOffsets) {
    Bytes b = valid_elf64();
    put<std::uint32_t>(b, shdr_at(1) + offsetof(Elf64_Shdr, sh_name), 0x7fffffff);
    auto obj = read(b);
    ASSERT_TRUE(obj.ok()) << obj.error().message;
    ASSERT_EQ(obj->sections.size(), 3u);
    EXPECT_EQ(obj->sections[0].name, "");
    ASSERT_FALSE(obj->warnings.empty());
    EXPECT_NE(obj->warnings[0].find("section 1"), std::string::npos) << obj->warnings[0];
}

TEST(ElfObject, SectionNameTableOutOfRange) {
    Bytes b = valid_elf64();
    put<std::uint16_t>(b, offsetof(Elf64_Ehdr, e_shstrndx), 60);
    auto obj = read(b);
    ASSERT_TRUE(obj.ok()) << obj.error().message;
    EXPECT_FALSE(obj->warnings.empty());
    EXPECT_FALSE(obj->has_phnames);  // .SUNW_phname cannot be found without names

    // The name table itself runs past the end of the file.
    b = valid_elf64();
    put<std::uint64_t>(b, shdr_at(5) + offsetof(Elf64_Shdr, sh_size), 0x100000);
    obj = read(b);
    ASSERT_TRUE(obj.ok()) << obj.error().message;
    EXPECT_FALSE(obj->warnings.empty());
    for (const auto& s : obj->sections) EXPECT_EQ(s.name, "");
}

TEST(ElfObject, SectionNameWithoutNul) {
    Bytes b = valid_elf64();
    // The name table ends just before the NUL of its last name, ".shstrtab" at offset 33; .bss
    // is given that name, which now runs off the end of its table.
    put<std::uint64_t>(b, shdr_at(5) + offsetof(Elf64_Shdr, sh_size), sizeof kShstrText - 2);
    put<std::uint32_t>(b, shdr_at(4) + offsetof(Elf64_Shdr, sh_name), 33);
    auto obj = read(b);
    ASSERT_TRUE(obj.ok()) << obj.error().message;
    EXPECT_EQ(obj->sections.back().name, "");
}

TEST(ElfObject, BadPhnameOffsets) {
    Bytes b = valid_elf64();
    const std::uint32_t words[4] = {0xffffff, 11, 0x7fffffff, sizeof kDynstrText - 1};
    std::memcpy(b.data() + kPhname, words, sizeof words);
    auto obj = read(b);
    ASSERT_TRUE(obj.ok()) << obj.error().message;
    EXPECT_EQ(obj->program_headers[0].name, "");
    EXPECT_EQ(obj->program_headers[1].name, "text");
    EXPECT_EQ(obj->program_headers[2].name, "");
    EXPECT_EQ(obj->program_headers[3].name, "");  // the empty string at the very end
    EXPECT_EQ(obj->warnings.size(), 3u);
}

TEST(ElfObject, PhnameOfTheWrongSize) {
    Bytes b = valid_elf64();
    put<std::uint64_t>(b, shdr_at(3) + offsetof(Elf64_Shdr, sh_size), 7);  // one word and a bit
    auto obj = read(b);
    ASSERT_TRUE(obj.ok()) << obj.error().message;
    EXPECT_EQ(obj->program_headers[1].name, "");  // only word 0 was there, and it is 0
    EXPECT_FALSE(obj->has_phnames);
    EXPECT_FALSE(obj->warnings.empty());

    b = valid_elf64();
    put<std::uint64_t>(b, shdr_at(3) + offsetof(Elf64_Shdr, sh_offset), ~std::uint64_t{0} - 2);
    obj = read(b);
    ASSERT_TRUE(obj.ok()) << obj.error().message;
    EXPECT_FALSE(obj->has_phnames);
}

TEST(ElfObject, SectionRangeThatWraps) {
    Bytes b = valid_elf64();
    put<std::uint64_t>(b, shdr_at(1) + offsetof(Elf64_Shdr, sh_addr), ~std::uint64_t{0} - 1);
    auto obj = read(b);
    ASSERT_TRUE(obj.ok()) << obj.error().message;
    EXPECT_EQ(obj->sections.size(), 2u);
    EXPECT_FALSE(obj->warnings.empty());
}

// Random damage anywhere: a fixed seed, so a failure can be reproduced.
TEST(ElfObject, RandomDamage) {
    const Bytes good = valid_elf64();
    std::mt19937 rng(20240601);
    for (int round = 0; round < 4000; ++round) {
        Bytes b = good;
        const int flips = 1 + static_cast<int>(rng() % 8);
        for (int k = 0; k < flips; ++k) {
            // Mostly in the headers, where the offsets are.
            const std::size_t at = rng() % 2 ? rng() % 0x140 : rng() % b.size();
            b[at] = static_cast<std::byte>(rng());
        }
        auto obj = read(b);
        if (obj.ok()) {
            for (const auto& p : obj->program_headers) {
                if (p.type == PT_LOAD) {
                    EXPECT_GE(~std::uint64_t{0} - p.offset, p.filesz);
                }
            }
        } else {
            EXPECT_FALSE(obj.error().message.empty());
        }
    }
}

TEST(ElfObject, FromFileDescriptor) {
    elftest::TempDir dir("vmatlas elf object");
    const std::string text = dir / "text file";
    elftest::write_text(text, "not an ELF file at all\n");
    int fd = open(text.c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    auto obj = read_elf_object(fd);
    close(fd);
    ASSERT_FALSE(obj.ok());
    EXPECT_EQ(obj.error().kind, ErrorKind::Unsupported);

    const std::string image = dir / "image.so";
    const Bytes b = valid_elf64();
    elftest::write_text(image, std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
    fd = open(image.c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    obj = read_elf_object(fd);
    close(fd);
    ASSERT_TRUE(obj.ok()) << obj.error().message;
    EXPECT_EQ(obj->program_headers[1].name, "text");

    // The size the caller gives is the one every offset is checked against: a file said to end
    // inside its program headers is refused as one that does.
    fd = open(image.c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    obj = read_elf_object(fd, {.file_size = 0x50});
    close(fd);
    ASSERT_FALSE(obj.ok());
    EXPECT_EQ(obj.error().kind, ErrorKind::MalformedInput);
    EXPECT_NE(obj.error().message.find("program header table"), std::string::npos)
        << obj.error().message;

    // A file truncated inside its headers, read through a descriptor.
    elftest::write_text(image, std::string_view(reinterpret_cast<const char*>(b.data()), 0x50));
    fd = open(image.c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    obj = read_elf_object(fd);
    close(fd);
    ASSERT_FALSE(obj.ok());
    EXPECT_EQ(obj.error().kind, ErrorKind::MalformedInput);
}

TEST(ElfObject, SystemLibraryHasBuildId) {
    // libc's build-id, as readelf -n prints it.
    const std::string libc = "/lib/x86_64-linux-gnu/libc.so.6";
    if (access(libc.c_str(), R_OK) != 0) GTEST_SKIP() << "no " << libc;
    const std::string notes = elftest::must_run({"readelf", "-n", libc});
    const auto at = notes.find("Build ID: ");
    if (at == std::string::npos) GTEST_SKIP() << "libc has no build-id";
    const std::string expected = notes.substr(at + 10, notes.find('\n', at) - at - 10);
    const int fd = open(libc.c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    auto obj = read_elf_object(fd);
    close(fd);
    ASSERT_TRUE(obj.ok()) << obj.error().message;
    std::string hex;
    for (auto byte : obj->build_id) hex += fmt::format("{:02x}", byte);
    EXPECT_EQ(hex, expected);
    EXPECT_FALSE(obj->sections.empty());
    EXPECT_FALSE(obj->has_phnames);

    // With the caller's size and without the notes (the live path): the same headers and
    // sections, and no build-id read.
    struct stat st;
    ASSERT_EQ(stat(libc.c_str(), &st), 0);
    const int again = open(libc.c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(again, 0);
    auto lean = read_elf_object(
        again, {.file_size = static_cast<std::uint64_t>(st.st_size), .build_id = false});
    close(again);
    ASSERT_TRUE(lean.ok()) << lean.error().message;
    EXPECT_TRUE(lean->build_id.empty());
    ASSERT_EQ(lean->program_headers.size(), obj->program_headers.size());
    for (std::size_t i = 0; i < obj->program_headers.size(); ++i) {
        EXPECT_EQ(lean->program_headers[i].vaddr, obj->program_headers[i].vaddr) << i;
        EXPECT_EQ(lean->program_headers[i].filesz, obj->program_headers[i].filesz) << i;
    }
    ASSERT_EQ(lean->sections.size(), obj->sections.size());
    for (std::size_t i = 0; i < obj->sections.size(); ++i)
        EXPECT_EQ(lean->sections[i].name, obj->sections[i].name) << i;
    EXPECT_EQ(lean->warnings, obj->warnings);

    // Without the sections (the live path without -v): the same headers and warnings, none kept.
    const int bare_fd = open(libc.c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(bare_fd, 0);
    auto bare = read_elf_object(bare_fd, {.build_id = false, .sections = false});
    close(bare_fd);
    ASSERT_TRUE(bare.ok()) << bare.error().message;
    EXPECT_TRUE(bare->sections.empty());
    EXPECT_FALSE(obj->sections.empty());
    ASSERT_EQ(bare->program_headers.size(), obj->program_headers.size());
    for (std::size_t i = 0; i < obj->program_headers.size(); ++i)
        EXPECT_EQ(bare->program_headers[i].offset, obj->program_headers[i].offset) << i;
    EXPECT_EQ(bare->has_phnames, obj->has_phnames);
    EXPECT_EQ(bare->warnings, obj->warnings);
}

}  // namespace
