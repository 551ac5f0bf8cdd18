// SPDX-License-Identifier: MIT OR Apache-2.0
// Arenas (Linux 6.9+): pages shared with user space, allocated with the
// bpf_arena_alloc_pages kfunc. What the kfunc returns is a user-space
// address (address space 1), a number to the verifier; the compiler casts it
// (addr_space_cast) into an arena pointer, which may be dereferenced at any
// offset and moved by any arithmetic. `__arena` globals live in the arena
// too. And what the kernel refuses: a dereference of the uncast number, a
// cast in a program that names no arena, a fetching atomic or, the x86-64
// JIT lacking them, a sign-extending load from arena memory.
//
// The live 6.18 build that confirms the corpus refuses to create arena maps
// (EPERM), so every program here is `refused` on it; the verdicts below come
// from Debian's 6.12 kernel (scripts/kernel-oracle --kernel 6.12):
//   accept: arena_alloc_rw, arena_global_counter, arena_any_offset,
//           arena_atomic_add, arena_free_then_alloc, arena_scalar_plus_arena
//   reject: arena_deref_uncast "R1 invalid mem access 'scalar'"
//           arena_cast_no_arena "addr_space_cast insn can only be used in a program that has an associated arena"
//           arena_atomic_fetch_or "BPF_ATOMIC stores into R1 arena is not allowed"
//           arena_sign_extending_load "sign extending loads from arena are not supported yet"
// bpfvet-expect(arena_alloc_rw): refused "map 'arena': failed to create: -EPERM on the confirming 6.18 build; Linux 6.12 accepts"
// bpfvet-expect(arena_global_counter): refused "map 'arena': failed to create: -EPERM on the confirming 6.18 build; Linux 6.12 accepts"
// bpfvet-expect(arena_any_offset): refused "map 'arena': failed to create: -EPERM on the confirming 6.18 build; Linux 6.12 accepts"
// bpfvet-expect(arena_atomic_add): refused "map 'arena': failed to create: -EPERM on the confirming 6.18 build; Linux 6.12 accepts"
// bpfvet-expect(arena_free_then_alloc): refused "map 'arena': failed to create: -EPERM on the confirming 6.18 build; Linux 6.12 accepts"
// bpfvet-expect(arena_deref_uncast): refused "map 'arena': failed to create: -EPERM on the confirming 6.18 build; Linux 6.12 rejects"
// bpfvet-expect(arena_cast_no_arena): refused "map 'arena': failed to create: -EPERM on the confirming 6.18 build; Linux 6.12 rejects"
// bpfvet-expect(arena_atomic_fetch_or): refused "map 'arena': failed to create: -EPERM on the confirming 6.18 build; Linux 6.12 rejects"
// bpfvet-expect(arena_sign_extending_load): refused "map 'arena': failed to create: -EPERM on the confirming 6.18 build; Linux 6.12 rejects"
// bpfvet-expect(arena_scalar_plus_arena): refused "map 'arena': failed to create: -EPERM on the confirming 6.18 build; Linux 6.12 accepts"
// bpfvet-cflags: -mcpu=v4
#include "bpfvet.h"

/* Linux 6.9's uapi names; the system headers may predate them. */
#define BV_MAP_TYPE_ARENA 33
#define __arena __attribute__((address_space(1)))

struct {
	__uint(type, BV_MAP_TYPE_ARENA);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 16); /* pages */
} arena SEC(".maps");

extern void __arena *bpf_arena_alloc_pages(void *map, void __arena *addr, __u32 page_cnt,
					   int node_id, __u64 flags) __ksym;
extern void bpf_arena_free_pages(void *map, void __arena *ptr, __u32 page_cnt) __ksym;

/* A global in the arena (libbpf maps section .addr_space.1 into it). */
int __arena counter;

SEC("syscall")
int arena_alloc_rw(void *ctx)
{
	volatile int __arena *page;

	page = bpf_arena_alloc_pages(&arena, NULL, 1, -1, 0);
	if (!page)
		return 1;
	page[0] = 7;
	page[1000] = page[0] + 1;
	bpf_arena_free_pages(&arena, (void __arena *)page, 1);
	return 0;
}

SEC("syscall")
int arena_global_counter(void *ctx)
{
	counter += 1;
	return counter > 100;
}

SEC("syscall")
int arena_any_offset(void *ctx)
{
	volatile unsigned char __arena *page;
	__u64 idx = bpf_get_prandom_u32();

	page = bpf_arena_alloc_pages(&arena, NULL, 1, -1, 0);
	if (!page)
		return 1;
	/* No bound on idx: the kernel probes every arena access. */
	page[idx * 1000] = 1;
	page[-4096] = 2;
	return page[idx];
}

SEC("syscall")
int arena_atomic_add(void *ctx)
{
	long __arena *page;

	page = bpf_arena_alloc_pages(&arena, NULL, 1, -1, 0);
	if (!page)
		return 1;
	__sync_fetch_and_add(page, 1);
	return __sync_fetch_and_add(page + 1, 2) == 0;
}

SEC("syscall")
int arena_free_then_alloc(void *ctx)
{
	int __arena *a, *b;

	a = bpf_arena_alloc_pages(&arena, NULL, 2, -1, 0);
	if (!a)
		return 1;
	bpf_arena_free_pages(&arena, (void __arena *)a, 2);
	/* A freed page reads as zero (the kernel's exception table): no use-after-free
	 * tracking is needed. */
	b = bpf_arena_alloc_pages(&arena, NULL, 1, -1, 0);
	return a[0] + (b ? 0 : 1);
}

/* The kfunc's result is a number until it is cast: dereferencing it as loaded is refused. */
SEC("syscall")
BV_NAKED int arena_deref_uncast(void *ctx)
{
	asm volatile("r1 = %[arena] ll;"
		     "r2 = 0;"
		     "r3 = 1;"
		     "r4 = -1;"
		     "r5 = 0;"
		     "call bpf_arena_alloc_pages;"
		     "if r0 == 0 goto 1f;"
		     "r1 = r0;"
		     "r0 = *(u32 *)(r1 + 0);"
		     "1: exit;"
		     :
		     : BV_MAP(arena)
		     : "memory");
}

/* A cast in a program that names no arena map: no arena to cast into. */
SEC("syscall")
BV_NAKED int arena_cast_no_arena(void *ctx)
{
	asm volatile("r1 = 0x1000;"
		     "r1 = addr_space_cast(r1, 0x0, 0x1);"
		     "r0 = *(u32 *)(r1 + 0);"
		     "exit;"
		     ::: "memory");
}

/* x86-64 has no probing form of the fetching and/or/xor (a compare-and-swap loop). */
SEC("syscall")
BV_NAKED int arena_atomic_fetch_or(void *ctx)
{
	asm volatile("r1 = %[arena] ll;"
		     "r2 = 0;"
		     "r3 = 1;"
		     "r4 = -1;"
		     "r5 = 0;"
		     "call bpf_arena_alloc_pages;"
		     "if r0 == 0 goto 1f;"
		     "r1 = addr_space_cast(r0, 0x0, 0x1);"
		     "r2 = 1;"
		     "r2 = atomic_fetch_or((u64 *)(r1 + 0), r2);"
		     "1: r0 = 0;"
		     "exit;"
		     :
		     : BV_MAP(arena)
		     : "memory");
}

/* Sign-extending loads from arena memory are refused when the kernel rewrites them. */
SEC("syscall")
BV_NAKED int arena_sign_extending_load(void *ctx)
{
	asm volatile("r1 = %[arena] ll;"
		     "r2 = 0;"
		     "r3 = 1;"
		     "r4 = -1;"
		     "r5 = 0;"
		     "call bpf_arena_alloc_pages;"
		     "if r0 == 0 goto 1f;"
		     "r1 = addr_space_cast(r0, 0x0, 0x1);"
		     "r0 = *(s8 *)(r1 + 0);"
		     "1: r0 = 0;"
		     "exit;"
		     :
		     : BV_MAP(arena)
		     : "memory");
}

/* `scalar += arena` makes the destination the arena pointer (a fix of 2026 that the
 * stable kernels took; before it the kernel refused it as arithmetic on an unbounded
 * pointer). */
SEC("syscall")
BV_NAKED int arena_scalar_plus_arena(void *ctx)
{
	asm volatile("r1 = %[arena] ll;"
		     "r2 = 0;"
		     "r3 = 1;"
		     "r4 = -1;"
		     "r5 = 0;"
		     "call bpf_arena_alloc_pages;"
		     "if r0 == 0 goto 1f;"
		     "r1 = addr_space_cast(r0, 0x0, 0x1);"
		     "r2 = 8;"
		     "r2 += r1;"
		     "*(u64 *)(r2 + 0) = 1;"
		     "1: r0 = 0;"
		     "exit;"
		     :
		     : BV_MAP(arena)
		     : "memory");
}

BV_GPL;
