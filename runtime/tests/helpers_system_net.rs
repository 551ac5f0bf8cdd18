//! The system, tracing, socket and network helpers (clock, ring buffer queries, printk and
//! snprintf formatting, sysctl, skb and sock_ops helpers, checksums, VLAN, tunnel keys), through
//! the helper ABI of the interpreter and the checked JIT, which must agree. Expected values are
//! the kernel's documented and implemented returns (cited at each test), worked out by hand.

#[path = "support/agree.rs"]
mod agree;
mod support;

use agree::{call_with, neg, program, run_both, sock_ops_ctx};
use bpfvet_runtime::jit;
use bpfvet_runtime::maps::{errno, MapDef, MapType};
use bpfvet_runtime::{interp, Input, Machine, Program};

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
fn change_head_pushes_a_zeroed_mac_header_and_csum_update_needs_a_complete_checksum() {
    // `bpf_skb_change_head(skb, 4, 0)` on a 6-byte packet: 0; the packet is 4 zero bytes
    // longer in front and `len` follows (r0 = ret << 32 | len). Flags, or a length past
    // BPF_SKB_MAX_LEN (16064), are EINVAL (`__bpf_skb_change_head`).
    let p = [1u8, 2, 3, 4, 5, 6];
    let change_head = |room: u32, flags: u32| {
        format!(
            "    mov %r6, %r1
    mov %r2, {room}
    mov %r3, {flags}
    call 43
    lsh %r0, 32
    ldxw %r1, [%r6+0]
    or %r0, %r1
    exit
"
        )
    };
    let (r0, _) = run_both(&program(&change_head(4, 0), 0), &Input::skb(&p), |_| {});
    assert_eq!(r0, 10);
    let r = interp::run(
        &mut Machine::new(),
        &program(&change_head(4, 0), 0),
        &Input::skb(&p),
    )
    .unwrap();
    assert_eq!(r.packet.unwrap(), [0, 0, 0, 0, 1, 2, 3, 4, 5, 6]);
    let einval = neg(errno::EINVAL) << 32 | 6;
    let (r0, _) = run_both(&program(&change_head(4, 1), 0), &Input::skb(&p), |_| {});
    assert_eq!(r0, einval);
    let (r0, _) = run_both(&program(&change_head(16059, 0), 0), &Input::skb(&p), |_| {});
    assert_eq!(r0, einval);
    // `bpf_csum_update` folds into `skb->csum` only under CHECKSUM_COMPLETE; a test run's
    // packet is CHECKSUM_NONE: -ENOTSUPP (524).
    let (r0, _) = run_both(
        &program(&call_with("    mov %r2, 0", 40), 0),
        &Input::skb(&p),
        |_| {},
    );
    assert_eq!(r0, neg(524));
}
