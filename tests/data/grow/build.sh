#!/usr/bin/env bash
# Rebuilds the "grown" variant of a corpus program that tests/compare_grow.rs compares against
# the corpus object: corpus/c/loops/bounded_loops.bpf.c with loop_nested's outer loop bound
# doubled (8 -> 16), so that program does more verifier work and the other two do the same.
# Built with the corpus's flags (corpus/build.sh) by clang-19; the output is committed, so the
# tests need no compiler. Run from anywhere: bash tests/data/grow/build.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
cd "$ROOT"
src=corpus/c/loops/bounded_loops.bpf.c
out=tests/data/grow/bounded_loops.bpf.c
grep -q 'for (int i = 0; i < 8; i++)' "$src" || {
	echo "$0: $src no longer has the loop this variant grows" >&2
	exit 1
}
sed 's/for (int i = 0; i < 8; i++)/for (int i = 0; i < 16; i++)/' "$src" >"$out"
"${CLANG:-clang-19}" -O2 -g -target bpf -D__TARGET_ARCH_x86 -I corpus/include \
	-idirafter /usr/include/x86_64-linux-gnu "-fdebug-prefix-map=$ROOT=" \
	-Wall -Wno-unused-variable -Wno-unused-function -Wno-compare-distinct-pointer-types \
	-c "$out" -o tests/data/grow/bounded_loops.bpf.o
