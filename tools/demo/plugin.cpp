// The library vmatlas-demo dlopens: its text, rodata, data and bss rows appear in the map after
// the program started, as a plugin's would.
#include <cstddef>
#include <cstring>

namespace {
char greeting[64] = "hello from the vmatlas demo plugin";  // .data
char last_seen[4096];                                      // .bss
}  // namespace

extern "C" int vmatlas_demo_plugin_greet(const char* bytes) {
    std::memcpy(last_seen, bytes, 16);
    return static_cast<int>(std::strlen(greeting));
}
