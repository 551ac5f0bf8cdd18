/* iproute2's tail-call layout: `__section_tail(1, 0)` puts a program in section "1/0", which tc
 * loads with the type of the object's other programs and stores in slot 0 of the program array
 * whose `bpf_elf_map` id is 1. The section alone tells no program type. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <iproute2/bpf_elf.h>

struct bpf_elf_map jmp_tc SEC("maps") = {
	.type = BPF_MAP_TYPE_PROG_ARRAY,
	.size_key = 4,
	.size_value = 4,
	.max_elem = 1,
	.id = 1,
	.pinning = PIN_GLOBAL_NS,
};

SEC("1/0")
int tail_drop(struct __sk_buff *skb)
{
	return skb->len > 1000 ? 2 : 0;
}

SEC("classifier")
int cls_main(struct __sk_buff *skb)
{
	bpf_tail_call(skb, &jmp_tc, 0);
	return 0;
}

char __license[] SEC("license") = "GPL";
