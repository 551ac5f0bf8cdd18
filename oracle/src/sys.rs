//! Every call into the kernel and into libbpf's C API: the only module of the crate with `unsafe`.
//!
//! It offers three safe pieces to the rest of the crate:
//! - [`probe_trivial_load`]: a raw `bpf(BPF_PROG_LOAD)` of `r0 = 0; exit` as a socket filter, so the
//!   availability check does not depend on libbpf's own probing (whose failure message is generic);
//! - [`Object`]: an owned libbpf `bpf_object` opened from bytes it owns, with per-program log
//!   buffers it owns, closed (with every map and program fd libbpf opened for it) on drop;
//! - [`test_run`]: `BPF_PROG_TEST_RUN` on a loaded program of an [`Object`].
//!
//! libbpf's messages are caught by [`capture_libbpf_messages`], through libbpf-rs's `set_print`
//! (which formats the C `va_list` for us) into a thread-local buffer.
//!
//! **Architecture Invariant:** every pointer handed to libbpf points into memory owned by an
//! [`Object`] (the ELF bytes, the log buffers) and so lives at least as long as the `bpf_object`.

use std::cell::RefCell;
use std::ffi::{c_char, c_void, CStr, CString};
use std::os::fd::{FromRawFd, OwnedFd};
use std::ptr::NonNull;

use crate::verdict::Errno;

/// The kernel's `BPF_PROG_LOAD` command number.
const BPF_PROG_LOAD: libc::c_int = 5;

/// The leading fields of `union bpf_attr` for `BPF_PROG_LOAD`, up to `prog_flags`.
/// The kernel accepts an attr shorter than its own and zero-fills the rest.
#[repr(C)]
#[derive(Default)]
struct ProgLoadAttr {
    prog_type: u32,
    insn_cnt: u32,
    insns: u64,
    license: u64,
    log_level: u32,
    log_size: u32,
    log_buf: u64,
    kern_version: u32,
    prog_flags: u32,
}

/// Loads `r0 = 0; exit` as a socket filter with a raw `bpf()` syscall.
/// Returns `Ok(())` when the kernel accepted it (the fd is closed at once), or the errno.
pub(crate) fn probe_trivial_load() -> Result<(), Errno> {
    // r0 = 0 (BPF_ALU64 | BPF_MOV | BPF_K), then exit (BPF_JMP | BPF_EXIT).
    let insns: [u64; 2] = [0x0000_0000_0000_00b7, 0x0000_0000_0000_0095];
    let license = c"GPL";
    let attr = ProgLoadAttr {
        prog_type: libbpf_sys::BPF_PROG_TYPE_SOCKET_FILTER,
        insn_cnt: 2,
        insns: insns.as_ptr() as u64,
        license: license.as_ptr() as u64,
        ..ProgLoadAttr::default()
    };
    // SAFETY: `attr` is a valid, initialised prefix of `union bpf_attr` whose pointers (`insns`,
    // `license`) refer to locals that outlive the call; the size passed is exactly its size.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_bpf,
            BPF_PROG_LOAD,
            std::ptr::from_ref(&attr),
            std::mem::size_of::<ProgLoadAttr>(),
        )
    };
    if ret < 0 {
        return Err(Errno::last());
    }
    let fd = i32::try_from(ret).map_err(|_| Errno(libc::EBADF))?;
    // SAFETY: a successful BPF_PROG_LOAD returns a new fd that nothing else owns.
    drop(unsafe { OwnedFd::from_raw_fd(fd) });
    Ok(())
}

thread_local! {
    static CAPTURE: RefCell<Option<Vec<String>>> = const { RefCell::new(None) };
}

fn capture_cb(level: libbpf_rs::PrintLevel, msg: String) {
    if level == libbpf_rs::PrintLevel::Debug {
        return;
    }
    CAPTURE.with(|it| {
        if let Some(msgs) = it.borrow_mut().as_mut() {
            msgs.extend(msg.lines().map(str::to_owned));
        }
    });
}

/// Runs `f` and returns what libbpf printed at warning and info level meanwhile on this thread.
/// Messages from other threads (libbpf has one global print hook) are not mixed in.
pub(crate) fn capture_libbpf_messages<T>(f: impl FnOnce() -> T) -> (T, Vec<String>) {
    // Installing is idempotent and cheap; it also undoes any other `set_print` in the process.
    libbpf_rs::set_print(Some((libbpf_rs::PrintLevel::Info, capture_cb)));
    let prev = CAPTURE.with(|it| it.borrow_mut().replace(Vec::new()));
    let res = f();
    let msgs = CAPTURE.with(|it| std::mem::replace(&mut *it.borrow_mut(), prev));
    (res, msgs.unwrap_or_default())
}

/// One program of an [`Object`], as libbpf sees it after `bpf_object__open`.
#[derive(Debug, Clone)]
pub(crate) struct ProgInfo {
    pub(crate) name: String,
    pub(crate) section: String,
    pub(crate) prog_type: u32,
}

/// An opened (and possibly loaded) libbpf `bpf_object`.
pub(crate) struct Object {
    ptr: NonNull<libbpf_sys::bpf_object>,
    progs: Vec<NonNull<libbpf_sys::bpf_program>>,
    /// The ELF image: libbpf keeps pointers into it (`bpf_object__open_mem` does not copy).
    _elf: Box<[u8]>,
    _name: CString,
    /// Per-program log buffers handed to libbpf, indexed like `progs`.
    logs: Vec<Option<Box<[u8]>>>,
}

impl std::fmt::Debug for Object {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Object")
            .field("n_progs", &self.progs.len())
            .finish_non_exhaustive()
    }
}

fn c_str_lossy(p: *const c_char) -> String {
    if p.is_null() {
        return String::new();
    }
    // SAFETY: libbpf returns NUL-terminated strings that live as long as the object (or static
    // strings); `p` was checked non-null and the copy is made before anything can free it.
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

/// The kernel's name of a program type (`socket_filter`, `xdp`, ...), from libbpf's table.
pub(crate) fn prog_type_name(prog_type: u32) -> String {
    // SAFETY: libbpf_bpf_prog_type_str accepts any value and returns a static string or NULL.
    let p = unsafe { libbpf_sys::libbpf_bpf_prog_type_str(prog_type) };
    if p.is_null() {
        format!("prog_type_{prog_type}")
    } else {
        c_str_lossy(p)
    }
}

/// libbpf's program type for an ELF section name (`xdp`, `kprobe/...`), when it knows it.
pub(crate) fn prog_type_of_section(section: &str) -> Option<u32> {
    let name = CString::new(section).ok()?;
    let mut prog_type: libbpf_sys::bpf_prog_type = 0;
    let mut attach_type: libbpf_sys::bpf_attach_type = 0;
    // SAFETY: `name` is a NUL-terminated string and both out-pointers refer to live locals.
    let ret = unsafe {
        libbpf_sys::libbpf_prog_type_by_name(name.as_ptr(), &mut prog_type, &mut attach_type)
    };
    (ret == 0).then_some(prog_type)
}

impl Object {
    /// `bpf_object__open_mem`: parses the ELF, collects programs, maps and relocations.
    /// No kernel object is created yet.
    pub(crate) fn open(elf: &[u8], name: &str) -> Result<Object, Errno> {
        let elf: Box<[u8]> = elf.into();
        let name = CString::new(name.replace('\0', "_")).unwrap_or_default();
        let opts = libbpf_sys::bpf_object_open_opts {
            sz: std::mem::size_of::<libbpf_sys::bpf_object_open_opts>() as libbpf_sys::size_t,
            object_name: name.as_ptr(),
            ..Default::default()
        };
        // SAFETY: `elf` and `name` are owned by the returned `Object` and so outlive the
        // bpf_object; `opts` is fully initialised with its own size and only read during the call.
        let raw = unsafe {
            libbpf_sys::bpf_object__open_mem(elf.as_ptr().cast::<c_void>(), elf.len() as _, &opts)
        };
        let Some(ptr) = NonNull::new(raw) else {
            return Err(Errno::last());
        };
        // Pinning (`LIBBPF_PIN_BY_NAME`, iproute2's `PIN_GLOBAL_NS`) shares a map through a
        // BPF file system path: nothing the verifier looks at, but the load fails where no
        // such file system is mounted (and would reuse another load's map where one is). Each
        // verdict gets maps of its own instead.
        let mut map: *mut libbpf_sys::bpf_map = std::ptr::null_mut();
        loop {
            // SAFETY: `ptr` is a live bpf_object and `map` is null or a map of it.
            map = unsafe { libbpf_sys::bpf_object__next_map(ptr.as_ptr(), map) };
            if map.is_null() {
                break;
            }
            // SAFETY: `map` belongs to the live, not yet loaded object; a null path clears the
            // pin path (libbpf frees its own copy).
            unsafe { libbpf_sys::bpf_map__set_pin_path(map, std::ptr::null()) };
        }
        let mut progs = Vec::new();
        let mut cur: *mut libbpf_sys::bpf_program = std::ptr::null_mut();
        loop {
            // SAFETY: `ptr` is a live bpf_object and `cur` is null or a program of it.
            cur = unsafe { libbpf_sys::bpf_object__next_program(ptr.as_ptr(), cur) };
            match NonNull::new(cur) {
                Some(p) => progs.push(p),
                None => break,
            }
        }
        let logs = vec![None; progs.len()];
        Ok(Object {
            ptr,
            progs,
            _elf: elf,
            _name: name,
            logs,
        })
    }

    /// The programs, in libbpf's order (section order, then offset).
    pub(crate) fn programs(&self) -> Vec<ProgInfo> {
        self.progs
            .iter()
            .map(|p| {
                let p = p.as_ptr();
                // SAFETY: `p` is a program of the live object `self.ptr`; the getters only read.
                let (name, section, prog_type) = unsafe {
                    (
                        libbpf_sys::bpf_program__name(p),
                        libbpf_sys::bpf_program__section_name(p),
                        libbpf_sys::bpf_program__type(p),
                    )
                };
                ProgInfo {
                    name: c_str_lossy(name),
                    section: c_str_lossy(section),
                    prog_type,
                }
            })
            .collect()
    }

    /// Adds load flags (`BPF_F_*` of `BPF_PROG_LOAD`) to those libbpf already gives program `idx`.
    pub(crate) fn add_flags(&mut self, idx: usize, flags: u32) -> Result<(), Errno> {
        let p = self.progs[idx].as_ptr();
        // SAFETY: the program belongs to the live, not yet loaded object.
        let old = unsafe { libbpf_sys::bpf_program__flags(p) };
        // SAFETY: as above.
        Errno::check(unsafe { libbpf_sys::bpf_program__set_flags(p, old | flags) })
    }

    /// Sets whether `bpf_object__load` loads program `idx`.
    pub(crate) fn set_autoload(&mut self, idx: usize, autoload: bool) -> Result<(), Errno> {
        // SAFETY: the program belongs to the live, not yet loaded object.
        let ret =
            unsafe { libbpf_sys::bpf_program__set_autoload(self.progs[idx].as_ptr(), autoload) };
        Errno::check(ret)
    }

    /// Creates (or not) the struct_ops maps at `bpf_object__load`: `keep(name)` says, per
    /// struct_ops map, whether to create it. A map not created does not drag its programs into
    /// the load.
    pub(crate) fn keep_struct_ops_maps(
        &mut self,
        keep: impl Fn(&str) -> bool,
    ) -> Result<(), Errno> {
        let mut map: *mut libbpf_sys::bpf_map = std::ptr::null_mut();
        loop {
            // SAFETY: `self.ptr` is a live bpf_object and `map` is null or a map of it.
            map = unsafe { libbpf_sys::bpf_object__next_map(self.ptr.as_ptr(), map) };
            if map.is_null() {
                return Ok(());
            }
            // SAFETY: `map` belongs to the live, not yet loaded object; the getters only read.
            let (ty, name) = unsafe {
                (
                    libbpf_sys::bpf_map__type(map),
                    libbpf_sys::bpf_map__name(map),
                )
            };
            if ty != libbpf_sys::BPF_MAP_TYPE_STRUCT_OPS || keep(&c_str_lossy(name)) {
                continue;
            }
            // SAFETY: as above; the object is not loaded yet, so autocreate may change.
            Errno::check(unsafe { libbpf_sys::bpf_map__set_autocreate(map, false) })?;
        }
    }

    /// Gives program `idx` a log buffer of `size` bytes owned by `self`, at `level`.
    pub(crate) fn set_log(&mut self, idx: usize, level: u32, size: usize) -> Result<(), Errno> {
        let mut buf = vec![0u8; size].into_boxed_slice();
        let p = self.progs[idx].as_ptr();
        // SAFETY: `buf` is moved into `self.logs` below and lives until `self` is dropped, after
        // bpf_object__close; a boxed slice's heap storage does not move when the box does.
        let ret = unsafe {
            libbpf_sys::bpf_program__set_log_buf(p, buf.as_mut_ptr().cast::<c_char>(), size as _)
        };
        Errno::check(ret)?;
        // SAFETY: as above, the program belongs to the live, not yet loaded object.
        Errno::check(unsafe { libbpf_sys::bpf_program__set_log_level(p, level) })?;
        self.logs[idx] = Some(buf);
        Ok(())
    }

    /// The text the kernel (and libbpf's log fix-ups) wrote into program `idx`'s log buffer.
    pub(crate) fn log(&self, idx: usize) -> String {
        let Some(buf) = &self.logs[idx] else {
            return String::new();
        };
        let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
        String::from_utf8_lossy(&buf[..end]).into_owned()
    }

    /// `bpf_object__load`: creates maps, applies relocations and CO-RE, loads autoload programs.
    pub(crate) fn load(&mut self) -> Result<(), Errno> {
        // SAFETY: `self.ptr` is a live bpf_object; every buffer libbpf holds is owned by `self`.
        Errno::check(unsafe { libbpf_sys::bpf_object__load(self.ptr.as_ptr()) })
    }

    /// The index of program `name`.
    pub(crate) fn program_index(&self, name: &str) -> Option<usize> {
        self.programs().iter().position(|p| p.name == name)
    }

    /// `map[key] = fd of program `prog``, in the program array `map` of the loaded object.
    pub(crate) fn set_prog_slot(&self, map: &str, key: u32, prog: usize) -> Result<(), Errno> {
        let map = CString::new(map).map_err(|_| Errno(libc::EINVAL))?;
        // SAFETY: `self.ptr` is a live, loaded bpf_object; `map` is a NUL-terminated string
        // that outlives the call, which only reads it.
        let map_fd =
            unsafe { libbpf_sys::bpf_object__find_map_fd_by_name(self.ptr.as_ptr(), map.as_ptr()) };
        if map_fd < 0 {
            return Err(Errno(libc::ENOENT));
        }
        let prog_fd = self.prog_fd(prog).ok_or(Errno(libc::EBADF))?;
        // SAFETY: `map_fd` is a map fd owned by the live object; key and value point at
        // 4-byte integers that live across the call, the sizes a program array has.
        let ret = unsafe {
            libbpf_sys::bpf_map_update_elem(
                map_fd,
                (&key as *const u32).cast::<c_void>(),
                (&prog_fd as *const libc::c_int).cast::<c_void>(),
                0,
            )
        };
        Errno::check(ret)
    }

    /// The fd of loaded program `idx` (borrowed from the object: libbpf closes it).
    pub(crate) fn prog_fd(&self, idx: usize) -> Option<libc::c_int> {
        // SAFETY: the program belongs to the live object; the getter only reads.
        let fd = unsafe { libbpf_sys::bpf_program__fd(self.progs[idx].as_ptr()) };
        (fd >= 0).then_some(fd)
    }
}

impl Drop for Object {
    fn drop(&mut self) {
        // SAFETY: `self.ptr` came from bpf_object__open_mem and is closed exactly once, here;
        // this closes every map and program fd libbpf created for the object.
        unsafe { libbpf_sys::bpf_object__close(self.ptr.as_ptr()) };
    }
}

/// Buffers and parameters of one `BPF_PROG_TEST_RUN`.
#[derive(Debug, Default)]
pub(crate) struct RawTestRun<'a> {
    pub(crate) data_in: Option<&'a [u8]>,
    pub(crate) data_out: Option<&'a mut [u8]>,
    pub(crate) ctx_in: Option<&'a [u8]>,
    pub(crate) ctx_out: Option<&'a mut [u8]>,
    pub(crate) repeat: u32,
}

/// What `BPF_PROG_TEST_RUN` reported.
#[derive(Debug)]
pub(crate) struct RawTestResult {
    pub(crate) retval: u32,
    pub(crate) data_size_out: u32,
    pub(crate) ctx_size_out: u32,
    pub(crate) duration_ns: u32,
}

/// `BPF_PROG_TEST_RUN` on program `idx` of a loaded `obj`.
pub(crate) fn test_run(
    obj: &Object,
    idx: usize,
    run: RawTestRun<'_>,
) -> Result<RawTestResult, Errno> {
    let fd = obj.prog_fd(idx).ok_or(Errno(libc::EBADF))?;
    let len = |s: Option<usize>| u32::try_from(s.unwrap_or(0)).map_err(|_| Errno(libc::E2BIG));
    let mut opts = libbpf_sys::bpf_test_run_opts {
        sz: std::mem::size_of::<libbpf_sys::bpf_test_run_opts>() as libbpf_sys::size_t,
        data_size_in: len(run.data_in.map(<[u8]>::len))?,
        data_size_out: len(run.data_out.as_ref().map(|it| it.len()))?,
        ctx_size_in: len(run.ctx_in.map(<[u8]>::len))?,
        ctx_size_out: len(run.ctx_out.as_ref().map(|it| it.len()))?,
        repeat: i32::try_from(run.repeat).map_err(|_| Errno(libc::E2BIG))?,
        ..Default::default()
    };
    opts.data_in = run
        .data_in
        .map_or(std::ptr::null(), |it| it.as_ptr().cast());
    opts.data_out = run
        .data_out
        .map_or(std::ptr::null_mut(), |it| it.as_mut_ptr().cast());
    opts.ctx_in = run.ctx_in.map_or(std::ptr::null(), |it| it.as_ptr().cast());
    opts.ctx_out = run
        .ctx_out
        .map_or(std::ptr::null_mut(), |it| it.as_mut_ptr().cast());
    // SAFETY: `fd` is a program fd owned by the live `obj`; every buffer pointer in `opts` comes
    // from a slice borrowed for this call, with its exact length, so the kernel writes in bounds.
    let ret = unsafe { libbpf_sys::bpf_prog_test_run_opts(fd, &mut opts) };
    Errno::check(ret)?;
    Ok(RawTestResult {
        retval: opts.retval,
        data_size_out: opts.data_size_out,
        ctx_size_out: opts.ctx_size_out,
        duration_ns: opts.duration,
    })
}

/// The uid and gid an unprivileged load runs as (`nobody`/`nogroup` on most distributions; only
/// the absence of root matters).
pub(crate) const UNPRIVILEGED_ID: u32 = 65534;

/// Drops the calling thread, and only it, to uid/gid [`UNPRIVILEGED_ID`] with no supplementary
/// groups and no capabilities, for good (it cannot get them back).
///
/// Linux keeps credentials per thread; glibc's `setresuid` changes every thread of the process,
/// so the raw syscalls are used: the rest of the process stays root. Changing every uid away
/// from 0 makes the kernel clear the permitted, effective and ambient capability sets (no
/// `SECBIT_KEEP_CAPS` is set), which is checked afterwards.
pub(crate) fn drop_thread_privileges() -> Result<(), Errno> {
    let id = libc::c_long::from(UNPRIVILEGED_ID);
    // SAFETY: setgroups(0, NULL) reads no memory; it only empties this thread's group list.
    if unsafe { libc::syscall(libc::SYS_setgroups, 0, std::ptr::null::<libc::gid_t>()) } < 0 {
        return Err(Errno::last());
    }
    // SAFETY: setresgid takes three integers and touches no memory of ours.
    if unsafe { libc::syscall(libc::SYS_setresgid, id, id, id) } < 0 {
        return Err(Errno::last());
    }
    // SAFETY: setresuid takes three integers and touches no memory of ours.
    if unsafe { libc::syscall(libc::SYS_setresuid, id, id, id) } < 0 {
        return Err(Errno::last());
    }
    Ok(())
}
