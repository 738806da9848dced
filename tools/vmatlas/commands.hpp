// One function per subcommand, each in its own cmd_*.cpp. argv[0] is the subcommand's name.
#pragma once

namespace vmatlas::cli {

int run_map(int argc, char** argv);      // the default view: vmatlas TARGET [FILTER]
int run_summary(int argc, char** argv);  // vmatlas summary TARGET

}  // namespace vmatlas::cli
