/* Code only in `.text` (no SEC()): global functions a custom loader picks by name. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

static __attribute__((noinline)) int twice(int x) { return x * 2; }

int filter_a(struct __sk_buff *skb) { return twice(skb->len) > 100 ? -1 : 0; }

int filter_b(struct __sk_buff *skb) { return skb->len; }

char _license[] SEC("license") = "GPL";
