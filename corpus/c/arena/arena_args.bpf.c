// SPDX-License-Identifier: MIT OR Apache-2.0
// Arena pointers as arguments. A global function's parameter tagged
// arg:arena takes an arena pointer or a number (the callee starts from a
// number and casts it); Linux 6.12 takes anything there (a stack pointer
// too), newer kernels refuse what is neither ("R1 is not a pointer to arena
// or scalar.", not measured here: bpfvet refuses it after 6.12). A helper's
// memory argument takes no arena pointer: arena memory is reached only
// through the probe accesses the kernel makes of loads and stores.
//
// The live 6.18 build that confirms the corpus refuses to create arena maps
// (EPERM); the verdicts below come from Debian's 6.12 kernel
// (scripts/kernel-oracle --kernel 6.12):
//   accept: arena_global_arg, arena_global_arg_stack
//   reject: arena_helper_mem "R1 type=arena expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_"
// bpfvet-expect(arena_global_arg): refused "map 'arena': failed to create: -EPERM on the confirming 6.18 build; Linux 6.12 accepts"
// bpfvet-expect(arena_global_arg_stack): refused "map 'arena': failed to create: -EPERM on the confirming 6.18 build; Linux 6.12 accepts"
// bpfvet-expect(arena_helper_mem): refused "map 'arena': failed to create: -EPERM on the confirming 6.18 build; Linux 6.12 rejects"
#include "bpfvet.h"

#define BV_MAP_TYPE_ARENA 33
#define __arena __attribute__((address_space(1)))
#define __arg_arena __attribute__((btf_decl_tag("arg:arena")))

struct {
	__uint(type, BV_MAP_TYPE_ARENA);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 4); /* pages */
} arena SEC(".maps");

extern void __arena *bpf_arena_alloc_pages(void *map, void __arena *addr, __u32 page_cnt,
					   int node_id, __u64 flags) __ksym;

__attribute__((noinline)) int bump(int __arena *p __arg_arena)
{
	if (!p)
		return 0;
	*p += 1;
	return *p;
}

SEC("syscall")
int arena_global_arg(void *ctx)
{
	int __arena *page;

	page = bpf_arena_alloc_pages(&arena, NULL, 1, -1, 0);
	return bump(page) + bump(NULL);
}

/* A stack pointer where the callee expects an arena pointer: 6.12 lets it through. */
SEC("syscall")
BV_NAKED int arena_global_arg_stack(void *ctx)
{
	asm volatile("r1 = %[arena] ll;"
		     "r1 = r10;"
		     "r1 += -8;"
		     "call bump;"
		     "exit;"
		     :
		     : BV_MAP(arena)
		     : "memory");
}

/* bpf_get_current_comm writing into arena memory. */
SEC("syscall")
BV_NAKED int arena_helper_mem(void *ctx)
{
	asm volatile("r1 = %[arena] ll;"
		     "r2 = 0;"
		     "r3 = 1;"
		     "r4 = -1;"
		     "r5 = 0;"
		     "call bpf_arena_alloc_pages;"
		     "if r0 == 0 goto 1f;"
		     "r1 = addr_space_cast(r0, 0x0, 0x1);"
		     "r2 = 16;"
		     "call %[get_current_comm];"
		     "1: r0 = 0;"
		     "exit;"
		     :
		     : BV_MAP(arena), BV_HELPER(get_current_comm)
		     : "memory");
}

BV_GPL;
