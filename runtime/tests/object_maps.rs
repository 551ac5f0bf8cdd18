//! Maps whose values name kernel objects (maps of maps, device/CPU/socket maps, reuseport
//! arrays, cgroup arrays, stack traces, socket storage), the bloom filter, and the system and
//! network helpers, through the helper ABI of the interpreter and the checked JIT, which must
//! agree. Expected values are the kernel's documented and implemented returns (cited at each
//! test), worked out by hand.

mod support;

use bpfvet_runtime::helpers::socket_id;
use bpfvet_runtime::jit;
use bpfvet_runtime::maps::{errno, MapDef, MapId, MapType};
use bpfvet_runtime::Redirect;
use bpfvet_runtime::{interp, Fault, Input, Machine, Program, RunResult};

/// Assembles `src` with references to maps `0..n_maps` (see [`support::assemble_with_refs`]).
fn program(src: &str, n_maps: u32) -> Program {
    Program::with_maps(
        support::assemble_with_refs(src),
        (0..n_maps).map(MapId).collect(),
    )
}

/// Runs `prog` on the interpreter and the checked JIT, each on a machine built by `setup`;
/// checks that `r0`, the redirects and the map contents agree; returns `r0` and the
/// interpreter's machine.
fn run_both(prog: &Program, input: &Input, setup: impl Fn(&mut Machine)) -> (u64, Machine) {
    let mut mi = Machine::new();
    setup(&mut mi);
    let ri: Result<RunResult, Fault> = interp::run(&mut mi, prog, input);
    let mut mj = Machine::new();
    setup(&mut mj);
    let rj = jit::compile_checked(prog)
        .expect("compiles")
        .run(&mut mj, input);
    let ri = ri.expect("interpreter runs");
    let rj = rj.expect("checked JIT runs");
    assert_eq!(ri.r0, rj.r0, "interp vs checked jit");
    assert_eq!(mi.env.redirects, mj.env.redirects);
    for i in 0..mi.maps_len() {
        let (a, b) = (mi.map(MapId(i)).unwrap(), mj.map(MapId(i)).unwrap());
        let bytes = |m: &mut Machine, entries: Vec<(Vec<u8>, u64)>, n| {
            entries
                .into_iter()
                .map(|(k, addr)| (k, m.mem.peek_bytes(addr, n)))
                .collect::<Vec<_>>()
        };
        let (ea, eb) = (a.entries(), b.entries());
        let n = a.def.value_size as usize;
        assert_eq!(bytes(&mut mi, ea, n), bytes(&mut mj, eb, n), "map {i}");
    }
    (ri.r0, mi)
}

fn neg(e: i64) -> u64 {
    (-e) as u64
}

/// Calls helper `id` with `r1 = map 0` and `r2..r4` as given (registers set by `setup_regs`
/// assembly), returning `r0`.
fn call_with(regs: &str, id: i32) -> String {
    format!("{regs}\n    call {id}\n    exit\n")
}

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

fn sock_ops_ctx(op: u32) -> Input {
    let mut ctx = vec![0u8; 224];
    ctx[..4].copy_from_slice(&op.to_le_bytes());
    Input::Buffer(ctx)
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

// ---- system helpers ----

#[test]
fn system_helpers_report_the_configured_system() {
    let one = |id: i32, setup: &str| program(&call_with(setup, id), 0);
    let run = |p: &Program| run_both(p, &Input::None, |_| {}).0;
    let sys = bpfvet_runtime::helpers::System::default();
    assert_eq!(run(&one(80, "")), *sys.cgroup_path.last().unwrap());
    assert_eq!(run(&one(123, "    mov %r1, 0")), 1);
    assert_eq!(run(&one(123, "    mov %r1, 7")), 0);
    assert_eq!(run(&one(35, "")), sys.task);
    assert_eq!(run(&one(158, "")), sys.task);
    assert_eq!(run(&one(173, "    mov %r1, 0")), sys.func_ip);
    // send_signal: signals up to 64 are sent (recorded), others EINVAL.
    let (r0, m) = run_both(&one(109, "    mov %r1, 9"), &Input::None, |_| {});
    assert_eq!((r0, m.env.system.signals.clone()), (0, vec![9]));
    assert_eq!(run(&one(109, "    mov %r1, 65")), neg(errno::EINVAL));
}

#[test]
fn ringbuf_query_reports_positions() {
    // Reserve 8 bytes (16 with the header) and submit; then query avail (0), size (1),
    // producer position (3) and an unknown flag (9).
    let query = |flag: u32| {
        format!("    lddw %r1, 0x0ead0000\n    mov %r2, {flag}\n    call 134\n    stxdw [%r10-{}], %r0\n", 8 * (flag + 1))
    };
    let src = format!(
        "    lddw %r1, 0x0ead0000
    mov %r2, 8
    mov %r3, 0
    call 131
    jeq %r0, 0, out
    mov %r1, %r0
    mov %r2, 0
    call 132
{}{}{}    lddw %r1, 0x0ead0000
    mov %r2, 9
    call 134
    ldxdw %r1, [%r10-8]
    ldxdw %r2, [%r10-16]
    ldxdw %r3, [%r10-32]
    lsh %r1, 16
    lsh %r2, 32
    lsh %r3, 48
    or %r0, %r1
    or %r0, %r2
    or %r0, %r3
out:
    exit
",
        query(0),
        query(1),
        query(3)
    );
    let setup = |m: &mut Machine| {
        m.create_map(MapDef::new(MapType::Ringbuf, 0, 0, 4096))
            .unwrap();
    };
    let (r0, _) = run_both(&program(&src, 1), &Input::None, setup);
    assert_eq!(r0, 16 << 48 | 4096 << 32 | 16 << 16);
}

#[test]
fn trace_vprintk_formats_an_argument_array() {
    // fmt "%d-%u" at r10-8, args {-5, 7} at r10-24.
    let prog = program(
        "    stb [%r10-8], 0x25
    stb [%r10-7], 0x64
    stb [%r10-6], 0x2d
    stb [%r10-5], 0x25
    stb [%r10-4], 0x75
    stb [%r10-3], 0
    stdw [%r10-24], -5
    stdw [%r10-16], 7
    mov %r1, %r10
    add %r1, -8
    mov %r2, 6
    mov %r3, %r10
    add %r3, -24
    mov %r4, 16
    call 177
    exit
",
        0,
    );
    let (r0, m) = run_both(&prog, &Input::None, |_| {});
    assert_eq!(m.env.trace, vec!["-5-7".to_string()]);
    assert_eq!(r0, 4);
}

#[test]
fn sysctl_get_name_copies_with_strscpy_rules() {
    // get_name(ctx, buf, 8, flags): the full name "net/ipv4/tcp_mem" does not fit (E2BIG, 7
    // bytes and a NUL copied); the base name "tcp_mem" does (7).
    let get = |flags: u32| {
        program(
            &format!(
                "    mov %r2, %r10\n    add %r2, -8\n    mov %r3, 8\n    mov %r4, {flags}\n    call 101\n    lsh %r0, 32\n    rsh %r0, 32\n    ldxb %r1, [%r10-2]\n    lsh %r1, 32\n    or %r0, %r1\n    exit\n"
            ),
            0,
        )
    };
    let ctx = Input::Buffer(vec![0u8; 8]);
    // The byte read back is the buffer's 7th: 'v' of "net/ipv", 'm' of "tcp_mem".
    let (r0, _) = run_both(&get(0), &ctx, |_| {});
    assert_eq!(
        r0,
        u64::from(b'v') << 32 | u64::from((-errno::E2BIG) as u32)
    );
    let (r0, _) = run_both(&get(1), &ctx, |_| {});
    assert_eq!(r0, u64::from(b'm') << 32 | 7);
    // An unknown flag: EINVAL, the buffer untouched.
    let (r0, _) = run_both(&get(2), &ctx, |_| {});
    assert_eq!(r0, u64::from((-errno::EINVAL) as u32));
}

#[test]
fn skb_helpers_follow_the_context() {
    let skb = |hash: u32| {
        let mut input = Input::skb(&[1u8; 40]);
        if let Input::Context { ctx, .. } = &mut input {
            ctx[68..72].copy_from_slice(&hash.to_le_bytes());
        }
        input
    };
    let one = |id: i32| program(&call_with("", id), 0);
    // get_hash_recalc: the context's hash when set, else ours of the packet (never 0).
    assert_eq!(run_both(&one(34), &skb(0x1234), |_| {}).0, 0x1234);
    assert_ne!(run_both(&one(34), &skb(0), |_| {}).0, 0);
    // get_socket_cookie: an skb without a socket has cookie 0.
    assert_eq!(run_both(&one(46), &skb(0), |_| {}).0, 0);
}

#[test]
fn fib_lookup_checks_arguments_then_finds_no_route() {
    // params at r10-64: family at byte 0, ifindex at byte 8.
    let fib = |family: u32, ifindex: u32, plen: u32, flags: u32| {
        program(
            &format!(
                "    stdw [%r10-64], 0\n    stb [%r10-64], {family}\n    stw [%r10-56], {ifindex}\n    mov %r2, %r10\n    add %r2, -64\n    mov %r3, {plen}\n    mov %r4, {flags}\n    call 69\n    exit\n"
            ),
            0,
        )
    };
    let xdp = Input::xdp(&[0u8; 64]);
    let run = |p: &Program| run_both(p, &xdp, |_| {}).0;
    assert_eq!(run(&fib(2, 1, 32, 0)), neg(errno::EINVAL));
    assert_eq!(run(&fib(2, 1, 64, 0x40)), neg(errno::EINVAL));
    assert_eq!(run(&fib(7, 1, 64, 0)), neg(errno::EAFNOSUPPORT));
    assert_eq!(run(&fib(2, 99, 64, 0)), neg(errno::ENODEV));
    // BPF_FIB_LKUP_RET_FWD_DISABLED (5) with forwarding off, NOT_FWDED (4) with it on.
    assert_eq!(run(&fib(2, 1, 64, 0)), 5);
    let (r0, _) = run_both(&fib(10, 2, 64, 0), &xdp, |m| m.env.system.ip_forward = true);
    assert_eq!(r0, 4);
}

#[test]
fn sock_ops_header_option_helpers_check_the_callback() {
    let call = |id: i32, args: &str| program(&call_with(args, id), 0);
    let run = |p: &Program, op: u32| run_both(p, &sock_ops_ctx(op), |_| {}).0;
    // reserve_hdr_opt only in HDR_OPT_LEN_CB (14): 4 bytes fit, 40 do not, 1 is too short.
    let reserve = |len: u32| call(144, &format!("    mov %r2, {len}\n    mov %r3, 0"));
    assert_eq!(run(&reserve(4), 14), 0);
    assert_eq!(run(&reserve(40), 14), neg(errno::ENOSPC));
    assert_eq!(run(&reserve(1), 14), neg(errno::EINVAL));
    assert_eq!(run(&reserve(4), 15), neg(errno::EPERM));
    // load_hdr_opt: a NOP kind is EINVAL; a plain kind with a length EINVAL; a valid search
    // without the packet EPERM.
    let load = |kind: u32, klen: u32| {
        call(
            142,
            &format!("    stb [%r10-8], {kind}\n    stb [%r10-7], {klen}\n    mov %r2, %r10\n    add %r2, -8\n    mov %r3, 8\n    mov %r4, 0"),
        )
    };
    assert_eq!(run(&load(1, 0), 13), neg(errno::EINVAL));
    assert_eq!(run(&load(30, 4), 13), neg(errno::EINVAL));
    assert_eq!(run(&load(254, 4), 13), neg(errno::EPERM));
    // sock_ops_cb_flags_set: EINVAL on a request socket (is_fullsock 0), else the unknown
    // flags (0x80 of 0x81).
    let set = call(59, "    mov %r2, 0x81");
    assert_eq!(run(&set, 4), neg(errno::EINVAL));
    let mut ctx = vec![0u8; 224];
    ctx[..4].copy_from_slice(&4u32.to_le_bytes());
    ctx[72..76].copy_from_slice(&1u32.to_le_bytes());
    assert_eq!(run_both(&set, &Input::Buffer(ctx), |_| {}).0, 0x80);
}

#[test]
fn strtol_and_jiffies() {
    // strtol("  -42", 5, base 0, &res at r10-16): all 5 characters consumed, res = -42.
    let prog = program(
        "    stw [%r10-8], 0x342d2020
    stb [%r10-4], 0x32
    mov %r1, %r10
    add %r1, -8
    mov %r2, 5
    mov %r3, 0
    mov %r4, %r10
    add %r4, -16
    call 105
    ldxdw %r1, [%r10-16]
    lsh %r0, 32
    lsh %r1, 32
    rsh %r1, 32
    or %r0, %r1
    exit
",
        0,
    );
    let (r0, _) = run_both(&prog, &Input::None, |_| {});
    assert_eq!(r0, 5 << 32 | u64::from((-42i32) as u32));
    // strtoul of the same string: a minus sign is EINVAL.
    let prog = program(
        "    stw [%r10-8], 0x342d2020
    mov %r1, %r10
    add %r1, -8
    mov %r2, 4
    mov %r3, 0
    mov %r4, %r10
    add %r4, -16
    call 106
    exit
",
        0,
    );
    assert_eq!(run_both(&prog, &Input::None, |_| {}).0, neg(errno::EINVAL));
    // jiffies64 at the default 1000 Hz: the clock (1 s) in milliseconds.
    let (r0, _) = run_both(
        &program("    call 118\n    exit\n", 0),
        &Input::None,
        |_| {},
    );
    assert_eq!(r0, 1000);
}

#[test]
fn seq_printf_appends_to_the_seq_output() {
    // seq_printf(seq, "n=%u\n", 6, {7}, 8).
    let prog = program(
        "    stw [%r10-8], 0x75253d6e
    stb [%r10-4], 0x0a
    stb [%r10-3], 0
    stdw [%r10-16], 7
    mov %r1, 0
    mov %r2, %r10
    add %r2, -8
    mov %r3, 6
    mov %r4, %r10
    add %r4, -16
    mov %r5, 8
    call 126
    exit
",
        0,
    );
    let (r0, m) = run_both(&prog, &Input::None, |_| {});
    assert_eq!(r0, 0);
    assert_eq!(m.env.system.seq_output, b"n=7\n".to_vec());
}

#[test]
fn skb_ecn_set_ce_marks_ect_packets() {
    // Ethernet + IPv4 with a valid header checksum, TOS ECN field as given.
    let packet = |ecn: u8| {
        let mut p = vec![0u8; 14 + 20];
        p[12..14].copy_from_slice(&0x0800u16.to_be_bytes());
        let ip = &mut p[14..];
        ip[0] = 0x45;
        ip[1] = ecn;
        ip[2..4].copy_from_slice(&20u16.to_be_bytes());
        ip[8] = 64;
        ip[9] = 6;
        let mut sum: u32 = ip
            .chunks(2)
            .map(|c| u32::from(u16::from_be_bytes([c[0], c[1]])))
            .sum();
        while sum > 0xffff {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        let c = !(sum as u16);
        ip[10..12].copy_from_slice(&c.to_be_bytes());
        p
    };
    let prog = program("    call 97\n    exit\n", 0);
    let mut m = Machine::new();
    // ECT(0) (2): marked CE (3), checksum still valid.
    let r = interp::run(&mut m, &prog, &Input::skb(&packet(2))).unwrap();
    assert_eq!(r.r0, 1);
    let out = r.packet.unwrap();
    assert_eq!(out[15], 3);
    let sum: u32 = out[14..34]
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], c[1]])))
        .sum();
    assert_eq!(
        (sum & 0xffff) + (sum >> 16),
        0xffff,
        "the header checksum verifies"
    );
    let jit = jit::compile_checked(&prog).unwrap();
    let rj = jit
        .run(&mut Machine::new(), &Input::skb(&packet(2)))
        .unwrap();
    assert_eq!(rj.packet.unwrap(), out);
    // Not ECN-capable (0): untouched, 0; already CE (3): 1.
    assert_eq!(run_both(&prog, &Input::skb(&packet(0)), |_| {}).0, 0);
    assert_eq!(run_both(&prog, &Input::skb(&packet(3)), |_| {}).0, 1);
}

#[test]
fn snprintf_truncates_and_returns_the_full_length() {
    // snprintf(buf = r10-8, 4, "n=%u", {1234}, 8): "n=1234" needs 7 bytes with the NUL; "n=1"
    // and a NUL are written. The format must be NUL-terminated: "n=%u\0" at r10-16.
    let prog = program(
        "    stw [%r10-16], 0x75253d6e
    stb [%r10-12], 0
    stdw [%r10-24], 1234
    mov %r1, %r10
    add %r1, -8
    mov %r2, 4
    mov %r3, %r10
    add %r3, -16
    mov %r4, %r10
    add %r4, -24
    mov %r5, 8
    call 165
    ldxw %r1, [%r10-8]
    lsh %r1, 32
    or %r0, %r1
    exit
",
        0,
    );
    let (r0, _) = run_both(&prog, &Input::None, |_| {});
    assert_eq!(r0 & 0xffff_ffff, 7);
    assert_eq!((r0 >> 32) as u32, u32::from_le_bytes(*b"n=1\0"));
}

#[test]
fn msg_pull_data_narrows_the_window() {
    // msg_pull_data(msg, 2, 6, 0) on a 10-byte message: data..data_end is bytes 2..6.
    let pull = |start: u32, end: u32, flags: u32| {
        program(
            &call_with(
                &format!("    mov %r2, {start}\n    mov %r3, {end}\n    mov %r4, {flags}"),
                63,
            ),
            0,
        )
    };
    let msg = Input::xdp(&[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    let (r0, m) = run_both(&pull(2, 6, 0), &msg, |_| {});
    assert_eq!(r0, 0);
    let (_, data, end) = m.mem.packet_bounds().unwrap();
    assert_eq!(end - data, 4);
    // Flags, an empty range, a start or an end past the message: EINVAL.
    for (s, e, f) in [(2, 6, 1), (6, 6, 0), (10, 12, 0), (2, 11, 0)] {
        assert_eq!(run_both(&pull(s, e, f), &msg, |_| {}).0, neg(errno::EINVAL));
    }
    assert_eq!(
        run_both(
            &program("    mov %r2, 100\n    call 61\n    exit\n", 0),
            &msg,
            |_| {}
        )
        .0,
        0
    );
}

#[test]
fn probe_write_user_writes_only_mapped_user_memory() {
    // probe_write_user(0x7000_0004, &0x11223344, 4), and one past the mapping.
    let write = |dst: u64| {
        program(
            &format!(
                "    stw [%r10-4], 0x11223344\n    lddw %r1, {dst:#x}\n    mov %r2, %r10\n    add %r2, -4\n    mov %r3, 4\n    call 36\n    exit\n"
            ),
            0,
        )
    };
    let setup = |m: &mut Machine| {
        m.env.probe_memory.insert(0x7000_0000, vec![0; 8]);
    };
    let (r0, m) = run_both(&write(0x7000_0004), &Input::None, setup);
    assert_eq!(r0, 0);
    assert_eq!(
        m.env.probe_memory[&0x7000_0000][4..],
        [0x44, 0x33, 0x22, 0x11]
    );
    assert_eq!(
        run_both(&write(0x7000_0006), &Input::None, setup).0,
        neg(errno::EFAULT)
    );
}

#[test]
fn l3_csum_replace_keeps_the_header_checksum_valid() {
    // An IPv4 header (at packet offset 14) whose source address 192.168.0.1 becomes
    // 10.0.0.1: the program stores the new address and fixes the checksum with a 4-byte
    // replace (flags 4), as a NAT does.
    let mut p = vec![0u8; 14 + 20];
    p[12..14].copy_from_slice(&0x0800u16.to_be_bytes());
    let hdr = [
        0x45u8, 0, 0, 20, 0, 0, 0x40, 0, 64, 6, 0, 0, 192, 168, 0, 1, 8, 8, 8, 8,
    ];
    p[14..34].copy_from_slice(&hdr);
    let sum = |b: &[u8]| {
        let mut s: u32 = b
            .chunks(2)
            .map(|c| u32::from(u16::from_be_bytes([c[0], c[1]])))
            .sum();
        while s > 0xffff {
            s = (s & 0xffff) + (s >> 16);
        }
        s as u16
    };
    let c = !sum(&p[14..34]);
    p[24..26].copy_from_slice(&c.to_be_bytes());
    let prog = program(
        "    mov %r6, %r1
    ldxw %r2, [%r1+76]
    ldxw %r3, [%r1+80]
    mov %r4, %r2
    add %r4, 34
    jgt %r4, %r3, out
    ldxw %r7, [%r2+26]
    mov %r8, 0x0100000a
    stxw [%r2+26], %r8
    mov %r1, %r6
    mov %r2, 24
    mov %r3, %r7
    mov %r4, %r8
    mov %r5, 4
    call 10
out:
    exit
",
        0,
    );
    let (r0, _) = run_both(&prog, &Input::skb(&p), |_| {});
    assert_eq!(r0, 0);
    let out = interp::run(&mut Machine::new(), &prog, &Input::skb(&p))
        .unwrap()
        .packet
        .unwrap();
    assert_eq!(out[26..30], [10, 0, 0, 1]);
    assert_eq!(sum(&out[14..34]), 0xffff, "the checksum verifies");
    // An odd offset is EFAULT; a field past the packet EFAULT; a bad size EINVAL.
    let call = |off: u32, flags: u32| {
        program(
            &call_with(
                &format!(
                    "    mov %r2, {off}\n    mov %r3, 0\n    mov %r4, 0\n    mov %r5, {flags}"
                ),
                10,
            ),
            0,
        )
    };
    assert_eq!(
        run_both(&call(25, 2), &Input::skb(&p), |_| {}).0,
        neg(errno::EFAULT)
    );
    assert_eq!(
        run_both(&call(34, 2), &Input::skb(&p), |_| {}).0,
        neg(errno::EFAULT)
    );
    assert_eq!(
        run_both(&call(24, 3), &Input::skb(&p), |_| {}).0,
        neg(errno::EINVAL)
    );
}

#[test]
fn skb_pull_data_and_socket_lookups() {
    let skb = Input::skb(&[0u8; 40]);
    let pull = |len: u32| program(&call_with(&format!("    mov %r2, {len}"), 39), 0);
    assert_eq!(run_both(&pull(40), &skb, |_| {}).0, 0);
    assert_eq!(run_both(&pull(41), &skb, |_| {}).0, neg(12));
    // No sockets offline: the lookup finds none.
    let lookup = program(
        &call_with("    stdw [%r10-16], 0\n    stw [%r10-8], 0\n    mov %r2, %r10\n    add %r2, -16\n    mov %r3, 12\n    mov %r4, -1\n    mov %r5, 0", 84),
        0,
    );
    assert_eq!(run_both(&lookup, &skb, |_| {}).0, 0);
}

#[test]
fn vlan_push_and_pop_move_tags_between_the_offload_and_the_packet() {
    // Untagged IPv4 over Ethernet; ctx.protocol = htons(0x0800) as the kernel sets it.
    let mut p = vec![0u8; 40];
    p[..12].copy_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    p[12..14].copy_from_slice(&0x0800u16.to_be_bytes());
    let input = || {
        let mut i = Input::skb(&p);
        if let Input::Context { ctx, .. } = &mut i {
            ctx[16..20].copy_from_slice(&u32::from(0x0008u16).to_le_bytes());
        }
        i
    };
    // push(0x8100, 5); push(0x8100, 7): r0 = vlan_present << 32 | vlan_tci << 16 | len.
    let two_pushes = "    mov %r6, %r1
    mov %r2, 0x81
    mov %r3, 5
    call 18
    mov %r1, %r6
    mov %r2, 0x81
    mov %r3, 7
    call 18
    ldxw %r0, [%r6+20]
    lsh %r0, 32
    ldxw %r1, [%r6+24]
    lsh %r1, 16
    or %r0, %r1
    ldxw %r1, [%r6+0]
    or %r0, %r1
    exit
";
    let (r0, _) = run_both(&program(two_pushes, 0), &input(), |_| {});
    assert_eq!(r0 >> 16, 1 << 16 | 7);
    let out = interp::run(&mut Machine::new(), &program(two_pushes, 0), &input())
        .unwrap()
        .packet
        .unwrap();
    // The first tag (TCI 5) went into the packet after the MACs.
    assert_eq!(out.len(), 44);
    assert_eq!(out[..12], p[..12]);
    assert_eq!(out[12..18], [0x81, 0x00, 0x00, 0x05, 0x08, 0x00]);
    // push, push, pop, pop: the offloaded tag dropped, the packet tag moved up and dropped.
    let pops = two_pushes.replace(
        "    ldxw %r0, [%r6+20]",
        "    mov %r1, %r6\n    call 19\n    mov %r1, %r6\n    call 19\n    ldxw %r0, [%r6+20]",
    );
    let r = interp::run(&mut Machine::new(), &program(&pops, 0), &input()).unwrap();
    assert_eq!(r.r0 >> 16, 0);
    assert_eq!(r.packet.unwrap(), p);
}

#[test]
fn setsockopt_on_a_sock_ops_socket() {
    // A sock_ops context (224 bytes) in op 4 (ACTIVE_ESTABLISHED_CB), full socket or not.
    let ctx = |fullsock: u32| {
        let mut input = Input::skb(&[0u8; 14]);
        if let Input::Context { ctx, .. } = &mut input {
            let mut c = vec![0u8; 224];
            c[..4].copy_from_slice(&4u32.to_le_bytes());
            c[72..76].copy_from_slice(&fullsock.to_le_bytes());
            *ctx = c;
        }
        input
    };
    let set = |level: u32, name: u32, value: i32, len: u32| {
        program(
            &call_with(
                &format!("    stw [%r10-4], {value}\n    mov %r2, {level}\n    mov %r3, {name}\n    mov %r4, %r10\n    add %r4, -4\n    mov %r5, {len}"),
                49,
            ),
            0,
        )
    };
    let run = |p: &Program, full: u32| run_both(p, &ctx(full), |_| {}).0;
    // SO_SNDBUF and TCP_WINDOW_CLAMP 40000: 0; a window clamp of 0 on a connected socket,
    // a short length, an unknown level: EINVAL; a request socket: EINVAL.
    assert_eq!(run(&set(1, 7, 150_000, 4), 1), 0);
    assert_eq!(run(&set(6, 10, 40_000, 4), 1), 0);
    assert_eq!(run(&set(6, 10, 0, 4), 1), neg(errno::EINVAL));
    assert_eq!(run(&set(1, 7, 1, 2), 1), neg(errno::EINVAL));
    assert_eq!(run(&set(99, 7, 1, 4), 1), neg(errno::EINVAL));
    assert_eq!(run(&set(1, 7, 1, 4), 0), neg(errno::EINVAL));
    // An option not modelled (SOL_IP IP_TOS) is an unsupported-helper fault, not a guess.
    let mut m = Machine::new();
    let e = interp::run(&mut m, &set(0, 1, 0, 4), &ctx(1)).unwrap_err();
    assert!(
        matches!(
            e.kind,
            bpfvet_runtime::FaultKind::UnsupportedHelper { id: 49, .. }
        ),
        "{e}"
    );
}

#[test]
fn skb_set_tunnel_key_checks_the_key() {
    // key at r10-44 (44 bytes, zeroed), size and flags as given.
    let set = |size: u32, flags: u32, label: u32| {
        program(
            &call_with(
                &format!("    stdw [%r10-48], 0\n    stdw [%r10-40], 0\n    stdw [%r10-32], 0\n    stdw [%r10-24], 0\n    stdw [%r10-16], 0\n    stdw [%r10-8], 0\n    stw [%r10-24], {label}\n    mov %r2, %r10\n    add %r2, -48\n    mov %r3, {size}\n    mov %r4, {flags}"),
                21,
            ),
            0,
        )
    };
    let skb = Input::skb(&[0u8; 40]);
    let run = |p: &Program| run_both(p, &skb, |_| {}).0;
    assert_eq!(run(&set(44, 0, 0)), 0);
    // The older layouts (up to local_ipv4, tunnel_label, tunnel_ext, remote_ipv6[1]) too.
    assert_eq!(run(&set(28, 0, 0)), 0);
    assert_eq!(run(&set(8, 0, 0)), 0);
    assert_eq!(run(&set(30, 0, 0)), neg(errno::EINVAL));
    assert_eq!(run(&set(44, 0x20, 0)), neg(errno::EINVAL));
    // A flow label needs BPF_F_TUNINFO_IPV6.
    assert_eq!(run(&set(44, 0, 5)), neg(errno::EINVAL));
    assert_eq!(run(&set(44, 1, 5)), 0);
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
