/* Built by GCC's BPF backend (bpf-gcc, Debian's gcc-bpf): two programs in one section, both
 * calling a static `.text` function, a legacy map and a global variable. */
#include <linux/bpf.h>

struct bpf_map_def { unsigned int type, key_size, value_size, max_entries, map_flags; };
struct bpf_map_def __attribute__((section("maps"), used)) counts = { BPF_MAP_TYPE_ARRAY, 4, 8, 4, 0 };
static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *) 1;
static __attribute__((noinline)) int mix(int a, int b) { return a * b + 3; }
int global_val = 5;

__attribute__((section("xdp"), used)) int first(struct xdp_md *ctx)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&counts, &k);
	if (v)
		*v += 1;
	return mix(ctx->ingress_ifindex, global_val) > 7 ? XDP_PASS : XDP_DROP;
}

__attribute__((section("xdp"), used)) int second(struct xdp_md *ctx)
{
	return mix(1, 2) ? XDP_DROP : XDP_PASS;
}

char _license[] __attribute__((section("license"), used)) = "GPL";
