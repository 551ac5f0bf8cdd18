// SPDX-License-Identifier: MIT OR Apache-2.0
// sk_msg data inspection: pull the first bytes of each message and drop
// messages starting with "DROP"; cork small writes with apply_bytes.
// bpfvet-expect(skmsg_inspect): accept
#include "bpfvet.h"

SEC("sk_msg")
int skmsg_inspect(struct sk_msg_md *msg)
{
	char *data, *data_end;

	if (msg->size < 4)
		return SK_PASS;
	if (bpf_msg_pull_data(msg, 0, 4, 0))
		return SK_PASS;
	data = msg->data;
	data_end = msg->data_end;
	if (data + 4 > data_end)
		return SK_PASS;
	if (data[0] == 'D' && data[1] == 'R' && data[2] == 'O' && data[3] == 'P')
		return SK_DROP;
	if (msg->size < 64)
		bpf_msg_apply_bytes(msg, 64);
	return SK_PASS;
}

BV_DUAL;
