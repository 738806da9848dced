// One function per subcommand, each in its own cmd_*.cpp. argv[0] is the subcommand's name.
#pragma once

namespace vmatlas::cli {

int run_map(int argc, char** argv);       // the default view: vmatlas TARGET [FILTER]
int run_summary(int argc, char** argv);   // vmatlas summary TARGET
int run_pmap(int argc, char** argv);      // vmatlas pmap [-x|-X|-S|-d] TARGET...
int run_mappings(int argc, char** argv);  // vmatlas mappings TARGET (mdb ::mappings)
int run_elf(int argc, char** argv);       // vmatlas elf FILE (elfdump -p and the map it makes)
int run_diff(int argc, char** argv);      // vmatlas diff A B (what changed between two maps)
int run_save(int argc, char** argv);      // vmatlas save TARGET [-o FILE] (a JSON snapshot)
int run_advise(int argc, char** argv);    // vmatlas advise [-o SEL=ADVICE,...] [-v] PID
int run_where(int argc, char** argv);     // vmatlas where TARGET ADDR... (what is at an address)
int run_watch(int argc, char** argv);     // vmatlas watch PID (the changes of a live map)
int run_trace(int argc, char** argv);     // vmatlas trace -- CMD (PANDA memorymap under ptrace)

}  // namespace vmatlas::cli
