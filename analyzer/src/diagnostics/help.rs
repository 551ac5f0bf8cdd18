//! The concrete fix for each finding code: one table, one entry per code, with `{reg}` filled in
//! with the offending register (or "the register" when none is known).
//!
//! The text says what to change in the C source, not what the verifier thinks; a code with no
//! entry gets no help line (the catalogue test in `tests/diagnostics_catalogue.rs` checks every
//! code has one).

use crate::verifier::violation::Code;

/// `(code, fix)`, in `Code::ALL` order.
pub const HELP: &[(Code, &str)] = &[
    (Code::EmptyProgram, "give the program at least `return 0;`"),
    (Code::JumpOutOfRange, "the object is corrupt or hand-written: every jump must land inside its function"),
    (Code::JumpIntoLdImm64, "jump to the first half of the 64-bit load (`lddw`), never into its second slot"),
    (Code::CallOutOfRange, "call only functions defined in the object; rebuild it if it was linked by hand"),
    (Code::FallsOffEnd, "end every function with `exit` (a `return` in C) or an unconditional jump"),
    (Code::UnreachableInsn, "remove the dead code, or compile with optimization (-O2) so clang drops it"),
    (Code::BackEdge, "unroll the loop (`#pragma unroll`), or target a kernel with bounded loops (5.3+, privileged)"),
    (Code::InfiniteLoop, "make the loop condition change on every iteration, or bound it with a counter or `bpf_loop()`"),
    (Code::ProgramTooComplex, "bound loops with a small constant, move loop bodies into `bpf_loop()` callbacks, or split the program with tail calls"),
    (Code::JumpSequenceTooComplex, "reduce branches inside loops, or move the loop body into a `bpf_loop()` callback"),
    (Code::ProgramTooLarge, "split the program with tail calls or bpf-to-bpf calls, or load it with CAP_BPF on 5.2+"),
    (Code::UninitRegRead, "give {reg} a value on every path before this use; after a call, reload r1-r5 from saved copies"),
    (Code::FramePointerWrite, "copy r10 to another register and change the copy: `r1 = r10; r1 += -8`"),
    (Code::UninitStackRead, "initialize the whole buffer first, e.g. `= {}` or `__builtin_memset(&buf, 0, sizeof(buf))`"),
    (Code::StackOutOfBounds, "keep stack objects within 512 bytes and access them within their size; use a per-CPU array map for large buffers"),
    (Code::VariableStackAccess, "index stack buffers with a constant, or bound the index and run privileged"),
    (Code::MisalignedAccess, "access the field at its natural alignment, or copy it out with `__builtin_memcpy`"),
    (Code::InvalidSpill, "keep pointers in 8-byte variables; do not store or read part of a spilled pointer"),
    (Code::MapValueOutOfBounds, "bound the index before the access: `if (idx >= N) return 0;` with N * size no larger than the map value"),
    (Code::NullDeref, "check the pointer against NULL before using it, right after the call that returns it: `if (!p) return 0;` ({reg} holds it here)"),
    (Code::PacketOutOfBounds, "compare against data_end before the access: `if ((void *)(p + 1) > data_end) return XDP_DROP;` for the bytes you read"),
    (Code::CtxBadAccess, "read only the context fields this program type exposes, with their declared size"),
    (Code::CtxReadOnly, "this context field is read-only here: write it through a helper (e.g. `bpf_skb_store_bytes`) if one exists"),
    (Code::CtxModifiedDeref, "read context fields through the original `ctx` pointer with a constant offset (`ctx->field`)"),
    (Code::InvalidMemAccess, "{reg} must be a valid pointer here: check that it still holds one on this path (helpers that change packet data invalidate packet pointers)"),
    (Code::WriteToReadOnly, "write only to writable memory: drop `const`, use a writable map, or use a helper that writes"),
    (Code::PointerArithProhibited, "do not compute with this kind of pointer; pass it to helpers unchanged"),
    (Code::NullablePointerArith, "check {reg} against NULL before adding to it"),
    (Code::PointerPointerArith, "add a scalar offset to a pointer; subtracting two pointers is allowed only within the same packet"),
    (Code::PointerBitwise, "do not mask or multiply pointers; compute an integer offset and add it to the pointer"),
    (Code::Pointer32BitArith, "use 64-bit arithmetic on pointers (avoid casting pointers to 32-bit integers)"),
    (Code::UnboundedVarOff, "bound the offset from both sides before adding it: use an unsigned index and `if (idx >= N) return 0;` (or `idx &= N - 1` for a power of two)"),
    (Code::DivByZero, "divide by a non-zero constant, or check the divisor first"),
    (Code::InvalidShift, "shift by less than the operand's width (64, or 32 for 32-bit values)"),
    (Code::HelperNotAllowed, "use a helper this program type may call on this kernel, or change the program type (section name)"),
    (Code::GplOnlyHelper, "declare a GPL-compatible license: `char LICENSE[] SEC(\"license\") = \"GPL\";`"),
    (Code::HelperArgType, "pass the helper the kind of argument its signature asks for in {reg}"),
    (Code::HelperInvalidSize, "pass a size that is a bounded, non-zero constant or is bounded with `if (len > MAX) return 0;` before the call"),
    (Code::HelperMapType, "pass a map of the type this helper accepts (e.g. a perf event array for bpf_perf_event_output)"),
    (Code::ReturnOutOfRange, "return a value in the range this program type allows (e.g. 0 or 1 for cgroup programs)"),
    (Code::ReferenceLeak, "release the reference on every path before returning, the early error returns included"),
    (Code::InvalidRelease, "release only what an acquiring helper returned, exactly once"),
    (Code::CallStackTooDeep, "remove recursion and flatten calls to at most 8 nested frames (mark small helpers `static __always_inline`)"),
    (Code::CombinedStackTooLarge, "shrink the stack of the functions on this call chain, or move large buffers into a per-CPU array map"),
    (Code::TailCallMisuse, "reduce the stack of the callers of the function that tail-calls to under 256 bytes, and release references before tail calls"),
    (Code::SpinLockMisuse, "keep the locked region short: no helper calls and no return between bpf_spin_lock() and bpf_spin_unlock(); touch the lock only through them"),
    (Code::PointerLeak, "do not store pointers into maps or return them; store an integer computed from the data instead"),
    (Code::UnsupportedHelper, "bpfvet cannot check this call yet; verify the program with the kernel (`bpfvet kernel`)"),
    (Code::UnsupportedCtx, "check the attach target's name against the kernel you deploy to, and pass that kernel's BTF with `--btf FILE` (default /sys/kernel/btf/vmlinux)"),
    (Code::AttachRefused, "attach elsewhere, or target a kernel that offers this attachment: the kernel refuses it whatever the program does"),
    (Code::MapRefused, "change the map's definition: the kernel refuses the map itself, so no program of the object loads"),
    (Code::InvalidInsn, "the object contains an instruction the kernel cannot decode: rebuild it with a supported clang and check hand-written assembly"),
    (Code::SleepableHelper, "call this helper only from a sleepable program: use a `.s` section such as SEC(\"lsm.s/...\") or SEC(\"fentry.s/...\")"),
    (Code::UnsupportedInsn, "bpfvet does not support this instruction yet; verify the program with the kernel (`bpfvet kernel`)"),
    (Code::InvalidLdImm64, "refer to maps by their symbol (`&my_map`) so the loader fills in the map, not a raw file descriptor"),
    (Code::InternalError, "this is a bug in bpfvet: please report it with the object file"),
];

/// The fix for `code` with the register filled in, if the table has one.
pub fn help_for(code: Code, reg: Option<crate::isa::Reg>) -> Option<String> {
    let text = HELP.iter().find(|(c, _)| *c == code)?.1;
    let reg_name = reg.map_or_else(|| "the register".to_string(), |r| r.to_string());
    Some(text.replace("{reg}", &reg_name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_help_in_order() {
        let codes: Vec<Code> = HELP.iter().map(|(c, _)| *c).collect();
        assert_eq!(codes, Code::ALL.to_vec());
    }
}
