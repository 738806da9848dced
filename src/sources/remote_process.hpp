// What a gdbserver says of the process it debugs, beside its map: its threads (qXfer:threads:read),
// each thread's stack pointer (the thread selected with Hg, then its register read with p, or
// taken out of g, at the number and offset the target description gives:
// qXfer:features:read), and its auxiliary vector (qXfer:auxv:read). docs/remote.md lists the
// packets.
//
// Contract: nothing here resumes, stops or changes the inferior. Hg changes which thread the
// stub's next register reads are of (the stub's own state); it is put back to the thread qC
// named at the end. Only objects the stub offers in its qSupported reply are asked for. No
// failure is fatal: what could not be read is left out of the facts, and the warnings say so
// when something the stub offered could not be read. The parsers take untrusted text and
// either decode it or say in one sentence what is wrong with it.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sources/remote_protocol.hpp"
#include "vmatlas/process_facts.hpp"
#include "vmatlas/result.hpp"

namespace vmatlas::remote {

// One <thread> of qXfer:threads:read's document.
struct StubThread {
    std::string id;          // as the stub wrote it, for Hg: "p1f.20" or "20"
    std::optional<int> pid;  // the "p<pid>." part (multiprocess); none without it
    int tid = 0;
    std::string name;  // its name attribute; empty when none
};

// The threads of a <threads> document, in document order. An id that is no thread id (hex, a
// tid above 0 and pid within int) is an error that names it.
Result<std::vector<StubThread>> parse_threads_xml(std::string_view xml);

struct RegisterInfo {
    std::string name;
    unsigned long regnum = 0;
    unsigned long bitsize = 0;
};

// A target description with its includes read in place: the architecture and every register in
// document order, each numbered as gdb numbers them (one more than the register before, from 0,
// unless a regnum attribute says otherwise).
struct TargetDescription {
    std::string architecture;  // "i386:x86-64"; empty when the description names none
    std::vector<RegisterInfo> registers;
};

// The text of an included document (an xi:include's href), as the stub gives it.
using ReadDocument = std::function<Result<std::string>(const std::string& href)>;

// The description of target.xml's text; its includes are read with read_include, at most 8 deep
// and 64 documents in all.
Result<TargetDescription> parse_target_description(std::string_view xml,
                                                   const ReadDocument& read_include);

// Where a thread's stack pointer is among the registers, and how wide the process's words are.
struct StackPointerRegister {
    std::string name;  // "rsp", "esp", "sp"
    unsigned long regnum = 0;
    unsigned bytes = 0;                   // its width
    std::optional<std::size_t> g_offset;  // in g's reply, in bytes: none when not known
    unsigned word = 0;                    // the auxiliary vector's word: 8 or 4
};

// The stack pointer of the description's architecture: rsp for i386:x86-64 (x32 too), esp for
// i386, sp for aarch64 (without an architecture: whichever of those names it has). A description
// with an architecture and no registers (what gdbserver sends a client that does not say
// xmlRegisters=i386) gets gdb's fixed numbering of that architecture. None when unknown.
std::optional<StackPointerRegister> find_stack_pointer(const TargetDescription& description);

// A register's value from its bytes in target (little-endian) order written as hex, as p replies
// and as g holds them at the register's offset; none when the text is not 2*bytes hex digits
// (an "xx" is a register the stub does not have).
std::optional<Addr> decode_register(std::string_view hex, unsigned bytes);

// The auxiliary vector's addresses (AT_SYSINFO_EHDR, AT_ENTRY, AT_PHDR) in facts, from its bytes
// in words of `word` bytes (little-endian); an error for a length that is no whole entry.
Result<ProcessFacts> decode_auxv_facts(std::string_view bytes, unsigned word);

// A qXfer object, whole: qXfer:OBJECT:read:ANNEX:OFFSET,LENGTH until an 'l' reply, each reply's
// data unescaped. An error for an empty reply (not supported), an "Exx" one, a malformed one, or
// more than max_bytes.
Result<std::string> read_qxfer(RemoteConnection& stub, std::string_view object,
                               std::string_view annex, std::size_t max_bytes = 16 << 20);

// Whether the stub's qSupported reply offers qXfer:OBJECT:read ("qXfer:auxv:read+").
bool offers_qxfer(const RemoteConnection& stub, std::string_view object);

struct RemoteProcess {
    ProcessFacts facts;
    std::vector<std::string> warnings;  // one sentence each
};

// The facts of process pid, which the stub debugs; current is its qC reply ("QCp<pid>.<tid>"),
// the thread selected again at the end.
RemoteProcess read_remote_process(RemoteConnection& stub, int pid, std::string_view current);

}  // namespace vmatlas::remote
