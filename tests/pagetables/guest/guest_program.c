/* The program a test guest runs as its last step (exec'ed by the initramfs's /init).
 *
 * Built static (gcc -static -O1) by qemu_guest.py. It maps and touches memory of distinct
 * permissions, says where, then spins in user mode with no system call, so that a debugger or a
 * memory dump that stops the VM most often finds the CPU in this program, with its page tables
 * loaded in CR3.
 *
 * Output, on stdout (the console), each line written by one write(2):
 *
 *   vmatlas-guest maps-begin
 *   ...every line of /proc/self/maps, read after the last region was touched...
 *   vmatlas-guest maps-end
 *   vmatlas-guest touched START END PERMS NAME     one line per region, see below
 *   vmatlas-guest ready
 *
 * START and END are lowercase hexadecimal without "0x", as in /proc/PID/maps; END is exclusive.
 * PERMS is four characters as in /proc/PID/maps (r, w, x or '-', then 'p' for a private mapping).
 * NAME is one word: anon-rw, anon-ro, anon-rx, file-ro, heap. Every page of [START, END) was read
 * or written by this program after its last mprotect, so each is present in the page tables
 * when "ready" is printed (the kernel may map more pages than these: fault-around of a file, or
 * its own choices; never fewer unless it reclaims memory, which a guest with no memory pressure
 * does not).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE 4096UL

/* Writes all of buf to stdout, or exits with status 1. */
static void write_all(const char *buf, size_t len) {
    while (len > 0) {
        ssize_t n = write(STDOUT_FILENO, buf, len);
        if (n <= 0) _exit(1);
        buf += n;
        len -= (size_t)n;
    }
}

/* Prints one formatted line with a single write, so that it is never split by other output. */
static void say(const char *format, ...) {
    char line[512];
    va_list args;
    va_start(args, format);
    int n = vsnprintf(line, sizeof line - 1, format, args);
    va_end(args);
    if (n < 0) _exit(1);
    if ((size_t)n > sizeof line - 2) n = sizeof line - 2;
    line[n++] = '\n';
    write_all(line, (size_t)n);
}

static void die(const char *what) {
    say("vmatlas-guest error %s", what);
    _exit(1);
}

struct region {
    uintptr_t start, end;
    const char *perms;
    const char *name;
};

static struct region regions[8];
static int region_count;

static void remember(uintptr_t start, uintptr_t end, const char *perms, const char *name) {
    regions[region_count++] = (struct region){start, end, perms, name};
}

/* Returns a fresh private anonymous read-write mapping of `pages` pages. */
static unsigned char *map_anonymous(size_t pages) {
    void *p = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) die("mmap");
    return p;
}

/* Reads one byte of every page of [start, start + pages * PAGE), so that each is present. */
static void read_pages(const volatile unsigned char *start, size_t pages) {
    unsigned sum = 0;
    for (size_t i = 0; i < pages; i++) sum += start[i * PAGE];
    (void)sum;
}

/* 16 pages, read-write, every page written. */
static void touch_anonymous_rw(void) {
    unsigned char *p = map_anonymous(16);
    for (size_t i = 0; i < 16; i++) p[i * PAGE] = (unsigned char)(i + 1);
    remember((uintptr_t)p, (uintptr_t)p + 16 * PAGE, "rw-p", "anon-rw");
}

/* 4 pages written, then made read-only, then read (present, not writable). */
static void touch_anonymous_ro(void) {
    unsigned char *p = map_anonymous(4);
    memset(p, 0x5a, 4 * PAGE);
    if (mprotect(p, 4 * PAGE, PROT_READ) != 0) die("mprotect ro");
    read_pages(p, 4);
    remember((uintptr_t)p, (uintptr_t)p + 4 * PAGE, "r--p", "anon-ro");
}

/* 2 pages filled with `ret` instructions while writable, then made read-execute, then called
 * and read (present, executable, not writable). */
static void touch_anonymous_rx(void) {
    unsigned char *p = map_anonymous(2);
    memset(p, 0xc3, 2 * PAGE); /* ret */
    if (mprotect(p, 2 * PAGE, PROT_READ | PROT_EXEC) != 0) die("mprotect rx");
    ((void (*)(void))p)();
    ((void (*)(void))(p + PAGE))();
    read_pages(p, 2);
    remember((uintptr_t)p, (uintptr_t)p + 2 * PAGE, "r-xp", "anon-rx");
}

/* Up to 8 pages of this program's own file, mapped private and read-only, each read. */
static void touch_file(void) {
    int fd = open("/proc/self/exe", O_RDONLY);
    if (fd < 0) die("open /proc/self/exe");
    off_t size = lseek(fd, 0, SEEK_END);
    if (size <= 0) die("lseek");
    size_t pages = ((size_t)size + PAGE - 1) / PAGE;
    if (pages > 8) pages = 8;
    unsigned char *p = mmap(NULL, pages * PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) die("mmap file");
    close(fd);
    /* A page past the end of the file would fault (SIGBUS): only whole pages of it are read. */
    size_t readable = (size_t)size / PAGE < pages ? (size_t)size / PAGE : pages;
    if (readable == 0) die("file shorter than a page");
    read_pages(p, readable);
    remember((uintptr_t)p, (uintptr_t)p + readable * PAGE, "r--p", "file-ro");
}

/* 64 KB from malloc (below glibc's mmap threshold, so from the brk heap), all written: every
 * page the block overlaps is present. */
static void touch_heap(void) {
    size_t size = 64 * 1024;
    unsigned char *p = malloc(size);
    if (p == NULL) die("malloc");
    memset(p, 0xa5, size);
    uintptr_t start = (uintptr_t)p & ~(PAGE - 1);
    uintptr_t end = ((uintptr_t)p + size + PAGE - 1) & ~(PAGE - 1);
    remember(start, end, "rw-p", "heap");
}

/* Copies /proc/self/maps to stdout between markers, in as few writes as the buffer allows. */
static void print_maps(void) {
    static char buf[64 * 1024];
    int fd = open("/proc/self/maps", O_RDONLY);
    if (fd < 0) die("open /proc/self/maps");
    size_t len = 0;
    for (;;) {
        ssize_t n = read(fd, buf + len, sizeof buf - len);
        if (n < 0) die("read /proc/self/maps");
        if (n == 0) break;
        len += (size_t)n;
        if (len == sizeof buf) die("/proc/self/maps larger than 64 KB");
    }
    close(fd);
    say("vmatlas-guest maps-begin");
    write_all(buf, len);
    say("vmatlas-guest maps-end");
}

/* Spins in user mode forever, making no system call; only interrupts leave user mode. */
static void __attribute__((noreturn)) spin(void) {
    static volatile unsigned long counter;
    for (;;) counter++;
}

int main(void) {
    touch_anonymous_rw();
    touch_anonymous_ro();
    touch_anonymous_rx();
    touch_file();
    touch_heap();
    print_maps();
    for (int i = 0; i < region_count; i++)
        say("vmatlas-guest touched %lx %lx %s %s", (unsigned long)regions[i].start,
            (unsigned long)regions[i].end, regions[i].perms, regions[i].name);
    say("vmatlas-guest ready");
    spin();
}
