// Prints a core file's named map through vmatlas's public API: start, end, permissions, name and
// file of every row, as `vmatlas CORE` names them.
#include <cinttypes>
#include <cstdio>
#include <string>

#include "vmatlas/named_map.hpp"

int main(int argc, char** argv) {
    if (argc != 2) return std::fprintf(stderr, "usage: print_core_map CORE\n"), 2;
    const auto map = vmatlas::open_named_map(argv[1]);
    if (!map) return std::fprintf(stderr, "%s\n", map.error().message.c_str()), 1;
    for (std::size_t i = 0; i < map->space.size(); ++i) {
        const vmatlas::Mapping& m = map->space[i];
        const std::string perms(m.perms.view()), name(map->notes.labels[i].name.view()),
            path(map->space.path(m));
        std::printf("%#" PRIx64 " %#" PRIx64 " %s %s %s\n", m.start, m.end, perms.c_str(),
                    name.c_str(), path.c_str());
    }
}
