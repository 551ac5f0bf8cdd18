//! What a pointer points to, independent of the numeric domain.

/// What a pointer points to (the kernel's `enum bpf_reg_type`, without the flags).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum PtrKind {
    /// The program's context (`PTR_TO_CTX`).
    Ctx,
    /// The stack of frame `frame` (`PTR_TO_STACK`).
    Stack { frame: u8 },
    /// A map itself (`CONST_PTR_TO_MAP`), by index in the object's map list.
    MapPtr { map: u32 },
    /// A map's value (`PTR_TO_MAP_VALUE`).
    MapValue { map: u32 },
    /// A map's key, passed to iteration callbacks (`PTR_TO_MAP_KEY`).
    MapKey { map: u32 },
    /// Packet data (`PTR_TO_PACKET`).
    Packet,
    /// Packet metadata (`PTR_TO_PACKET_META`).
    PacketMeta,
    /// One past the packet's last byte (`PTR_TO_PACKET_END`).
    PacketEnd,
    /// Memory of a known size (`PTR_TO_MEM`); `ringbuf` for a ring buffer reservation
    /// (`MEM_RINGBUF`, which the kernel names `ringbuf_mem`).
    Mem {
        size: u32,
        rdonly: bool,
        ringbuf: bool,
    },
    /// Read-only untrusted memory of no known size (`PTR_TO_MEM | MEM_RDONLY | PTR_UNTRUSTED`,
    /// printed `rdonly_untrusted_mem`), Linux 6.17 and later: a pointer member of a kernel (or
    /// allocated) object that points to no struct (`void *`, `char *`, a function), or
    /// `bpf_rdonly_cast(p, 0)`. The kernel compiles every load through it as a probe load, so
    /// any offset is read (a fault reads 0) and no offset is tracked (it stays at 0 here, so
    /// that any two compare equal); stores are refused, no helper or kfunc takes it, and it
    /// may be NULL (`reg_not_null` says nothing of it).
    UntrustedMem,
    /// A socket (`PTR_TO_SOCKET`).
    Socket,
    /// The common part of a socket (`PTR_TO_SOCK_COMMON`).
    SockCommon,
    /// A TCP socket (`PTR_TO_TCP_SOCK`).
    TcpSock,
    /// An AF_XDP socket from an xskmap lookup (`PTR_TO_XDP_SOCK`): only its `queue_id` is
    /// readable.
    XdpSock,
    /// Flow dissector keys (`PTR_TO_FLOW_KEYS`).
    FlowKeys,
    /// A kernel object typed by BTF (`PTR_TO_BTF_ID`), by type id in the kernel's BTF, and how
    /// far the kernel trusts it (part of the kind, so that an untrusted pointer never stands
    /// for a trusted one when states are compared).
    BtfId { type_id: u32, trust: Trust },
    /// A subprogram, as a callback argument (`PTR_TO_FUNC`), by its first instruction.
    Func { subprog: u32 },
    /// A dynptr passed by reference to a global function or callback (`CONST_PTR_TO_DYNPTR`):
    /// usable only as a dynptr argument, read-only. Its id is the pointer's `dynptr_id`.
    ConstDynptr {
        kind: crate::verifier::state::DynptrKind,
    },
    /// Memory of the program's arena (`PTR_TO_ARENA`), made by `addr_space_cast` from address
    /// space 1: the kernel tracks no offset (any arithmetic leaves it an arena pointer) and
    /// rewrites each access into a probe access of the arena's 4 GiB window, so every offset
    /// is safe. It is always at offset 0 with no variable part, so that any two compare equal,
    /// as the kernel's `regsafe` counts them.
    Arena,
    /// An object the program allocated (`PTR_TO_BTF_ID | MEM_ALLOC`), by type id in the
    /// *program's* BTF: from `bpf_obj_new` (`percpu`: `bpf_percpu_obj_new`, `MEM_PERCPU`), a
    /// list or rbtree pop or remove, a `bpf_kptr_xchg` of a local kptr. With a reference it
    /// owns the object; `non_owning` after the object was pushed into a graph (the kernel's
    /// `NON_OWN_REF`: usable until the lock is released, never released itself). `rcu`: loaded
    /// from a kptr field inside an RCU read section (the kernel's `MEM_RCU`), valid until the
    /// section ends; such a pointer is also `non_owning` (it holds no reference).
    Alloc {
        type_id: u32,
        percpu: bool,
        non_owning: bool,
        rcu: bool,
    },
}

/// How far the kernel trusts a `PTR_TO_BTF_ID` (its `PTR_TRUSTED` and `MEM_RCU` flags): kfuncs
/// with `KF_TRUSTED_ARGS` take only trusted (or referenced) pointers, `KF_RCU` ones also RCU ones.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub enum Trust {
    /// Reached by walking fields, or of unknown origin: may be read (through the kernel's
    /// exception tables) but not passed where trust is needed.
    #[default]
    Untrusted,
    /// Valid while the RCU read section lasts (`MEM_RCU`).
    Rcu,
    /// Valid for the whole program (`PTR_TRUSTED`): tp_btf and iterator arguments, the
    /// current task, what an iterator's `next` yields.
    Trusted,
    /// Marked untrusted by the kernel (`PTR_UNTRUSTED`, printed `untrusted_ptr_`): walked
    /// from a trusted or RCU pointer where no RCU read section protects the result (a
    /// sleepable program outside `bpf_rcu_read_lock()`), walked from such a pointer, or an
    /// RCU pointer after `bpf_rcu_read_unlock()`. Readable like [`Trust::Untrusted`].
    Marked,
}

impl Trust {
    /// The trust of a pointer loaded from a field of a pointer with this trust (the kernel's
    /// `check_ptr_to_btf_access`, without its tables of fields that keep trust, so never more
    /// trusted than the kernel's): an untrusted base marks the result untrusted; a trusted or
    /// RCU base gives a flagless pointer inside an RCU read section (`in_rcu_cs`: non-sleepable
    /// programs are always in one) and an untrusted one outside.
    pub fn after_walk(self, in_rcu_cs: bool) -> Trust {
        match self {
            Trust::Marked => Trust::Marked,
            Trust::Untrusted => Trust::Untrusted,
            Trust::Trusted | Trust::Rcu if in_rcu_cs => Trust::Untrusted,
            Trust::Trusted | Trust::Rcu => Trust::Marked,
        }
    }

    /// Whether the pointer field at byte `off` of kernel struct `ty` stays trusted when
    /// loaded from a trusted or RCU pointer, in or out of an RCU read section: the kernel's
    /// `BTF_TYPE_SAFE_TRUSTED` fields (`type_is_trusted`), those that are never NULL. (Its
    /// `_OR_NULL` and RCU tables are left out: bpfvet trusts those fields less, which can only
    /// refuse more.)
    pub fn field_stays_trusted(kernel: &crate::btf::Btf, ty: crate::btf::TypeId, off: i64) -> bool {
        const TRUSTED_FIELDS: &[(&str, &str)] = &[
            ("bpf_iter_meta", "seq"),
            ("linux_binprm", "file"),
            ("file", "f_inode"),
        ];
        let Some(ty) = kernel.resolve(ty) else {
            return false;
        };
        let name = kernel.name_of(ty);
        let Some(field) = kernel.members(ty).and_then(|ms| {
            ms.iter()
                .find(|m| i64::from(m.bit_offset) == off * 8 && m.bitfield_size == 0)
        }) else {
            return false;
        };
        let field = kernel.member_name(field);
        TRUSTED_FIELDS.contains(&(name, field))
    }

    /// Whether kfuncs that need trusted arguments refuse it (neither trusted nor RCU).
    pub fn is_untrusted(self) -> bool {
        matches!(self, Trust::Untrusted | Trust::Marked)
    }
}

impl PtrKind {
    /// A pointer to a kernel object of BTF type `type_id`, not trusted.
    pub fn btf(type_id: u32) -> PtrKind {
        PtrKind::BtfId {
            type_id,
            trust: Trust::Untrusted,
        }
    }

    /// The kernel's name for the type, as its log prints it.
    pub fn kernel_name(self) -> &'static str {
        match self {
            PtrKind::Ctx => "ctx",
            PtrKind::Stack { .. } => "fp",
            PtrKind::MapPtr { .. } => "map_ptr",
            PtrKind::MapValue { .. } => "map_value",
            PtrKind::MapKey { .. } => "map_key",
            PtrKind::Packet => "pkt",
            PtrKind::PacketMeta => "pkt_meta",
            PtrKind::PacketEnd => "pkt_end",
            PtrKind::Mem { ringbuf: true, .. } => "ringbuf_mem",
            PtrKind::Mem { .. } | PtrKind::UntrustedMem => "mem",
            PtrKind::Socket => "sock",
            PtrKind::SockCommon => "sock_common",
            PtrKind::TcpSock => "tcp_sock",
            PtrKind::XdpSock => "xdp_sock",
            PtrKind::FlowKeys => "flow_keys",
            PtrKind::BtfId { .. } => "ptr_",
            PtrKind::Func { .. } => "func",
            PtrKind::ConstDynptr { .. } => "dynptr_ptr",
            PtrKind::Arena => "arena",
            PtrKind::Alloc { .. } => "ptr_",
        }
    }

    /// Whether a scalar may be added to or subtracted from this kind of pointer.
    pub fn allows_arithmetic(self) -> bool {
        !matches!(
            self,
            PtrKind::MapPtr { .. }
                | PtrKind::PacketEnd
                | PtrKind::Socket
                | PtrKind::SockCommon
                | PtrKind::TcpSock
                | PtrKind::XdpSock
                | PtrKind::Func { .. }
                | PtrKind::ConstDynptr { .. }
        )
    }

    pub fn is_packet(self) -> bool {
        matches!(self, PtrKind::Packet | PtrKind::PacketMeta)
    }
}
