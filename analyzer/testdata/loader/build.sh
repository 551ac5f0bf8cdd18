#!/bin/sh
# Rebuilds the loader's test objects from the sources beside them (clang-19, libbpf-dev,
# gcc-bpf for gcc_*.c).
# The objects are committed so that tests need no compiler; each source says what it tests.
set -e
cd "$(dirname "$0")"
CFLAGS="-O2 -g -target bpf -I/usr/include/$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)"
INC="-I/usr/include -I/usr/include/$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)"
for c in *.c; do
    case "$c" in
    # GCC's BPF backend (Debian's gcc-bpf).
    gcc_*) bpf-gcc -O2 $INC -c "$c" -o "${c%.c}.o" ;;
    *) clang-19 $CFLAGS -c "$c" -o "${c%.c}.o" ;;
    esac
done
for s in *.s; do
    [ -e "$s" ] || continue
    clang-19 -target bpf -c "$s" -o "${s%.s}.o"
done
