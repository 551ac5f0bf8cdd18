/* iproute2's `struct bpf_elf_map` (9 fields): the outer hash of maps names its inner template by
 * `inner_id` (the template's `id`), and the template's `inner_idx` says which outer slot tc
 * stores it in. A lookup in the outer map yields the inner map, looked up in turn. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <iproute2/bpf_elf.h>

#define MAP_INNER_ID 42

struct bpf_elf_map inner_tmpl SEC("maps") = {
	.type = BPF_MAP_TYPE_ARRAY,
	.size_key = 4,
	.size_value = 8,
	.max_elem = 1,
	.id = MAP_INNER_ID,
	.inner_idx = 3,
};

struct bpf_elf_map outer SEC("maps") = {
	.type = BPF_MAP_TYPE_ARRAY_OF_MAPS,
	.size_key = 4,
	.size_value = 4,
	.max_elem = 4,
	.inner_id = MAP_INNER_ID,
	.pinning = PIN_GLOBAL_NS,
};

SEC("classifier")
int lookup_through(struct __sk_buff *skb)
{
	__u32 key = 3;
	void *inner = bpf_map_lookup_elem(&outer, &key);
	if (!inner)
		return 0;
	key = 0;
	__u64 *v = bpf_map_lookup_elem(inner, &key);
	if (!v)
		return 0;
	return *v ? 2 : 0;
}

char _license[] SEC("license") = "GPL";
