/* A 32-bit child for the core tests: a file mapping (its name has a space), an anonymous region
 * split by mprotect, two threads blocked in the kernel; prints "ready <pid>" and waits. Built by
 * the test with `cc -m32 -pthread` when the machine can (Debian's gcc-multilib). With --probe it
 * exits at once: the test asks whether this kernel runs 32-bit programs at all. */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void* idle(void* arg) {
    (void)arg;
    for (;;) pause();
    return NULL;
}

int main(int argc, char** argv) {
    if (argc > 1 && strcmp(argv[1], "--probe") == 0) return 0;
    long page = sysconf(_SC_PAGESIZE);
    int fd = open("mapped file.bin", O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || ftruncate(fd, 3 * page) != 0) return 1;
    if (mmap(NULL, 3 * page, PROT_READ, MAP_PRIVATE, fd, 0) == MAP_FAILED) return 1;
    char* anon = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (anon == MAP_FAILED) return 1;
    memset(anon, 1, 4 * page);
    mprotect(anon + page, page, PROT_NONE);
    void* heap = malloc(100000);
    memset(heap, 2, 100000);
    pthread_t t[2];
    for (int i = 0; i < 2; ++i) pthread_create(&t[i], NULL, idle, NULL);
    printf("ready %d\n", (int)getpid());
    fflush(stdout);
    for (;;) pause();
}
