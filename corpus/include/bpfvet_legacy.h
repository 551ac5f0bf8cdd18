/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* The pre-BTF map definition format: objects placed in SEC("maps").
 * libbpf >= 1.0 no longer loads these; older loaders (iproute2, aya, samples/bpf)
 * read them as five consecutive u32 fields. */
#ifndef BPFVET_LEGACY_H
#define BPFVET_LEGACY_H

struct bpf_map_def {
	unsigned int type;
	unsigned int key_size;
	unsigned int value_size;
	unsigned int max_entries;
	unsigned int map_flags;
};

#endif
