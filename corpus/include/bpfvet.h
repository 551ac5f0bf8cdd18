/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* Shared helpers for the bpfvet corpus programs. Written for this corpus. */
#ifndef BPFVET_H
#define BPFVET_H

#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* A program written in BPF assembly: the body is one asm statement. */
#define BV_NAKED __attribute__((naked))

/* Operands for asm bodies: helper ids, map addresses and plain constants.
 *   "call %[map_lookup_elem];"        with  BV_HELPER(map_lookup_elem)
 *   "r1 = %[my_map] ll;"               with  BV_MAP(my_map)
 */
#define BV_HELPER(name) [name] "i"(BPF_FUNC_##name)
#define BV_MAP(m) [m] "i"(&(m))
#define BV_CONST(name, v) [name] "i"(v)

#define BV_GPL char LICENSE[] SEC("license") = "GPL"
#define BV_DUAL char LICENSE[] SEC("license") = "Dual MIT/GPL"

#ifndef ETH_P_IP
#define ETH_P_IP 0x0800
#endif
#ifndef ETH_P_IPV6
#define ETH_P_IPV6 0x86DD
#endif
#ifndef ETH_P_8021Q
#define ETH_P_8021Q 0x8100
#endif
#ifndef ETH_P_8021AD
#define ETH_P_8021AD 0x88A8
#endif

#endif
