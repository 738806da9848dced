// The program the gdb tests debug. gdb stops it in stop_here(), where the tests evaluate $pc,
// $rsp, main, &counter and buffer. With --wait it then prints "ready PID" and blocks reading its
// standard input until that closes, so that a test can attach gdb to it (which Yama's
// ptrace_scope 1 then allows: the child names any process its tracer).
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

volatile int counter;  // a variable of the executable's data segment
char buffer[64];       // an array, which gdb evaluates to its address

__attribute__((noinline)) void stop_here(void) {
    buffer[counter++] = 1;
}

int main(int argc, char** argv) {
    stop_here();
    if (argc > 1 && strcmp(argv[1], "--wait") == 0) {
        prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
        printf("ready %d\n", (int)getpid());
        fflush(stdout);
        char byte;
        while (read(STDIN_FILENO, &byte, 1) > 0) {
        }
    }
    return 0;
}
