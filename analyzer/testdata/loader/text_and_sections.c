/* A section program that calls a global `.text` function: `--program` may name either. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

__attribute__((noinline)) int classify(struct __sk_buff *skb) { return skb->len > 64; }

SEC("tc")
int ingress(struct __sk_buff *skb) { return classify(skb); }

char _license[] SEC("license") = "GPL";
