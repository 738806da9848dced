// One function per subcommand, each in its own cmd_*.cpp. argv[0] is the subcommand's name.
#pragma once

namespace vmatlas::cli {

int run_map(int argc, char** argv);  // the default view: vmatlas TARGET [FILTER]

}  // namespace vmatlas::cli
