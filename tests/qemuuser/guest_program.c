/* A guest program for the QEMU user-mode tests: it maps a file, some anonymous memory and a page
 * with no access, leaves its directory, prints its own /proc/self/maps (QEMU's text of the
 * guest's map) to standard output, says "ready" on standard error and waits to be killed. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char** argv) {
    void* heap = malloc(1 << 20);
    void* anon = mmap(NULL, 3 << 12, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    void* none = mmap(NULL, 2 << 12, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int fd = open(argv[0], O_RDONLY);
    if (chdir("/") != 0) return 1; /* QEMU's directory is no longer the one it found us in */
    void* file = fd >= 0 ? mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;
    if (!heap || anon == MAP_FAILED || none == MAP_FAILED || file == MAP_FAILED) return 1;
    FILE* maps = fopen("/proc/self/maps", "r");
    if (!maps) return 1;
    char line[512];
    while (fgets(line, sizeof line, maps)) fputs(line, stdout);
    fclose(maps);
    fflush(stdout);
    fputs("ready\n", stderr);
    for (;;) pause();
    (void)argc;
}
