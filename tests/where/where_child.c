/* The program the where tests build and run (tests/where/test_where_*.cpp), with the functions
   they look for. It dlopens the library named by argv[1], maps part of its own text a second
   time elsewhere (as a program that moves its code onto huge pages does), says
   "ready REMAP VADDR" (the copy's address, and the vaddr of its first byte in this file) and
   waits for the end of its standard input. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

volatile int where_sink;
static char where_big_bss[1 << 20]; /* a bss of its own, past the data's last page */

__attribute__((noinline)) int where_alpha(int x) {
    where_sink += x;
    return x * 3 + 1;
}

__attribute__((noinline)) int where_beta(int x) {
    for (int i = 0; i < x; ++i) where_sink ^= i * 5;
    return where_sink;
}

static inline __attribute__((always_inline)) int where_leaf(int x) {
    where_sink += x * 7;
    return where_sink - x;
}

static inline __attribute__((always_inline)) int where_middle(int x) {
    return where_leaf(x + 1) * 2 + where_leaf(x);
}

__attribute__((noinline)) int where_gamma(int x) {
    return where_middle(x) + where_leaf(x + 2);
}

static __attribute__((noinline)) int where_local(int x) {
    return where_beta(x ^ 0x55) + 1;
}

struct text_part {
    unsigned long offset, vaddr, size;
};

/* The main program's executable PT_LOAD: where it is in the file and in memory. */
static int find_text(struct dl_phdr_info* info, size_t size, void* data) {
    (void)size;
    struct text_part* t = data;
    for (int i = 0; i < info->dlpi_phnum; ++i) {
        const ElfW(Phdr)* ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
            t->offset = ph->p_offset;
            t->vaddr = ph->p_vaddr;
            t->size = ph->p_filesz;
            return 1;
        }
    }
    return 1; /* the first object is the program */
}

int main(int argc, char** argv) {
    if (argc < 2) return 2;
    void* lib = dlopen(argv[1], RTLD_NOW);
    if (lib == NULL) {
        printf("dlopen: %s\n", dlerror());
        return 1;
    }
    int (*lib_one)(int) = (int (*)(int))dlsym(lib, "where_lib_one");
    char* heap = malloc(1 << 16); /* a [heap] */
    memset(heap, 1, 1 << 16);
    where_big_bss[12345] = 1;

    struct text_part t = {0, 0, 0};
    dl_iterate_phdr(find_text, &t);
    const unsigned long page = (unsigned long)sysconf(_SC_PAGESIZE);
    const unsigned long off = t.offset & ~(page - 1);
    const unsigned long len = (t.offset + t.size - off + page - 1) & ~(page - 1);
    int fd = open("/proc/self/exe", O_RDONLY);
    void* copy = mmap(NULL, len, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, (off_t)off);
    if (fd < 0 || copy == MAP_FAILED) {
        printf("remap failed\n");
        return 1;
    }
    printf("ready %lx %lx\n", (unsigned long)copy, t.vaddr - (t.offset - off));
    fflush(stdout);

    char buf[64];
    while (read(0, buf, sizeof buf) > 0) {
    }
    return where_alpha(1) + where_beta(2) + where_gamma(3) + where_local(4) + lib_one(5) +
           heap[7] + where_big_bss[12345];
}
