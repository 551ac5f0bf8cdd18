/* The old samples/bpf map layout (7 fields): the outer array of maps names its inner template
 * by `inner_map_idx`, the template's index among the section's maps. A lookup in the outer map
 * yields the inner map, which is then looked up in turn. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct bpf_map_def_samples {
	unsigned int type;
	unsigned int key_size;
	unsigned int value_size;
	unsigned int max_entries;
	unsigned int map_flags;
	unsigned int inner_map_idx;
	unsigned int numa_node;
};

struct bpf_map_def_samples inner_tmpl SEC("maps") = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = 4,
	.value_size = 8,
	.max_entries = 1,
};

struct bpf_map_def_samples outer SEC("maps") = {
	.type = BPF_MAP_TYPE_ARRAY_OF_MAPS,
	.key_size = 4,
	.value_size = 4,
	.max_entries = 4,
	.inner_map_idx = 0, /* inner_tmpl */
};

SEC("xdp")
int lookup_through(struct xdp_md *ctx)
{
	__u32 key = 0;
	void *inner = bpf_map_lookup_elem(&outer, &key);
	if (!inner)
		return XDP_PASS;
	__u64 *v = bpf_map_lookup_elem(inner, &key);
	if (!v)
		return XDP_PASS;
	return *v ? XDP_DROP : XDP_PASS;
}

char _license[] SEC("license") = "GPL";
