//! A kfunc's arguments checked against its prototype in the kernel's BTF, and its result, by
//! the kernel's rules (`check_kfunc_args`, `check_kfunc_call`), for the argument kinds bpfvet
//! models: numbers (`__k` constants), memory with a `__sz`/`__szk` size, kernel objects
//! (`PTR_TO_BTF_ID`, matched at offset 0, trusted or RCU as the flags demand), the context,
//! maps, NULL where `__nullable`/`__opt` allow it. Other kinds are reported as unsupported,
//! naming the kfunc and the argument.

use super::{read, Res, Vm};
use crate::isa::{InsnIdx, Reg};
use crate::verifier::kfuncs::{self, kf, KfuncDef, Param, Proto, Ret};
use crate::verifier::state::{
    AbstractState, Pointer, PtrKind, Reference, RegState, StackByte, Trust,
};
use crate::verifier::violation::{Code, Violation};

pub(super) const ARG_REGS: [Reg; 5] = [Reg::R1, Reg::R2, Reg::R3, Reg::R4, Reg::R5];

/// What the arguments said that the result depends on.
#[derive(Default)]
pub(super) struct ArgsSeen {
    /// The reference a `KF_RELEASE` kfunc's argument holds.
    pub release: Option<u32>,
    /// The initialised dynptr a dynptr argument named.
    pub dynptr: Option<super::dynptr::DynptrSeen>,
    /// The constant value of the last `__szk` size argument.
    pub const_size: Option<u64>,
}

impl Vm<'_> {
    /// The prototype of kfunc `name` from the kernel's BTF (cached per verification), or the
    /// finding that stops the call: the kernel has no such function, or there is no BTF.
    pub(super) fn kfunc_proto(&self, pc: InsnIdx, name: &str) -> Res<Proto> {
        let Some(kernel) = self.input.kernel_btf else {
            return Err(Violation::new(
                Code::UnsupportedHelper,
                pc,
                format!("{name}'s arguments are read from the kernel's BTF, and there is none (pass --btf)"),
                "",
            ));
        };
        let mut cache = self.kfunc_protos.borrow_mut();
        let got = cache
            .entry(name.to_string())
            .or_insert_with(|| kfuncs::resolve(kernel, name))
            .clone();
        match got {
            Ok(p) => Ok(p),
            Err(None) => Err(super::kfunc::missing_kfunc(pc, name)),
            Err(Some(why)) => Err(Violation::new(Code::UnsupportedHelper, pc, why, "")),
        }
    }

    /// The id of struct `name` in the kernel's BTF (0 when unknown), cached.
    pub(in crate::verifier) fn kernel_struct_id(&self, name: &str) -> u32 {
        let Some(kernel) = self.input.kernel_btf else {
            return 0;
        };
        *self
            .kernel_structs
            .borrow_mut()
            .entry(name.to_string())
            .or_insert_with(|| kernel.find_by_name(name, "struct").map_or(0, |t| t.0))
    }

    /// Checks arguments `first..` of a call to `k` against `proto`.
    pub(super) fn kfunc_args(
        &self,
        st: &mut AbstractState,
        pc: InsnIdx,
        k: &KfuncDef,
        proto: &Proto,
        first: usize,
    ) -> Res<ArgsSeen> {
        if proto.params.len() > ARG_REGS.len() {
            return Err(Violation::new(
                Code::UnsupportedHelper,
                pc,
                format!("{} takes more than five arguments", k.name),
                "",
            ));
        }
        let mut seen = ArgsSeen::default();
        let mut i = first;
        while i < proto.params.len() {
            let r = ARG_REGS[i];
            let (pname, kind) = &proto.params[i];
            let v = read(st, pc, r)?;
            let size_next = matches!(proto.params.get(i + 1), Some((_, Param::Size { .. })));
            self.trusted_not_null(pc, k, i, kind, &v)?;
            match kind {
                Param::Ignored => {}
                Param::Scalar { constant } | Param::Size { constant } => {
                    self.kfunc_scalar(pc, k, r, i, &v, *constant)?
                }
                Param::Map if matches!(v.as_ptr(), Some(p) if matches!(p.kind, PtrKind::BtfId { .. })) =>
                {
                    // A map's kernel struct reached through BTF (an iterator's `ctx->map`)
                    // is checked as a `struct bpf_map` object.
                    let want = self.kernel_struct_id("bpf_map");
                    self.kfunc_object(st, pc, k, r, i, &v, want, "bpf_map", false)?;
                }
                Param::Map => {
                    if !matches!(v.as_ptr(), Some(p) if matches!(p.kind, PtrKind::MapPtr { .. })) {
                        return Err(arg_err(
                            pc,
                            k,
                            format!(
                                "argument {} ({pname}) of {} must be a map, but {r} is {}",
                                i + 1,
                                k.name,
                                v.type_name()
                            ),
                            format!("arg#{i} expected pointer to map, but got {}", v.type_name()),
                        ));
                    }
                }
                Param::Mem {
                    size,
                    nullable,
                    uninit,
                } => {
                    if size_next {
                        i += 1;
                        let len = self.mem_size_pair(
                            st,
                            pc,
                            k,
                            i,
                            &v,
                            &proto.params[i].1,
                            (*nullable, *uninit),
                        )?;
                        seen.const_size = Some(u64::from(len));
                    } else {
                        let len = match size {
                            Some(s) => *s,
                            None => {
                                return Err(arg_err(
                                    pc,
                                    k,
                                    format!("argument {} ({pname}) of {} points to void and no size follows it", i + 1, k.name),
                                    format!("arg#{i} pointer type void must point to scalar, or struct with scalar"),
                                ))
                            }
                        };
                        self.kfunc_mem(st, pc, k, r, i, &v, len, *nullable, *uninit)?;
                    }
                }
                Param::Struct {
                    type_id,
                    name,
                    size,
                    nullable,
                    uninit,
                } => {
                    if kfuncs::is_prog_ctx_struct(name, self.input.prog_type.kernel_id) {
                        if !matches!(v.as_ptr(), Some(p) if p.kind == PtrKind::Ctx && p.off == 0 && p.has_const_off())
                        {
                            return Err(arg_err(
                                pc,
                                k,
                                format!("argument {} of {} must be the program's context (struct {name}), but {r} is {}", i + 1, k.name, v.type_name()),
                                format!("arg#{i} expected pointer to ctx, but got {}", v.type_name()),
                            ));
                        }
                    } else if size_next {
                        i += 1;
                        self.mem_size_pair(
                            st,
                            pc,
                            k,
                            i,
                            &v,
                            &proto.params[i].1,
                            (*nullable, *uninit),
                        )?;
                    } else if matches!(v.as_ptr(), Some(p) if matches!(p.kind, PtrKind::BtfId { .. }))
                        || (!matches!(v, RegState::Ptr(_)))
                    {
                        if let Some(id) =
                            self.kfunc_object(st, pc, k, r, i, &v, *type_id, name, *nullable)?
                        {
                            seen.release = Some(id);
                        }
                    } else {
                        let scalar_only = self.input.kernel_btf.is_some_and(|b| {
                            kfuncs::is_scalar_struct(b, crate::btf::TypeId(*type_id))
                        });
                        if !scalar_only {
                            return Err(arg_err(
                                pc,
                                k,
                                format!("argument {} of {} must point to a kernel struct {name}, but {r} is {}", i + 1, k.name, v.type_name()),
                                format!("arg#{i} pointer type STRUCT {name} must point to scalar, or struct with scalar"),
                            ));
                        }
                        self.kfunc_mem(st, pc, k, r, i, &v, *size, *nullable, *uninit)?;
                    }
                }
                Param::Dynptr { uninit } => {
                    let what = if *uninit {
                        self.kfunc_new_dynptr(k, seen.dynptr)
                    } else {
                        super::dynptr::DynptrUse::Use {
                            expect: None,
                            mutates: false,
                        }
                    };
                    let d = self.dynptr_arg(st, pc, r, i, what, k.name)?;
                    if !*uninit {
                        seen.dynptr = Some(d);
                    }
                }
                Param::Unsupported(what) => {
                    return Err(Violation::new(
                        Code::UnsupportedHelper,
                        pc,
                        format!(
                        "argument {} ({pname}) of {} is {what}, which bpfvet does not check yet",
                        i + 1,
                        k.name
                    ),
                        "",
                    ))
                }
            }
            i += 1;
        }
        if k.has(kf::RELEASE) && seen.release.is_none() {
            return Err(Violation::new(
                Code::InvalidRelease,
                pc,
                format!("{} releases a reference, but no argument holds one (pass what an acquiring kfunc returned)", k.name),
                format!("release kernel function {} expects refcounted PTR_TO_BTF_ID", k.name),
            ));
        }
        Ok(seen)
    }

    /// The kernel's first check of a pointer argument of a `KF_TRUSTED_ARGS`, `KF_RCU` or
    /// release kfunc, before its kind is looked at: NULL, or a pointer that may be NULL, is
    /// refused unless the argument is `__nullable`/`__opt`.
    fn trusted_not_null(
        &self,
        pc: InsnIdx,
        k: &KfuncDef,
        i: usize,
        kind: &Param,
        v: &RegState,
    ) -> Res<()> {
        if !(k.has(kf::TRUSTED_ARGS) || k.has(kf::RCU) || k.has(kf::RELEASE)) {
            return Ok(());
        }
        let nullable = match kind {
            Param::Mem { nullable, .. } | Param::Struct { nullable, .. } => *nullable,
            _ => return Ok(()),
        };
        let may_be_null = match v {
            RegState::Ptr(p) => p.maybe_null,
            _ => v.as_scalar().and_then(|s| s.as_const()) == Some(0),
        };
        if !may_be_null || nullable {
            return Ok(());
        }
        Err(arg_err(
            pc,
            k,
            format!(
                "argument {} of {} may be NULL, and it takes a trusted pointer; check it first",
                i + 1,
                k.name
            ),
            format!("Possibly NULL pointer passed to trusted arg{i}"),
        ))
    }

    fn kfunc_scalar(
        &self,
        pc: InsnIdx,
        k: &KfuncDef,
        r: Reg,
        i: usize,
        v: &RegState,
        constant: bool,
    ) -> Res<()> {
        let Some(s) = v.as_scalar() else {
            return Err(arg_err(
                pc,
                k,
                format!(
                    "argument {} of {} is a number, but {r} holds a pointer",
                    i + 1,
                    k.name
                ),
                format!("R{} is not a scalar", r.num()),
            ));
        };
        if constant && s.as_const().is_none() {
            return Err(arg_err(
                pc,
                k,
                format!(
                    "argument {} of {} must be a constant the verifier knows",
                    i + 1,
                    k.name
                ),
                format!("R{} must be a known constant", r.num()),
            ));
        }
        Ok(())
    }

    /// A memory argument `mem` (argument `i - 1`, `(nullable, uninit)`) and its size, argument
    /// `i` of kind `p`, checked in the kernel's order (`KF_ARG_PTR_TO_MEM_SIZE`): unless the
    /// memory is an optional NULL, the size's bounds and then the memory they cover, any error
    /// followed by the line "arg#N arg#M memory, len pair leads to invalid memory access";
    /// then a `__szk` size must be a constant. Returns the size's upper bound.
    #[allow(clippy::too_many_arguments)]
    fn mem_size_pair(
        &self,
        st: &mut AbstractState,
        pc: InsnIdx,
        k: &KfuncDef,
        i: usize,
        mem: &RegState,
        p: &Param,
        (nullable, uninit): (bool, bool),
    ) -> Res<u32> {
        let optional_null = nullable && mem.as_scalar().and_then(|s| s.as_const()) == Some(0);
        let mut len = 0;
        if !optional_null {
            let checked = self.size_arg(st, pc, k, i).and_then(|n| {
                len = n;
                self.kfunc_mem(st, pc, k, ARG_REGS[i - 1], i - 1, mem, n, nullable, uninit)
            });
            if let Err(mut e) = checked {
                let pair = format!(
                    "arg#{} arg#{i} memory, len pair leads to invalid memory access",
                    i - 1
                );
                if !e.kernel_message.ends_with(&pair) && e.code != Code::InternalError {
                    e.kernel_message = format!("{}\n{pair}", e.kernel_message);
                }
                return Err(e);
            }
        }
        let r = ARG_REGS[i];
        let v = read(st, pc, r)?;
        let constant = matches!(p, Param::Size { constant: true });
        self.kfunc_scalar(pc, k, r, i, &v, constant)?;
        if optional_null {
            len = self.size_arg(st, pc, k, i)?;
        }
        Ok(len)
    }

    /// The value of size argument `i` (its upper bound), checked as the kernel does.
    fn size_arg(&self, st: &AbstractState, pc: InsnIdx, k: &KfuncDef, i: usize) -> Res<u32> {
        let r = ARG_REGS[i];
        let v = read(st, pc, r)?;
        self.kfunc_scalar(pc, k, r, i, &v, false)?;
        let s = v
            .as_scalar()
            .copied()
            .unwrap_or(crate::verifier::domain::Scalar::top());
        if s.smin() < 0 {
            return Err(Violation::new(
                Code::HelperInvalidSize,
                pc,
                format!("the size in {r} given to {} may be negative", k.name),
                format!(
                    "R{} min value is negative, either use unsigned or 'var &= const'",
                    r.num()
                ),
            ));
        }
        u32::try_from(s.umax())
            .ok()
            .filter(|n| *n < (1 << 29))
            .ok_or_else(|| {
                Violation::new(
                    Code::HelperInvalidSize,
                    pc,
                    format!("the size in {r} given to {} is not bounded", k.name),
                    format!(
                        "R{} unbounded memory access, use 'var &= const' or 'if (var < const)'",
                        r.num()
                    ),
                )
            })
    }

    /// `len` bytes of memory at `v`, read by the kfunc (written when `uninit`).
    #[allow(clippy::too_many_arguments)]
    fn kfunc_mem(
        &self,
        st: &mut AbstractState,
        pc: InsnIdx,
        k: &KfuncDef,
        r: Reg,
        i: usize,
        v: &RegState,
        len: u32,
        nullable: bool,
        uninit: bool,
    ) -> Res<()> {
        let Some(p) = v.as_ptr() else {
            if nullable && v.as_scalar().and_then(|s| s.as_const()) == Some(0) {
                return Ok(());
            }
            return Err(arg_err(
                pc,
                k,
                format!(
                    "argument {} of {} must point to {len} bytes of memory, but {r} is {}",
                    i + 1,
                    k.name,
                    v.type_name()
                ),
                format!(
                    "arg#{i} arg#{} memory, len pair leads to invalid memory access",
                    i + 1
                ),
            ));
        };
        if p.maybe_null && !nullable {
            return Err(arg_err(
                pc,
                k,
                format!(
                    "argument {} of {} may be NULL; check it first",
                    i + 1,
                    k.name
                ),
                format!("Possibly NULL pointer passed to trusted arg{i}"),
            ));
        }
        match p.kind {
            PtrKind::Stack { frame } => {
                if !p.has_const_off() {
                    return Err(Violation::new(
                        Code::VariableStackAccess,
                        pc,
                        format!("{} gets a stack pointer with a variable offset", k.name),
                        format!(
                            "R{} variable offset stack access prohibited for !root",
                            r.num()
                        ),
                    ));
                }
                let off = i64::from(p.off);
                self.stack_bounds(pc, r, off, len, uninit)?;
                if uninit {
                    self.no_dynptr_written(st, pc, frame as usize, off, len)?;
                    self.stack_mark_written(st, frame as usize, off, len);
                } else {
                    self.stack_initialized(st, pc, r, frame as usize, off, len)?;
                }
                Ok(())
            }
            PtrKind::Ctx
            | PtrKind::BtfId { .. }
            | PtrKind::MapPtr { .. }
            | PtrKind::Func { .. }
            | PtrKind::ConstDynptr { .. } => Err(arg_err(
                pc,
                k,
                format!(
                    "argument {} of {} must point to memory, but {r} is {}",
                    i + 1,
                    k.name,
                    v.type_name()
                ),
                format!(
                    "arg#{i} expected pointer to memory, but got {}",
                    v.type_name()
                ),
            )),
            // Memory of size 0 to the kernel's bounds check (`mem_rdonly_untrusted.c`
            // `kfunc_param_not_ok`: "invalid access to memory, mem_size=0 off=0 size=4").
            PtrKind::UntrustedMem if len > 0 => Err(arg_err(
                pc,
                k,
                format!(
                    "argument {} of {} must point to {len} bytes of memory, but {r} is read-only untrusted memory, reached only through probe loads",
                    i + 1,
                    k.name
                ),
                format!("invalid access to memory, mem_size=0 off=0 size={len}"),
            )),
            _ => {
                self.arena_not_mem(pc, r, v)?;
                if len == 0 {
                    return Ok(());
                }
                let access = if uninit {
                    super::mem::Access::Write
                } else {
                    super::mem::Access::Read
                };
                self.access(st, pc, r, v, 0, len, access, Some(&RegState::unknown()))
                    .map(|_| ())
            }
        }
    }

    /// A kernel object argument (`KF_ARG_PTR_TO_BTF_ID`): the right struct at offset 0, not
    /// NULL unless allowed, trusted or RCU as the flags require. Returns the reference it
    /// holds when the kfunc releases it.
    #[allow(clippy::too_many_arguments)]
    fn kfunc_object(
        &self,
        st: &AbstractState,
        pc: InsnIdx,
        k: &KfuncDef,
        r: Reg,
        i: usize,
        v: &RegState,
        want: u32,
        want_name: &str,
        nullable: bool,
    ) -> Res<Option<u32>> {
        let _ = st;
        let is_null = v.as_scalar().and_then(|s| s.as_const()) == Some(0);
        let p = match v {
            RegState::Ptr(p) => p,
            _ if nullable && is_null => return Ok(None),
            // The kernel refuses NULL for every pointer argument not marked `__nullable`.
            _ if is_null => {
                return Err(arg_err(
                    pc,
                    k,
                    format!(
                        "argument {} of {} is NULL, and it takes a trusted {want_name}",
                        i + 1,
                        k.name
                    ),
                    format!("Possibly NULL pointer passed to trusted arg{i}"),
                ))
            }
            _ => {
                // A struct of numbers only (`struct cpumask`'s bit array) is memory to the
                // kernel when the register is not a kernel object, so the memory check speaks.
                let kernel_msg = if self
                    .input
                    .kernel_btf
                    .is_some_and(|b| kfuncs::is_scalar_struct(b, crate::btf::TypeId(want)))
                {
                    format!("R{} type={} expected=fp", r.num(), v.type_name())
                } else {
                    format!("arg#{i} pointer type STRUCT {want_name} must point to scalar, or struct with scalar")
                };
                return Err(arg_err(
                    pc,
                    k,
                    format!(
                        "argument {} of {} must point to a struct {want_name}, but {r} is {}",
                        i + 1,
                        k.name,
                        v.type_name()
                    ),
                    kernel_msg,
                ));
            }
        };
        let PtrKind::BtfId { type_id, trust } = p.kind else {
            unreachable!("kfunc_args passes only BTF pointers here")
        };
        // The kernel's order (`check_kfunc_args`): NULL first, then the trust the flags ask
        // for, then the type.
        if p.maybe_null && !nullable {
            return Err(arg_err(
                pc,
                k,
                format!(
                    "argument {} of {} may be NULL; check it first",
                    i + 1,
                    k.name
                ),
                format!("Possibly NULL pointer passed to trusted arg{i}"),
            ));
        }
        if k.has(kf::TRUSTED_ARGS) || k.has(kf::RCU) || k.has(kf::RELEASE) {
            self.kfunc_object_trust(pc, k, r, p, trust, want_name)?;
        }
        let kernel = self.input.kernel_btf;
        let release = k.has(kf::RELEASE) && p.ref_obj_id != 0;
        // A struct embedded in a kernel object keeps the object's trust (the kernel's
        // fixed-offset PTR_TO_BTF_ID); what a release kfunc frees must be the object itself.
        let embedded = !release && p.off > 0 && p.has_const_off();
        let matches = kernel.is_some_and(|b| {
            type_id != 0
                && if embedded {
                    kfuncs::embedded_matches(b, type_id, p.off as u32, want)
                } else {
                    kfuncs::struct_matches(
                        b,
                        type_id,
                        want,
                        release || kfuncs::nocast_alias(b, type_id, want),
                    ) || kfuncs::is_projection_of(want_name, b.name_of(crate::btf::TypeId(type_id)))
                }
        });
        if !matches || (p.off != 0 && !embedded) || !p.has_const_off() {
            let have = kernel
                .filter(|_| type_id != 0)
                .map_or("an unknown type".to_string(), |b| {
                    format!("STRUCT {}", b.name_of(crate::btf::TypeId(type_id)))
                });
            return Err(arg_err(
                pc,
                k,
                format!("argument {} of {} must point to the start of a struct {want_name}, but {r} points to {have}{}", i + 1, k.name, if p.off != 0 { format!(" at offset {}", p.off) } else { String::new() }),
                format!("kernel function {} args#{i} expected pointer to STRUCT {want_name} but R{} has a pointer to {have}", k.name, r.num()),
            ));
        }
        // The kernel checks trust only for KF_TRUSTED_ARGS, KF_RCU and release kfuncs; the
        // others are held to the same rule here, the safe side.
        self.kfunc_object_trust(pc, k, r, p, trust, want_name)?;
        Ok(release.then_some(p.ref_obj_id))
    }

    /// A kernel object argument must be referenced or trusted, or RCU-protected where the
    /// kfunc is `KF_RCU`.
    fn kfunc_object_trust(
        &self,
        pc: InsnIdx,
        k: &KfuncDef,
        r: Reg,
        p: &Pointer,
        trust: Trust,
        want_name: &str,
    ) -> Res<()> {
        let referenced = p.ref_obj_id != 0;
        if !referenced && trust != Trust::Trusted {
            if !k.has(kf::RCU) {
                return Err(arg_err(
                    pc,
                    k,
                    format!("{} needs a trusted or referenced {want_name} in {r}; this pointer was reached by walking fields (or comes from an untrusted argument)", k.name),
                    format!("R{} must be referenced or trusted", r.num()),
                ));
            }
            if trust != Trust::Rcu {
                return Err(arg_err(
                    pc,
                    k,
                    format!(
                        "{} needs an RCU-protected, trusted or referenced {want_name} in {r}",
                        k.name
                    ),
                    format!("R{} must be a rcu pointer", r.num()),
                ));
            }
        }
        Ok(())
    }

    /// A global function's `arg:trusted`/`arg:untrusted` argument, checked at the call (the
    /// kernel's `btf_check_func_arg_match`): a kernel object of that struct (or NULL where
    /// allowed), trusted, RCU or referenced when the tag is `arg:trusted`.
    pub(super) fn global_object_arg(
        &self,
        pc: InsnIdx,
        v: &RegState,
        r: Reg,
        want_name: &str,
        trusted: bool,
        nullable: bool,
    ) -> Res<()> {
        let n = r.num();
        let expected = || {
            Violation::new(
                Code::HelperArgType,
                pc,
                format!(
                    "the global function's argument in {r} must be {} struct {want_name}, but {r} is {}",
                    if trusted { "a trusted" } else { "a pointer to a" },
                    v.type_name()
                ),
                format!(
                    "R{n} type={} expected=ptr_, trusted_ptr_, rcu_ptr_",
                    v.type_name()
                ),
            )
        };
        let p = match v {
            RegState::Ptr(p) => p,
            _ if nullable && v.as_scalar().and_then(|s| s.as_const()) == Some(0) => return Ok(()),
            _ => return Err(expected()),
        };
        let PtrKind::BtfId { type_id, trust } = p.kind else {
            return Err(expected());
        };
        if p.maybe_null && !nullable {
            return Err(expected());
        }
        let want = self.kernel_struct_id(want_name);
        let matches = self.input.kernel_btf.is_some_and(|b| {
            type_id != 0 && want != 0 && kfuncs::struct_matches(b, type_id, want, false)
        });
        if !matches || p.off != 0 || !p.has_const_off() {
            return Err(expected());
        }
        if trusted && p.ref_obj_id == 0 && trust.is_untrusted() {
            return Err(expected());
        }
        Ok(())
    }

    /// r0 after a call to `k` that returns `ret`: a new reference for `KF_ACQUIRE`, NULL-able
    /// for `KF_RET_NULL`.
    pub(super) fn kfunc_result(
        &self,
        st: &mut AbstractState,
        pc: InsnIdx,
        k: &KfuncDef,
        ret: &Ret,
        elem_trust: Trust,
    ) -> Res<RegState> {
        if k.has(kf::ARENA_RET) {
            // An arena address in user space's address space (1): a number to the verifier,
            // which the program casts (`addr_space_cast`) before it dereferences it. The flag
            // only tags the kernel's BTF (`address_space(1)`); the verifier reads a `void *`.
            return Ok(RegState::unknown());
        }
        let mut p = match ret {
            Ret::Void => return Ok(RegState::Uninit),
            Ret::Scalar => return Ok(RegState::unknown()),
            Ret::Struct { type_id } => Pointer::new(PtrKind::BtfId {
                type_id: *type_id,
                trust: elem_trust,
            }),
            Ret::Mem { size } => Pointer::new(PtrKind::Mem {
                size: *size,
                rdonly: true,
                ringbuf: false,
            }),
            Ret::Unsupported(why) => {
                return Err(Violation::new(
                    Code::UnsupportedHelper,
                    pc,
                    format!("{} returns {why}, which bpfvet does not model yet", k.name),
                    "",
                ))
            }
        };
        if k.has(kf::RET_NULL) {
            p.maybe_null = true;
            p.id = st.fresh_id();
        }
        if k.has(kf::ACQUIRE) {
            let id = st.fresh_id();
            if p.id != 0 {
                p.id = id;
            }
            p.ref_obj_id = id;
            st.refs.push(Reference {
                id,
                acquired_at: pc,
                acquired_by: k.name,
            });
        }
        Ok(RegState::Ptr(p))
    }
}

/// Releases reference `id`: every pointer holding it becomes unusable.
pub(super) fn release_ref(st: &mut AbstractState, id: u32) {
    st.refs.retain(|r| r.id != id);
    st.for_each_reg_mut(|reg| {
        if matches!(reg, RegState::Ptr(p) if p.ref_obj_id == id) {
            *reg = RegState::unknown();
        }
    });
}

/// The caller-saved argument registers are unreadable after any call.
pub(super) fn clobber_args(st: &mut AbstractState) {
    for r in ARG_REGS {
        st.set(r, RegState::Uninit);
    }
}

pub(super) fn arg_err(
    pc: InsnIdx,
    _k: &KfuncDef,
    message: String,
    kernel: String,
) -> Box<Violation> {
    Violation::new(Code::HelperArgType, pc, message, kernel)
}

/// Marks the bytes of an iterator's slots as its opaque state.
pub(super) fn opaque(slot: &mut crate::verifier::state::StackSlot) {
    slot.bytes = [StackByte::Misc; 8];
    slot.spilled = None;
}
