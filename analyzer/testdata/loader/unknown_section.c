/* One program per way a section name can be read: a current libbpf name, libbpf's `?` mark,
 * an old samples/bpf name, and a name no loader can type (`prog`, iproute2's default, whose
 * type comes from the tc/ip command line). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int plain_xdp(struct xdp_md *ctx) { return XDP_PASS; }

SEC("?raw_tp")
int on_request(void *ctx) { return 0; }

SEC("xdp1")
int samples_xdp(struct xdp_md *ctx) { return XDP_DROP; }

SEC("prog")
int untyped(struct __sk_buff *skb) { return 0; }

char _license[] SEC("license") = "GPL";
