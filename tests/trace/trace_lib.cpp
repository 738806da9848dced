// The library trace_child dlopens: lib_point() is a point that exists only once it is loaded.
#include <atomic>

namespace {
std::atomic<int> g_calls{0};
}

extern "C" __attribute__((noinline, visibility("default"))) int lib_point(int x) {
    return x + g_calls.fetch_add(1);
}
