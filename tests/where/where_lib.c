/* The library the where tests' program dlopens: exported functions, a local one, an alias
   (two symbols at one address) and an assembler label (a symbol without a size). */
volatile int where_lib_sink;

__attribute__((noinline)) int where_lib_one(int x) {
    where_lib_sink += x;
    return x + 11;
}

int where_lib_alias(int x) __attribute__((alias("where_lib_one")));

static __attribute__((noinline)) int where_lib_hidden(int x) {
    for (int i = 0; i < x; ++i) where_lib_sink -= i;
    return where_lib_sink;
}

__attribute__((noinline)) int where_lib_two(int x) {
    return where_lib_hidden(x) * 2;
}

__asm__(
    ".text\n"
    ".globl where_lib_label\n"
    ".type where_lib_label, @notype\n"
    "where_lib_label:\n"
    "  nop\n"
    "  nop\n"
    "  ret\n");
