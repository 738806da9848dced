// vmatlas-trace-workload [N]: the program bench/compare_trace.py traces. It calls six functions
// N times each (default 1000), hot_point then point_2 ... point_6, with a fixed loop of work
// after hot_point, and exits 0. It writes nothing and makes no system call of its own: every
// instruction after the C library's start-up is this loop, the same count on every run.
//
// Each function is a distinct instruction address to stop at: hot_point alone is one
// breakpoint hit N times; all six are six points, four in debug registers and two int3s.
// Built -O1 -fno-inline-functions-called-once (bench/CMakeLists.txt) so that the calls stay
// calls and the work stays a loop.
#include <cstdlib>

namespace {
volatile unsigned g_sink;

__attribute__((noinline)) void work() {
    for (unsigned i = 0; i < 16; ++i) g_sink = g_sink * 3 + i;
}
}  // namespace

extern "C" {
__attribute__((noinline)) void hot_point() { g_sink = g_sink + 1; }
__attribute__((noinline)) void point_2() { g_sink = g_sink + 2; }
__attribute__((noinline)) void point_3() { g_sink = g_sink + 3; }
__attribute__((noinline)) void point_4() { g_sink = g_sink + 4; }
__attribute__((noinline)) void point_5() { g_sink = g_sink + 5; }
__attribute__((noinline)) void point_6() { g_sink = g_sink + 6; }
}

int main(int argc, char** argv) {
    const long n = argc > 1 ? std::strtol(argv[1], nullptr, 10) : 1000;
    for (long i = 0; i < n; ++i) {
        hot_point();
        work();
        point_2();
        point_3();
        point_4();
        point_5();
        point_6();
    }
    return 0;
}
