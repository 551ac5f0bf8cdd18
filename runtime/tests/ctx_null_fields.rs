//! Nullable context pointer fields whose objects the runtime does not model (`__sk_buff.sk`)
//! read as NULL on every engine, whatever bytes the caller put in the context; a program the
//! analyzer accepts must handle NULL there, so this is one of the kernel's own behaviours.

use bpfvet_analyzer::rules::ProgTypeRules;
use bpfvet_analyzer::verifier::env::{Input as VerifyInput, Options};
use bpfvet_analyzer::verifier::verify_program;
use bpfvet_runtime::conformance::asm::assemble;
use bpfvet_runtime::diff::ctx_fields;
use bpfvet_runtime::mem::CtxField;
use bpfvet_runtime::{interp, jit, Input, Machine, Program};

/// `__sk_buff.sk`, a `struct bpf_sock *` the verifier types as `sock_or_null`.
const SK_OFF: usize = 168;

/// Returns 1 when `skb->sk` is NULL, else the socket's `family`.
const READ_SK: &str = "
    ldxdw %r2, [%r1+168]
    mov %r0, 1
    jeq %r2, 0, out
    ldxw %r0, [%r2+4]
out:
    exit
";

#[test]
fn the_socket_of_an_skb_reads_as_null_on_every_engine() {
    let rules = ProgTypeRules::by_name("sched_cls").expect("rules");
    let fields = ctx_fields(rules);
    assert!(
        fields.contains(&(SK_OFF as u32, CtxField::Null)),
        "{fields:?}"
    );
    let insns = assemble(READ_SK).expect("assembles");
    let vin = VerifyInput::bare(&insns, &[], rules, true);
    let verified = verify_program(&vin, &Options::default()).expect("the analyzer accepts it");
    let prog = Program::new(insns.clone());
    // A context whose `sk` bytes hold a wild address.
    let mut ctx = vec![0u8; 192];
    ctx[SK_OFF..SK_OFF + 8].copy_from_slice(&0xdead_beef_0000u64.to_le_bytes());
    let input = Input::Context {
        ctx,
        packet: Some(vec![0u8; 64]),
        fields,
        objects: Vec::new(),
    };
    let r0 = |engine: &str, res: Result<bpfvet_runtime::RunResult, bpfvet_runtime::Fault>| {
        res.unwrap_or_else(|e| panic!("{engine}: {e}")).r0
    };
    let ri = interp::run(&mut Machine::new(), &prog, &input);
    assert_eq!(r0("interp", ri), 1);
    let checked = jit::compile_checked(&prog).expect("compiles");
    assert_eq!(
        r0("checked jit", checked.run(&mut Machine::new(), &input)),
        1
    );
    let mut m = Machine::new();
    let unchecked = jit::compile(&verified, &m, &[]).expect("compiles");
    assert_eq!(r0("jit", unchecked.run(&mut m, &input)), 1);
}
