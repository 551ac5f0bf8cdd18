//! Maps whose values name kernel objects (maps of maps, device/CPU/socket maps, reuseport
//! arrays, cgroup arrays, stack traces, socket and cgroup storage, xskmaps) and the bloom
//! filter, through the helper ABI of the interpreter and the checked JIT, which must agree. Expected values are the
//! kernel's documented and implemented returns (cited at each test), worked out by hand.

#[path = "support/agree.rs"]
mod agree;
mod support;

use agree::{call_with, neg, program, run_both, sock_ops_ctx};
use bpfvet_runtime::helpers::socket_id;
use bpfvet_runtime::maps::{errno, MapDef, MapId, MapType};
use bpfvet_runtime::Redirect;
use bpfvet_runtime::{Input, Machine, Program};

// ---- bloom filter (kernel/bpf/bloom_filter.c: push with BPF_ANY only, peek 0 or -ENOENT) ----

const BLOOM: &str = "
    stw [%r10-4], 5
    lddw %r1, 0x0ead0000
    mov %r2, %r10
    add %r2, -4
    mov %r3, 0
    call 87
    jne %r0, 0, out
    lddw %r1, 0x0ead0000
    mov %r2, %r10
    add %r2, -4
    call 89
    mov %r6, %r0
    stw [%r10-4], 6
    lddw %r1, 0x0ead0000
    mov %r2, %r10
    add %r2, -4
    call 89
    lsh %r0, 32
    rsh %r0, 32
    lsh %r6, 32
    or %r0, %r6
out:
    exit
";

#[test]
fn bloom_filter_push_then_peek() {
    let prog = program(BLOOM, 1);
    let setup = |m: &mut Machine| {
        m.create_map(MapDef::new(MapType::BloomFilter, 0, 4, 100))
            .unwrap();
    };
    let (r0, m) = run_both(&prog, &Input::None, setup);
    // Peek of the pushed 5 is 0 (high word); 6 was never pushed: -ENOENT (low word).
    assert_eq!(r0, u64::from((-errno::ENOENT) as u32));
    let b = m.map(MapId(0)).unwrap().bloom().unwrap();
    // 100 entries * 5 hashes * 7 / 5 = 700 bits, rounded up to 1024.
    assert_eq!((b.nr_bits(), b.nr_hashes()), (1024, 5));
}

#[test]
fn bloom_filter_refuses_flags_keys_and_delete() {
    let mut m = Machine::new();
    let id = m
        .create_map(MapDef::new(MapType::BloomFilter, 0, 4, 16))
        .unwrap();
    assert_eq!(
        m.map_mut(id).unwrap().push(&[1, 0, 0, 0], 1),
        -errno::EINVAL
    );
    // User-space update is a push (flags BPF_ANY only), lookup answers nothing, delete is
    // not supported.
    assert_eq!(m.map_update(id, &[], &[7, 0, 0, 0], 0), 0);
    assert_eq!(m.map_mut(id).unwrap().bloom_peek(&[7, 0, 0, 0]), Some(0));
    assert_eq!(m.map_delete(id, &[]), -errno::EOPNOTSUPP);
    assert!(m
        .create_map(MapDef::new(MapType::BloomFilter, 4, 4, 16))
        .is_err());
}

// ---- maps of maps (lookup yields the inner map; fd arrays take BPF_ANY only) ----

/// `inner = lookup(outer, &slot)`; if set, `update(inner, &7, &42)` and return
/// `*lookup(inner, &7)`; else return 1000.
const MAP_IN_MAP: &str = "
    stw [%r10-4], 0
    lddw %r1, 0x0ead0000
    mov %r2, %r10
    add %r2, -4
    call 1
    jeq %r0, 0, none
    mov %r6, %r0
    stw [%r10-8], 7
    stdw [%r10-16], 42
    mov %r1, %r6
    mov %r2, %r10
    add %r2, -8
    mov %r3, %r10
    add %r3, -16
    mov %r4, 0
    call 2
    mov %r1, %r6
    mov %r2, %r10
    add %r2, -8
    call 1
    jeq %r0, 0, none
    ldxdw %r0, [%r0]
    exit
none:
    mov %r0, 1000
    exit
";

#[test]
fn map_in_map_lookup_yields_the_inner_map() {
    let prog = program(MAP_IN_MAP, 1);
    let setup = |fill: bool| {
        move |m: &mut Machine| {
            let outer = m
                .create_map(MapDef::new(MapType::ArrayOfMaps, 4, 4, 4))
                .unwrap();
            let inner = m.create_map(MapDef::new(MapType::Hash, 4, 8, 8)).unwrap();
            if fill {
                assert_eq!(
                    m.map_update(outer, &0u32.to_le_bytes(), &inner.0.to_le_bytes(), 0),
                    0
                );
            }
        }
    };
    let (r0, mut m) = run_both(&prog, &Input::None, setup(true));
    assert_eq!(r0, 42);
    assert_eq!(
        m.map_lookup(MapId(1), &7u32.to_le_bytes()),
        Some(42u64.to_le_bytes().to_vec())
    );
    let (r0, _) = run_both(&prog, &Input::None, setup(false));
    assert_eq!(r0, 1000);
}

#[test]
fn fd_array_update_rules() {
    let mut m = Machine::new();
    let outer = m
        .create_map(MapDef::new(MapType::ArrayOfMaps, 4, 4, 2))
        .unwrap();
    // `bpf_fd_array_map_update_elem`: flags other than BPF_ANY are EINVAL, before the index.
    assert_eq!(
        m.map_update(outer, &9u32.to_le_bytes(), &0u32.to_le_bytes(), 1),
        -errno::EINVAL
    );
    assert_eq!(
        m.map_update(outer, &2u32.to_le_bytes(), &0u32.to_le_bytes(), 0),
        -errno::E2BIG
    );
    // `fd_array_map_delete_elem`: an empty slot is ENOENT, past the end E2BIG.
    assert_eq!(m.map_delete(outer, &1u32.to_le_bytes()), -errno::ENOENT);
    assert_eq!(m.map_delete(outer, &5u32.to_le_bytes()), -errno::E2BIG);
}

// ---- devmap / cpumap redirect (`__bpf_xdp_redirect_map`) ----

fn redirect_prog(key: u32, flags: u64) -> Program {
    program(
        &call_with(
            &format!("    lddw %r1, 0x0ead0000\n    mov %r2, {key}\n    lddw %r3, {flags}"),
            51,
        ),
        1,
    )
}

fn devmap(t: MapType) -> impl Fn(&mut Machine) {
    move |m: &mut Machine| {
        let id = m.create_map(MapDef::new(t, 4, 4, 4)).unwrap();
        assert_eq!(
            m.map_update(id, &1u32.to_le_bytes(), &3u32.to_le_bytes(), 0),
            0
        );
    }
}

#[test]
fn redirect_map_returns_redirect_or_the_fallback_action() {
    let xdp = Input::xdp(&[0u8; 64]);
    // Present key: XDP_REDIRECT (4), recorded.
    let (r0, m) = run_both(&redirect_prog(1, 2), &xdp, devmap(MapType::DevMap));
    assert_eq!(r0, 4);
    assert_eq!(
        m.env.redirects,
        vec![Redirect {
            map: Some(MapId(0)),
            target: 1,
            flags: 2
        }]
    );
    // Absent key: the flags' low two bits (XDP_PASS = 2, XDP_DROP = 1), nothing recorded.
    for (flags, want) in [(2, 2), (1, 1), (0, 0)] {
        let (r0, m) = run_both(&redirect_prog(2, flags), &xdp, devmap(MapType::DevMap));
        assert_eq!(r0, want);
        assert!(m.env.redirects.is_empty());
    }
    // BPF_F_BROADCAST redirects whatever the key; an unknown flag aborts (XDP_ABORTED = 0).
    let (r0, _) = run_both(&redirect_prog(2, 8), &xdp, devmap(MapType::DevMapHash));
    assert_eq!(r0, 4);
    let (r0, _) = run_both(&redirect_prog(1, 0x22), &xdp, devmap(MapType::DevMap));
    assert_eq!(r0, 0);
    // A cpumap takes no broadcast flag.
    let cpumap = |m: &mut Machine| {
        let id = m.create_map(MapDef::new(MapType::CpuMap, 4, 4, 4)).unwrap();
        assert_eq!(
            m.map_update(id, &0u32.to_le_bytes(), &64u32.to_le_bytes(), 0),
            0
        );
    };
    let (r0, _) = run_both(&redirect_prog(0, 8), &xdp, cpumap);
    assert_eq!(r0, 0);
    let (r0, _) = run_both(&redirect_prog(0, 1), &xdp, cpumap);
    assert_eq!(r0, 4);
}

#[test]
fn device_map_update_rules() {
    let mut m = Machine::new();
    let dev = m.create_map(MapDef::new(MapType::DevMap, 4, 4, 4)).unwrap();
    // `dev_map_update_elem`: NOEXIST is EEXIST (array slots always exist); ifindex 0 empties.
    assert_eq!(
        m.map_update(dev, &1u32.to_le_bytes(), &3u32.to_le_bytes(), 1),
        -errno::EEXIST
    );
    assert_eq!(
        m.map_update(dev, &1u32.to_le_bytes(), &3u32.to_le_bytes(), 0),
        0
    );
    assert_eq!(
        m.map_update(dev, &1u32.to_le_bytes(), &0u32.to_le_bytes(), 0),
        0
    );
    assert_eq!(m.map(dev).unwrap().slot_count(), 0);
    // `dev_map_delete_elem`: an empty slot is fine, out of range EINVAL.
    assert_eq!(m.map_delete(dev, &1u32.to_le_bytes()), 0);
    assert_eq!(m.map_delete(dev, &4u32.to_le_bytes()), -errno::EINVAL);
    // `cpu_map_update_elem`: a queue size above 16384 overflows.
    let cpu = m.create_map(MapDef::new(MapType::CpuMap, 4, 4, 4)).unwrap();
    assert_eq!(
        m.map_update(cpu, &0u32.to_le_bytes(), &16385u32.to_le_bytes(), 0),
        -errno::EOVERFLOW
    );
    // Device maps are read-only to programs (the kernel sets BPF_F_RDONLY_PROG).
    let def = bpfvet_runtime::load::map_def_of(&obj_def(14, 4, 4, 4)).unwrap();
    assert!(def.read_only);
}

fn obj_def(t: u32, k: u32, v: u32, n: u32) -> bpfvet_analyzer::program::MapDef {
    use bpfvet_analyzer::program::{MapDef as ObjMapDef, MapType as ObjMapType};
    ObjMapDef::plain("m", ObjMapType(t), k, v, n)
}

// ---- socket maps (net/core/sock_map.c) ----

fn sockmap(t: MapType) -> impl Fn(&mut Machine) {
    move |m: &mut Machine| {
        let id = m.create_map(MapDef::new(t, 4, 8, 4)).unwrap();
        let est = socket_id(0x50, false).to_le_bytes();
        let listen = socket_id(0x51, true).to_le_bytes();
        assert_eq!(m.map_update(id, &0u32.to_le_bytes(), &est, 0), 0);
        assert_eq!(m.map_update(id, &1u32.to_le_bytes(), &listen, 0), 0);
    }
}

#[test]
fn sk_redirect_passes_to_established_sockets_only() {
    let skb = Input::skb(&[0u8; 64]);
    let by_index = |key: u32, flags: u64| {
        program(
            &call_with(
                &format!("    lddw %r2, 0x0ead0000\n    mov %r3, {key}\n    mov %r4, {flags}"),
                52,
            ),
            1,
        )
    };
    // SK_PASS (1) for the established socket, recorded; SK_DROP (0) for the listening one,
    // an empty slot, and a flag other than BPF_F_INGRESS.
    let (r0, m) = run_both(&by_index(0, 1), &skb, sockmap(MapType::SockMap));
    assert_eq!(r0, 1);
    assert_eq!(m.env.redirects.len(), 1);
    for (key, flags) in [(1, 0), (2, 0), (0, 2)] {
        let (r0, m) = run_both(&by_index(key, flags), &skb, sockmap(MapType::SockMap));
        assert_eq!(r0, 0, "key {key} flags {flags}");
        assert!(m.env.redirects.is_empty());
    }
    // The hash variants take a key pointer (msg_redirect_hash).
    let by_key = program(
        &call_with(
            "    stw [%r10-4], 0\n    lddw %r2, 0x0ead0000\n    mov %r3, %r10\n    add %r3, -4\n    mov %r4, 0",
            71,
        ),
        1,
    );
    let (r0, _) = run_both(&by_key, &skb, sockmap(MapType::SockHash));
    assert_eq!(r0, 1);
}

/// `sock_map_update(ctx, map, &key, flags)` with the sock_ops context in the input buffer.
fn sock_map_update(key: u32, flags: u64) -> Program {
    program(
        &call_with(
            &format!(
                "    stw [%r10-4], {key}\n    lddw %r2, 0x0ead0000\n    mov %r3, %r10\n    add %r3, -4\n    mov %r4, {flags}"
            ),
            53,
        ),
        1,
    )
}

#[test]
fn sock_map_update_inserts_the_program_socket_in_established_callbacks() {
    let empty = |m: &mut Machine| {
        m.create_map(MapDef::new(MapType::SockMap, 4, 8, 4))
            .unwrap();
    };
    // PASSIVE_ESTABLISHED_CB (5): inserted as established.
    let (r0, mut m) = run_both(&sock_map_update(2, 0), &sock_ops_ctx(5), empty);
    assert_eq!(r0, 0);
    let cookie = m.env.system.socket_cookie;
    assert_eq!(
        m.map_lookup(MapId(0), &2u32.to_le_bytes()),
        Some(socket_id(cookie, false).to_le_bytes().to_vec())
    );
    // TCP_CONNECT_CB (3) is not a callback that may insert: EOPNOTSUPP.
    let (r0, _) = run_both(&sock_map_update(2, 0), &sock_ops_ctx(3), empty);
    assert_eq!(r0, neg(errno::EOPNOTSUPP));
    // Past the end E2BIG; BPF_EXIST on an empty slot ENOENT; NOEXIST on a full one EEXIST.
    let (r0, _) = run_both(&sock_map_update(4, 0), &sock_ops_ctx(11), empty);
    assert_eq!(r0, neg(errno::E2BIG));
    let (r0, _) = run_both(&sock_map_update(1, 2), &sock_ops_ctx(4), empty);
    assert_eq!(r0, neg(errno::ENOENT));
    let (r0, _) = run_both(
        &sock_map_update(0, 1),
        &sock_ops_ctx(4),
        sockmap(MapType::SockMap),
    );
    assert_eq!(r0, neg(errno::EEXIST));
}

#[test]
fn select_reuseport_picks_a_present_socket() {
    let select = |key: u32| {
        program(
            &call_with(
                &format!("    stw [%r10-4], {key}\n    lddw %r2, 0x0ead0000\n    mov %r3, %r10\n    add %r3, -4\n    mov %r4, 0"),
                82,
            ),
            1,
        )
    };
    let ctx = Input::Buffer(vec![0u8; 64]);
    let (r0, m) = run_both(&select(0), &ctx, sockmap(MapType::ReuseportSockarray));
    assert_eq!(r0, 0);
    assert_eq!(m.env.redirects.len(), 1);
    let (r0, _) = run_both(&select(3), &ctx, sockmap(MapType::ReuseportSockarray));
    assert_eq!(r0, neg(errno::ENOENT));
    // A sockmap's socket is in no reuseport group: EINVAL.
    let (r0, _) = run_both(&select(0), &ctx, sockmap(MapType::SockMap));
    assert_eq!(r0, neg(errno::EINVAL));
}

/// `sk = lookup(sockmap, &slot)`; `r = sk_assign(ctx, sk, 0)`; `sk_release(sk)`; return r
/// (or 1000 without a socket).
const SK_LOOKUP_ASSIGN: &str = "
    mov %r6, %r1
    lddw %r1, 0x0ead0000
    mov %r2, %r10
    add %r2, -4
    call 1
    jeq %r0, 0, none
    mov %r7, %r0
    ldxw %r8, [%r0+72]
    mov %r1, %r6
    mov %r2, %r7
    mov %r3, 0
    call 124
    mov %r6, %r0
    mov %r1, %r7
    call 86
    lsh %r8, 32
    mov %r0, %r6
    lsh %r0, 32
    rsh %r0, 32
    or %r0, %r8
    exit
none:
    mov %r0, 1000
    exit
";

#[test]
fn sockmap_lookup_yields_a_socket_for_sk_assign() {
    let ctx = Input::Buffer(vec![0u8; 96]);
    let with_slot =
        |slot: u32| program(&format!("    stw [%r10-4], {slot}\n{SK_LOOKUP_ASSIGN}"), 1);
    // Slot 1 listens (state TCP_LISTEN = 10): sk_lookup's assign accepts it.
    let (r0, _) = run_both(&with_slot(1), &ctx, sockmap(MapType::SockMap));
    assert_eq!(r0, 10 << 32);
    // Slot 0 is established (TCP_ESTABLISHED = 1): ESOCKTNOSUPPORT (94).
    let (r0, _) = run_both(&with_slot(0), &ctx, sockmap(MapType::SockMap));
    assert_eq!(r0, 1 << 32 | u64::from((-94i32) as u32));
    let (r0, _) = run_both(&with_slot(3), &ctx, sockmap(MapType::SockMap));
    assert_eq!(r0, 1000);
}

// ---- socket storage (net/core/bpf_sk_storage.c) ----

/// `p = sk_storage_get(map, 0x5000, NULL, F_CREATE)`; `*p += 3`; again without F_CREATE;
/// return `*p` from the second, then `sk_storage_delete` twice (0, then -ENOENT) in the high
/// words.
const SK_STORAGE: &str = "
    lddw %r1, 0x0ead0000
    mov %r2, 0x5000
    mov %r3, 0
    mov %r4, 1
    call 107
    jeq %r0, 0, none
    ldxdw %r1, [%r0]
    add %r1, 3
    stxdw [%r0], %r1
    lddw %r1, 0x0ead0000
    mov %r2, 0x5000
    mov %r3, 0
    mov %r4, 0
    call 107
    jeq %r0, 0, none
    ldxdw %r6, [%r0]
    lddw %r1, 0x0ead0000
    mov %r2, 0x5000
    call 108
    mov %r7, %r0
    lddw %r1, 0x0ead0000
    mov %r2, 0x5000
    call 108
    lsh %r0, 48
    lsh %r7, 32
    or %r0, %r7
    or %r0, %r6
    exit
none:
    mov %r0, 1000
    exit
";

#[test]
fn sk_storage_get_creates_and_delete_removes() {
    let setup = |m: &mut Machine| {
        let mut def = MapDef::new(MapType::SkStorage, 4, 8, 0);
        def.flags = 1; // BPF_F_NO_PREALLOC
        m.create_map(def).unwrap();
    };
    let (r0, m) = run_both(&program(SK_STORAGE, 1), &Input::None, setup);
    // *p == 3; the first delete 0; the second -ENOENT (low 16 bits 0xfffe).
    assert_eq!(r0, 0xfffe_u64 << 48 | 3);
    assert_eq!(m.map(MapId(0)).unwrap().slot_count(), 0);
    // A NULL socket gets NULL.
    let null = program(
        &call_with(
            "    lddw %r1, 0x0ead0000\n    mov %r2, 0\n    mov %r3, 0\n    mov %r4, 1",
            107,
        ),
        1,
    );
    assert_eq!(run_both(&null, &Input::None, setup).0, 0);
}

// ---- cgroup arrays (`current_task_under_cgroup`) ----

#[test]
fn current_task_under_cgroup() {
    let setup = |m: &mut Machine| {
        let id = m
            .create_map(MapDef::new(MapType::CgroupArray, 4, 4, 4))
            .unwrap();
        assert_eq!(
            m.map_update(id, &0u32.to_le_bytes(), &4242u32.to_le_bytes(), 0),
            0
        );
        assert_eq!(
            m.map_update(id, &1u32.to_le_bytes(), &777u32.to_le_bytes(), 0),
            0
        );
    };
    let under = |idx: u32| {
        program(
            &call_with(&format!("    lddw %r1, 0x0ead0000\n    mov %r2, {idx}"), 37),
            1,
        )
    };
    // The current task is in cgroup 4242 (child of the root, 1): under slot 0, not slot 1;
    // slot 2 is empty (EAGAIN), 9 is past the array (E2BIG).
    assert_eq!(run_both(&under(0), &Input::None, setup).0, 1);
    assert_eq!(run_both(&under(1), &Input::None, setup).0, 0);
    assert_eq!(
        run_both(&under(2), &Input::None, setup).0,
        neg(errno::EAGAIN)
    );
    assert_eq!(
        run_both(&under(9), &Input::None, setup).0,
        neg(errno::E2BIG)
    );
}

// ---- stack traces (kernel/bpf/stackmap.c) ----

#[test]
fn get_stackid_is_stable_and_stores_the_trace() {
    let setup = |m: &mut Machine| {
        m.create_map(MapDef::new(MapType::StackTrace, 4, 32, 16))
            .unwrap();
    };
    let stackid = |flags: u64| {
        format!("    mov %r1, 0\n    lddw %r2, 0x0ead0000\n    mov %r3, {flags}\n    call 27\n")
    };
    // Two calls give the same id: returned as (id << 32 | id).
    let prog = program(
        &format!(
            "{}    mov %r6, %r0\n{}    lsh %r6, 32\n    or %r0, %r6\n    exit\n",
            stackid(0),
            stackid(0)
        ),
        1,
    );
    let (r0, mut m) = run_both(&prog, &Input::None, setup);
    let id = r0 & 0xffff_ffff;
    assert_eq!(r0 >> 32, id);
    assert!(id < 16);
    let mut want = Vec::new();
    for ip in m.env.system.kernel_stack.clone() {
        want.extend(ip.to_le_bytes());
    }
    want.resize(32, 0);
    assert_eq!(
        m.map_lookup(MapId(0), &(id as u32).to_le_bytes()),
        Some(want)
    );
    // Skipping all 3 frames leaves nothing: EFAULT; an unknown flag is EINVAL.
    let once = |flags| program(&format!("{}    exit\n", stackid(flags)), 1);
    assert_eq!(
        run_both(&once(3), &Input::None, setup).0,
        neg(errno::EFAULT)
    );
    assert_eq!(
        run_both(&once(1 << 12), &Input::None, setup).0,
        neg(errno::EINVAL)
    );
}

#[test]
fn get_stack_copies_addresses_and_zeroes_the_rest() {
    // get_stack(ctx, buf = r10-32, 32, skip 1 | BPF_F_USER_STACK): the user stack has two
    // frames, so one address (8 bytes) after the skip; the rest zeroed.
    let prog = program(
        "    stdw [%r10-24], -1
    mov %r1, 0
    mov %r2, %r10
    add %r2, -32
    mov %r3, 32
    mov %r4, 0x101
    call 67
    ldxdw %r1, [%r10-32]
    ldxdw %r2, [%r10-24]
    add %r0, %r2
    lsh %r0, 48
    or %r0, %r1
    exit
",
        0,
    );
    let (r0, m) = run_both(&prog, &Input::None, |_| {});
    assert_eq!(r0 >> 48, 8);
    assert_eq!(r0 & 0xffff_ffff_ffff, m.env.system.user_stack[1]);
}

#[test]
fn an_object_map_of_maps_holds_only_compatible_maps() {
    use bpfvet_analyzer::program::MapType as ObjMapType;
    // Object maps: a 4-slot array of maps whose inner definition is hash(4, 8, 64), a
    // compatible hash, and an incompatible array.
    let mut outer = obj_def(12, 4, 4, 4);
    outer.inner = Some(Box::new(obj_def(1, 4, 8, 64)));
    let defs = vec![outer, obj_def(1, 4, 8, 64), obj_def(2, 4, 8, 64)];
    let mut m = Machine::new();
    let ids = bpfvet_runtime::load::instantiate(&mut m, &defs, &[]).unwrap();
    assert_eq!(ids, vec![MapId(0), MapId(1), MapId(2)]);
    // One inner map is created after the object's maps, like the inner definition.
    let created = m.map(MapId(3)).unwrap().def;
    assert_eq!((created.map_type, created.value_size), (MapType::Hash, 8));
    assert_eq!(
        bpfvet_runtime::maps::of_maps::inner_candidates(&defs, 0),
        vec![1, 3]
    );
    let slot = |m: &mut Machine, id: u32| {
        m.map_update(MapId(0), &0u32.to_le_bytes(), &id.to_le_bytes(), 0)
    };
    assert_eq!(slot(&mut m, 1), 0);
    assert_eq!(slot(&mut m, 3), 0);
    assert_eq!(slot(&mut m, 2), -errno::EINVAL);
    assert_eq!(slot(&mut m, 99), -errno::EINVAL);
    assert_eq!(defs[0].map_type, ObjMapType::ARRAY_OF_MAPS);
}

// ---- cgroup storage (`get_local_storage`: zeroed per run, the same value on every call) and
// empty xskmaps (no AF_XDP socket offline: NULL lookups, the fallback action on redirect) ----

/// Reads the storage (0 at first), stores 7, gets the storage again and reads it: returns
/// first * 100 + second.
const STORAGE: &str = "
    lddw %r1, 0x0ead0000
    mov %r2, 0
    call 81
    ldxw %r6, [%r0+0]
    stw [%r0+0], 7
    lddw %r1, 0x0ead0000
    mov %r2, 0
    call 81
    ldxw %r0, [%r0+0]
    mul %r6, 100
    add %r0, %r6
    exit
";

fn storage(t: MapType) -> impl Fn(&mut Machine) {
    move |m: &mut Machine| {
        m.create_map(MapDef::new(t, 16, 64, 0)).unwrap();
    }
}

#[test]
fn local_storage_starts_zeroed_and_is_the_same_on_every_call() {
    for t in [MapType::CgroupStorage, MapType::PercpuCgroupStorage] {
        let (r0, _) = run_both(&program(STORAGE, 1), &Input::None, storage(t));
        assert_eq!(r0, 7, "{t:?}");
    }
}

#[test]
fn cgroup_storage_definitions_are_checked() {
    let mut m = Machine::new();
    // max_entries must be 0; the key is a cgroup id (8 bytes) or id and attach type (16).
    assert!(m
        .create_map(MapDef::new(MapType::CgroupStorage, 16, 64, 1))
        .is_err());
    assert!(m
        .create_map(MapDef::new(MapType::CgroupStorage, 4, 64, 0))
        .is_err());
}

fn xskmap(m: &mut Machine) {
    m.create_map(MapDef::new(MapType::XskMap, 4, 4, 4)).unwrap();
}

#[test]
fn an_empty_xskmap_slot_is_null_and_redirects_to_the_fallback() {
    let lookup = "
    stw [%r10-4], 0
    lddw %r1, 0x0ead0000
    mov %r2, %r10
    add %r2, -4
    call 1
    exit
";
    let (r0, _) = run_both(&program(lookup, 1), &Input::xdp(&[0u8; 64]), xskmap);
    assert_eq!(r0, 0);
    // redirect_map(xsks, 0, XDP_PASS): no socket, so XDP_PASS (2), nothing recorded.
    let redirect = call_with(
        "    lddw %r1, 0x0ead0000\n    mov %r2, 0\n    mov %r3, 2",
        51,
    );
    let (r0, m) = run_both(&program(&redirect, 1), &Input::xdp(&[0u8; 64]), xskmap);
    assert_eq!(r0, 2);
    assert!(m.env.redirects.is_empty());
}
