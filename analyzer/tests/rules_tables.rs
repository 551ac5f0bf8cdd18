//! Consistency checks of the helper and program-type tables, plus spot checks of facts read
//! from the kernel sources (UAPI layouts, `bpf_func_proto` definitions, `*_is_valid_access`).

use bpfvet_analyzer::prog_type::AttachType;
use bpfvet_analyzer::rules::{
    map_allows_helper, map_type, sizes, Arg, CtxLoad, CtxModel, Groups, HelperSig, ProgTypeRules,
    Ret, HELPERS, HELPER_ATTACH_LIMITS, MAP_ALLOWED_HELPERS, PROG_TYPES,
};
use bpfvet_analyzer::verifier::env::KernelVersion;
use bpfvet_analyzer::verifier::ptr_kind::PtrKind;

fn helper(name: &str) -> &'static HelperSig {
    HELPERS
        .iter()
        .find(|h| h.name == name)
        .unwrap_or_else(|| panic!("no helper {name}"))
}

fn prog(name: &str) -> &'static ProgTypeRules {
    ProgTypeRules::by_name(name).unwrap_or_else(|| panic!("no program type {name}"))
}

#[test]
fn helper_ids_are_dense_sorted_and_unique() {
    assert_eq!(HELPERS.len(), 211);
    for (i, h) in HELPERS.iter().enumerate() {
        assert_eq!(h.id as usize, i + 1, "helper {} out of place", h.name);
    }
}

#[test]
fn helper_names_are_unique_lowercase_without_prefix() {
    let mut names: Vec<&str> = HELPERS.iter().map(|h| h.name).collect();
    for n in &names {
        assert!(!n.is_empty() && !n.starts_with("bpf_"), "bad name {n}");
        assert!(
            n.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
            "bad name {n}"
        );
    }
    names.sort_unstable();
    let before = names.len();
    names.dedup();
    assert_eq!(before, names.len(), "duplicate helper names");
}

#[test]
fn helper_signatures_are_well_formed() {
    for h in HELPERS {
        assert!(!h.doc.is_empty(), "{} has no doc", h.name);
        assert!(
            h.since >= KernelVersion::new(3, 18) && h.since <= KernelVersion::LATEST,
            "{} since",
            h.name
        );
        assert_ne!(
            h.groups,
            Groups::NONE,
            "{} is offered to no program type",
            h.name
        );
        let Some(args) = h.args else { continue };
        assert!(args.len() <= 5, "{} has {} arguments", h.name, args.len());
        for (i, a) in args.iter().enumerate() {
            let prev = i.checked_sub(1).map(|j| args[j]);
            match a {
                Arg::Size { .. } => assert!(
                    matches!(prev, Some(Arg::Mem { .. } | Arg::WritableMem { .. })),
                    "{}: size argument {} does not follow a memory argument",
                    h.name,
                    i + 1
                ),
                Arg::MapKey | Arg::MapValue { .. } | Arg::MapValueOrNull => assert!(
                    args[..i].iter().any(|p| matches!(p, Arg::Map { .. })),
                    "{}: map key/value before a map",
                    h.name
                ),
                _ => {}
            }
            if matches!(a, Arg::Mem { .. } | Arg::WritableMem { .. }) {
                assert!(
                    matches!(args.get(i + 1), Some(Arg::Size { .. })),
                    "{}: memory argument {} has no size after it",
                    h.name,
                    i + 1
                );
            }
        }
        let uses_alloc = matches!(h.ret, Ret::AllocMemOrNull | Ret::DynptrMemOrNull);
        assert_eq!(
            uses_alloc,
            args.contains(&Arg::AllocSize),
            "{}: alloc size and return disagree",
            h.name
        );
        if matches!(h.ret, Ret::MapValueOrNull | Ret::MapValue) {
            assert!(
                args.iter().any(|a| matches!(a, Arg::Map { .. })),
                "{}: map value without a map",
                h.name
            );
        }
    }
}

#[test]
fn every_helper_group_is_offered_by_some_program_type() {
    let offered = PROG_TYPES
        .iter()
        .fold(Groups::NONE, |acc, p| acc.union(p.helpers));
    for h in HELPERS {
        assert!(
            offered.intersects(h.groups),
            "{} is callable from no program type",
            h.name
        );
        let mut bit = 1u64;
        while bit != 0 {
            if h.groups.0 & bit != 0 {
                assert!(
                    offered.0 & bit != 0,
                    "{}: group bit {bit:#x} is given to no program type",
                    h.name
                );
            }
            bit <<= 1;
        }
    }
}

#[test]
fn program_type_ids_and_names_are_unique() {
    let mut ids: Vec<u32> = PROG_TYPES.iter().map(|p| p.kernel_id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), PROG_TYPES.len(), "duplicate program type ids");
    let mut names: Vec<&str> = PROG_TYPES.iter().map(|p| p.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(
        names.len(),
        PROG_TYPES.len(),
        "duplicate program type names"
    );
    for p in PROG_TYPES {
        let known = bpfvet_analyzer::prog_type::ProgType::from_raw(p.kernel_id)
            .unwrap_or_else(|| panic!("{} has unknown id {}", p.name, p.kernel_id));
        assert_eq!(known.name(), p.name, "name and id disagree");
        assert!(
            p.helpers.intersects(Groups::BASE),
            "{} lacks the base helpers",
            p.name
        );
    }
}

#[test]
fn every_expected_program_type_is_present() {
    for name in [
        "socket_filter",
        "kprobe",
        "tracepoint",
        "raw_tracepoint",
        "raw_tracepoint_writable",
        "perf_event",
        "xdp",
        "sched_cls",
        "sched_act",
        "cgroup_skb",
        "cgroup_sock",
        "cgroup_sock_addr",
        "cgroup_sockopt",
        "cgroup_sysctl",
        "cgroup_device",
        "sock_ops",
        "sk_skb",
        "sk_msg",
        "sk_lookup",
        "flow_dissector",
        "lwt_in",
        "lwt_out",
        "lwt_xmit",
        "lwt_seg6local",
        "sk_reuseport",
        "tracing",
        "lsm",
        "struct_ops",
        "syscall",
        "netfilter",
    ] {
        prog(name);
    }
}

#[test]
fn ctx_fields_are_sorted_non_overlapping_and_consistent() {
    for p in PROG_TYPES {
        let CtxModel::Fields(fields) = p.ctx else {
            continue;
        };
        for w in fields.windows(2) {
            assert!(
                w[0].off + w[0].size <= w[1].off,
                "{}: {} overlaps {}",
                p.name,
                w[0].name,
                w[1].name
            );
        }
        for f in fields {
            assert!(
                f.size > 0 && f.read_sizes != 0,
                "{}.{} unreadable",
                p.name,
                f.name
            );
            assert_eq!(
                f.write,
                f.write_sizes != 0,
                "{}.{} write flag",
                p.name,
                f.name
            );
            assert!(
                f.write || f.write_attach.is_none(),
                "{}.{} write_attach without write",
                p.name,
                f.name
            );
            assert_eq!(
                f.read_sizes & !sizes::ANY,
                0,
                "{}.{} read sizes",
                p.name,
                f.name
            );
            if f.yields.is_some() {
                assert!(!f.write, "{}.{} pointer field is writable", p.name, f.name);
                assert!(
                    f.read_sizes == sizes::W || f.read_sizes == sizes::DW,
                    "{}.{} pointer field allows narrow loads",
                    p.name,
                    f.name
                );
            }
            // Every field must be reachable with at least one allowed size.
            let smallest = (0..4)
                .map(|b| 1u32 << b)
                .find(|s| u32::from(f.read_sizes) & s != 0)
                .unwrap();
            assert!(
                smallest <= f.size,
                "{}.{} smallest load exceeds the field",
                p.name,
                f.name
            );
        }
    }
}

#[test]
fn attach_dimensions_are_consistent() {
    for p in PROG_TYPES {
        for r in p.ret_by_attach {
            for a in r.attach {
                assert!(
                    p.attach_types.contains(a),
                    "{}: exit range for foreign attach type {a}",
                    p.name
                );
            }
        }
    }
    for l in HELPER_ATTACH_LIMITS {
        let p = ProgTypeRules::by_id(l.prog_type).expect("limit for unknown program type");
        let h = &HELPERS[l.helper as usize - 1];
        assert!(
            p.allows(h),
            "limit on {} for {}, which never offers it",
            h.name,
            p.name
        );
        for a in l.only {
            assert!(
                p.attach_types.contains(a),
                "{}: limit names foreign attach type {a}",
                p.name
            );
        }
    }
}

#[test]
fn map_compatibility_table_is_consistent() {
    let mut last = 0;
    for m in MAP_ALLOWED_HELPERS {
        assert!(m.map_type > last, "map rows must be sorted and unique");
        last = m.map_type;
        for id in m.helpers {
            assert!((1..=211).contains(id), "bad helper id {id}");
        }
    }
    // Both directions agree: a helper restricted to map type T is allowed by T's row.
    for h in HELPERS {
        for a in h.args.unwrap_or(&[]) {
            if let Arg::Map { types } = a {
                for t in *types {
                    assert!(
                        map_allows_helper(*t, h.id),
                        "{} takes {} but the map side refuses",
                        h.name,
                        map_type::name(*t)
                    );
                }
            }
        }
    }
    assert!(
        !map_allows_helper(map_type::PROG_ARRAY, 1),
        "prog arrays cannot be looked up"
    );
    assert!(map_allows_helper(map_type::HASH, 1));
}

// Spot checks against the kernel's definitions.

#[test]
fn spot_check_helper_signatures() {
    let h = helper("map_lookup_elem");
    assert_eq!(h.id, 1);
    assert_eq!(h.args, Some(&[Arg::Map { types: &[] }, Arg::MapKey][..]));
    assert_eq!(h.ret, Ret::MapValueOrNull);
    assert!(!h.gpl_only);

    let h = helper("skb_load_bytes");
    assert_eq!(h.id, 26);
    assert_eq!(
        h.args,
        Some(
            &[
                Arg::Ctx,
                Arg::Anything,
                Arg::Mem {
                    uninit: true,
                    nullable: false
                },
                Arg::Size { zero_ok: false }
            ][..]
        )
    );

    let h = helper("probe_read_kernel");
    assert_eq!(h.id, 113);
    assert!(h.gpl_only);
    assert_eq!(h.args.unwrap()[1], Arg::Size { zero_ok: true });

    let h = helper("sk_lookup_tcp");
    assert!(h.acquire && h.ret == Ret::SocketOrNull);
    assert!(helper("sk_release").release);
    assert!(helper("ringbuf_reserve").acquire);
    assert!(helper("ringbuf_submit").release && helper("ringbuf_submit").ret == Ret::Void);
    assert_eq!(
        helper("tail_call").args.unwrap()[1],
        Arg::Map {
            types: &[map_type::PROG_ARRAY]
        }
    );
    assert_eq!(helper("cgrp_storage_delete").id, 211);
    assert_eq!(
        helper("fib_lookup").args.unwrap()[1],
        Arg::WritableMem { nullable: false }
    );
}

#[test]
fn spot_check_changes_pkt_data_list() {
    let expected = [
        "clone_redirect",
        "l3_csum_replace",
        "l4_csum_replace",
        "lwt_push_encap",
        "lwt_seg6_action",
        "lwt_seg6_adjust_srh",
        "lwt_seg6_store_bytes",
        "msg_pop_data",
        "msg_pull_data",
        "msg_push_data",
        "skb_adjust_room",
        "skb_change_head",
        "skb_change_proto",
        "skb_change_tail",
        "skb_pull_data",
        "skb_store_bytes",
        "skb_vlan_pop",
        "skb_vlan_push",
        "store_hdr_opt",
        "xdp_adjust_head",
        "xdp_adjust_meta",
        "xdp_adjust_tail",
        "tail_call",
    ];
    let mut got: Vec<&str> = HELPERS
        .iter()
        .filter(|h| h.changes_pkt_data)
        .map(|h| h.name)
        .collect();
    let mut want = expected.to_vec();
    got.sort_unstable();
    want.sort_unstable();
    assert_eq!(got, want);
}

#[test]
fn spot_check_availability() {
    let sf = prog("socket_filter");
    let tc = prog("sched_cls");
    let xdp = prog("xdp");
    assert!(sf.allows(helper("skb_load_bytes")));
    assert!(!sf.allows(helper("skb_store_bytes")));
    assert!(tc.allows(helper("skb_store_bytes")));
    assert!(!xdp.allows(helper("skb_store_bytes")));
    assert!(xdp.allows(helper("redirect_map")));
    assert!(!tc.allows(helper("redirect_map")));
    assert!(prog("kprobe").allows(helper("get_current_pid_tgid")));
    assert!(prog("kprobe").allows(helper("override_return")));
    assert!(!prog("tracepoint").allows(helper("override_return")));
    assert!(!xdp.allows(helper("get_current_comm")));
    // Privilege tiers: probe_read_kernel from tc needs CAP_PERFMON, spin_lock needs CAP_BPF.
    assert!(tc.allows_for(
        helper("probe_read_kernel"),
        None,
        true,
        KernelVersion::LATEST
    ));
    assert!(!tc.allows_for(
        helper("probe_read_kernel"),
        None,
        false,
        KernelVersion::LATEST
    ));
    assert!(!sf.allows_for(helper("spin_lock"), None, false, KernelVersion::LATEST));
    assert!(sf.allows_for(
        helper("map_lookup_elem"),
        None,
        false,
        KernelVersion::LATEST
    ));
    // Attach-dependent helpers.
    let sa = prog("cgroup_sock_addr");
    assert!(sa.allows_for(
        helper("bind"),
        Some(AttachType::CgroupInet4Connect),
        true,
        KernelVersion::LATEST
    ));
    assert!(!sa.allows_for(
        helper("bind"),
        Some(AttachType::CgroupInet4Bind),
        true,
        KernelVersion::LATEST
    ));
    let tr = prog("tracing");
    assert!(tr.allows_for(
        helper("seq_printf"),
        Some(AttachType::TraceIter),
        true,
        KernelVersion::LATEST
    ));
    assert!(!tr.allows_for(
        helper("seq_printf"),
        Some(AttachType::TraceFentry),
        true,
        KernelVersion::LATEST
    ));
    // Helpers the kernel later offered to every program type (6.1 and 6.12 kernels confirm
    // both sides: the corpus's xdp_wants_pid and cg_ingress_acct).
    let old = KernelVersion::new(6, 1);
    assert!(!xdp.allows_for(helper("get_current_pid_tgid"), None, true, old));
    assert!(xdp.allows_for(
        helper("get_current_pid_tgid"),
        None,
        true,
        KernelVersion::new(6, 10)
    ));
    assert!(prog("kprobe").allows_for(helper("get_current_pid_tgid"), None, true, old));
    let cg_skb = prog("cgroup_skb");
    assert!(!cg_skb.allows_for(helper("get_current_cgroup_id"), None, true, old));
    assert!(cg_skb.allows_for(
        helper("get_current_cgroup_id"),
        None,
        true,
        KernelVersion::new(6, 6)
    ));
    assert!(prog("cgroup_sock").allows_for(helper("get_current_cgroup_id"), None, true, old));
}

#[test]
fn spot_check_program_types() {
    assert_eq!(prog("xdp").kernel_id, 6);
    assert_eq!(prog("sched_cls").kernel_id, 3);
    assert_eq!(prog("netfilter").kernel_id, 32);
    assert!(prog("socket_filter").ld_abs && prog("sched_act").ld_abs && !prog("xdp").ld_abs);
    for (name, w) in [
        ("sched_cls", true),
        ("xdp", true),
        ("lwt_xmit", true),
        ("sk_skb", true),
        ("sk_msg", true),
    ] {
        assert_eq!(prog(name).pkt_write, w, "{name}");
    }
    for name in [
        "socket_filter",
        "cgroup_skb",
        "lwt_in",
        "lwt_out",
        "flow_dissector",
        "sk_reuseport",
    ] {
        assert!(!prog(name).pkt_write, "{name}");
    }
    let cg = prog("cgroup_skb");
    assert_eq!(
        cg.ret_range(Some(AttachType::CgroupInetIngress)),
        Some((0, 1))
    );
    assert_eq!(
        cg.ret_range(Some(AttachType::CgroupInetEgress)),
        Some((0, 3))
    );
    assert_eq!(cg.ret_range(None), Some((0, 1)));
    let sa = prog("cgroup_sock_addr");
    assert_eq!(
        sa.ret_range(Some(AttachType::CgroupUdp4Recvmsg)),
        Some((1, 1))
    );
    assert_eq!(
        sa.ret_range(Some(AttachType::CgroupInet6Bind)),
        Some((0, 3))
    );
    assert_eq!(
        sa.ret_range(Some(AttachType::CgroupInet4Connect)),
        Some((0, 1))
    );
    assert_eq!(
        prog("tracing").ret_range(Some(AttachType::TraceFentry)),
        Some((0, 0))
    );
    assert_eq!(
        prog("tracing").ret_range(Some(AttachType::ModifyReturn)),
        None
    );
    assert_eq!(prog("sk_lookup").ret_range(None), Some((0, 1)));
    assert_eq!(prog("xdp").ret_range(None), None);
}

#[test]
fn spot_check_sk_buff_layout_and_permissions() {
    let tc = prog("sched_cls");
    let sf = prog("socket_filter");
    let data = tc.ctx_field(76).unwrap();
    assert_eq!(
        (data.name, data.off, data.size, data.yields),
        ("data", 76, 4, Some(PtrKind::Packet))
    );
    assert_eq!(tc.ctx_field(80).unwrap().yields, Some(PtrKind::PacketEnd));
    assert_eq!(tc.ctx_field(140).unwrap().yields, Some(PtrKind::PacketMeta));
    assert_eq!(tc.ctx_field(8).unwrap().name, "mark");
    let load = |p: &ProgTypeRules, off, size| p.ctx_access(off, size, false, None, true);
    let store = |p: &ProgTypeRules, off, size| p.ctx_access(off, size, true, None, true);
    // mark: tc may write it, a socket filter may not; both may read it narrowly.
    assert_eq!(store(tc, 8, 4), Some(CtxLoad::Scalar));
    assert_eq!(store(sf, 8, 4), None);
    assert_eq!(load(sf, 8, 1), Some(CtxLoad::Scalar));
    assert_eq!(load(sf, 8, 8), None);
    // cb[]: any aligned size, including an 8-byte store spanning two slots.
    assert_eq!(store(sf, 48, 8), Some(CtxLoad::Scalar));
    assert_eq!(store(sf, 64, 8), None, "runs past cb[4]");
    // Socket filters have no packet pointers; tc does.
    assert_eq!(load(sf, 76, 4), None);
    assert_eq!(
        load(tc, 76, 4),
        Some(CtxLoad::Ptr {
            kind: PtrKind::Packet,
            nullable: false
        })
    );
    assert_eq!(load(tc, 76, 2), None);
    // sk is an 8-byte sock_common-or-NULL pointer.
    assert_eq!(
        load(tc, 168, 8),
        Some(CtxLoad::Ptr {
            kind: PtrKind::SockCommon,
            nullable: true
        })
    );
    // data_meta: tc only. cgroup_skb packet pointers need CAP_BPF.
    assert_eq!(load(prog("cgroup_skb"), 140, 4), None);
    assert!(prog("cgroup_skb")
        .ctx_access(76, 4, false, None, false)
        .is_none());
    assert!(prog("cgroup_skb")
        .ctx_access(76, 4, false, None, true)
        .is_some());
    // The flow dissector sees only data, data_end and flow_keys.
    let fd = prog("flow_dissector");
    assert_eq!(load(fd, 0, 4), None);
    assert_eq!(
        load(fd, 144, 8),
        Some(CtxLoad::Ptr {
            kind: PtrKind::FlowKeys,
            nullable: false
        })
    );
}

#[test]
fn spot_check_other_contexts() {
    let xdp = prog("xdp");
    assert_eq!(
        xdp.ctx_access(0, 4, false, None, true),
        Some(CtxLoad::Ptr {
            kind: PtrKind::Packet,
            nullable: false
        })
    );
    assert_eq!(
        xdp.ctx_access(12, 4, true, None, true),
        None,
        "xdp_md is read only"
    );
    assert_eq!(
        xdp.ctx_access(20, 4, false, Some(AttachType::Xdp), true),
        None,
        "egress_ifindex: devmap only"
    );
    assert!(xdp
        .ctx_access(20, 4, false, Some(AttachType::XdpDevmap), true)
        .is_some());
    let kp = prog("kprobe");
    assert!(kp.ctx_access(160, 8, false, None, true).is_some());
    assert!(
        kp.ctx_access(168, 1, false, None, true).is_none(),
        "sizeof(pt_regs) is 168"
    );
    let tp = prog("tracepoint");
    assert!(
        tp.ctx_access(0, 8, false, None, true).is_none(),
        "first 8 bytes hidden"
    );
    assert!(tp.ctx_access(8, 4, false, None, true).is_some());
    let sock = prog("cgroup_sock");
    assert!(sock
        .ctx_access(16, 4, true, Some(AttachType::CgroupInetSockCreate), true)
        .is_some());
    assert!(sock
        .ctx_access(16, 4, false, Some(AttachType::CgroupInet4PostBind), true)
        .is_none());
    let sa = prog("cgroup_sock_addr");
    assert!(
        sa.ctx_access(8, 8, true, Some(AttachType::CgroupInet6Connect), true)
            .is_some(),
        "wide store"
    );
    assert!(
        sa.ctx_access(4, 4, false, Some(AttachType::CgroupInet6Connect), true)
            .is_none(),
        "user_ip4 on v6"
    );
    let ops = prog("sock_ops");
    assert_eq!(
        ops.ctx_access(184, 8, false, None, true),
        Some(CtxLoad::Ptr {
            kind: PtrKind::Socket,
            nullable: true
        })
    );
    assert!(
        ops.ctx_access(4, 4, true, None, true).is_some(),
        "reply is writable"
    );
    assert!(ops.ctx_access(8, 4, true, None, true).is_none());
    let so = prog("cgroup_sockopt");
    assert!(so
        .ctx_access(24, 4, true, Some(AttachType::CgroupSetsockopt), true)
        .is_some());
    assert!(so
        .ctx_access(24, 4, true, Some(AttachType::CgroupGetsockopt), true)
        .is_none());
    assert!(so
        .ctx_access(36, 4, false, Some(AttachType::CgroupSetsockopt), true)
        .is_none());
}
