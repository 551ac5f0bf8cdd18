# SPDX-License-Identifier: MIT OR Apache-2.0
"""Load ONE program of a corpus object into the running kernel and report the
verdict plus the verifier log.  Needs root (CAP_BPF + CAP_PERFMON/SYS_ADMIN).

Two paths:
  * libbpf (through ctypes on the system libbpf.so.1): every object except the
    legacy ones.  The object is opened fresh for each program and every other
    program's autoload is switched off, so each program is judged alone.
  * legacy: objects with a `SEC("maps")` section of `struct bpf_map_def`
    (libbpf >= 1.0 refuses those).  A tiny raw loader creates the maps, patches
    the ld_imm64 map relocations and calls BPF_PROG_LOAD directly.  It supports
    no BTF, no subprograms and no global data, which the legacy objects avoid.

Usage as a script:  python3 kload.py OBJECT [PROGRAM...]
"""
import ctypes
import ctypes.util
import errno as errno_mod
import json
import os
import re
import struct
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bpfelf  # noqa: E402

LOG_SIZE = 16 * 1024 * 1024
_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
_libbpf = None
_libbpf_msgs = []

PRINT_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p)


@PRINT_FN
def _print_cb(level, fmt, args):
    buf = ctypes.create_string_buffer(4096)
    _libc.vsnprintf(buf, ctypes.c_size_t(len(buf)), fmt, ctypes.c_void_p(args))
    if level <= 1:  # LIBBPF_WARN, LIBBPF_INFO
        _libbpf_msgs.append(buf.value.decode(errors="replace").rstrip("\n"))
    return 0


def _lib():
    global _libbpf
    if _libbpf is None:
        lib = ctypes.CDLL("libbpf.so.1", use_errno=True)
        vp = ctypes.c_void_p
        lib.bpf_object__open_file.restype = vp
        lib.bpf_object__open_file.argtypes = [ctypes.c_char_p, vp]
        lib.bpf_object__next_program.restype = vp
        lib.bpf_object__next_program.argtypes = [vp, vp]
        lib.bpf_program__name.restype = ctypes.c_char_p
        lib.bpf_program__name.argtypes = [vp]
        lib.bpf_program__section_name.restype = ctypes.c_char_p
        lib.bpf_program__section_name.argtypes = [vp]
        lib.bpf_program__set_autoload.argtypes = [vp, ctypes.c_bool]
        lib.bpf_program__set_log_buf.argtypes = [vp, ctypes.c_char_p, ctypes.c_size_t]
        lib.bpf_program__set_log_level.argtypes = [vp, ctypes.c_uint32]
        lib.bpf_object__load.argtypes = [vp]
        lib.bpf_object__close.argtypes = [vp]
        lib.libbpf_set_print.restype = vp
        lib.libbpf_set_print.argtypes = [PRINT_FN]
        lib.libbpf_set_print(_print_cb)
        _libbpf = lib
    return _libbpf


TRAILER = re.compile(r"^(processed \d+ insns|verification time|stack depth|max_states_per_insn|"
                     r"Live regs before insn|func#\d+ @\d+|-- (BEGIN|END) PROG LOAD LOG|"
                     r"cur state:|old state:)")


def reason_lines(log, n=3):
    """The verifier log's last n meaningful lines (trailing statistics and
    state dumps removed). On a failure the last one states the reason; recent
    kernels often print a specific line followed by a generic summary line,
    e.g. "invalid access to map value, value_size=8 off=8 size=8" then
    "R1 min value is outside of the allowed memory range"."""
    lines = [ln.rstrip() for ln in log.splitlines()]
    while lines and (not lines[-1].strip() or TRAILER.match(lines[-1].strip())):
        lines.pop()
    return [ln.strip() for ln in lines[-n:]]


def error_line(log):
    """The verifier log's last meaningful line (the reason, on a failure)."""
    r = reason_lines(log, 1)
    return r[-1] if r else ""


def _result(ok, err, log, loader, extra=None):
    d = {
        "loaded": ok,
        "errno": None if ok else errno_mod.errorcode.get(err, str(err)),
        "error_line": None if ok else error_line(log),
        "reason_lines": [] if ok else reason_lines(log),
        "log": log,
        "loader": loader,
    }
    if extra:
        d.update(extra)
    return d


def load_libbpf(obj_path, prog_name, log_level=1):
    lib = _lib()
    del _libbpf_msgs[:]
    obj = lib.bpf_object__open_file(obj_path.encode(), None)
    if not obj:
        e = ctypes.get_errno()
        return _result(False, e, "", "libbpf", {"libbpf": list(_libbpf_msgs), "stage": "open"})
    buf = ctypes.create_string_buffer(LOG_SIZE)
    found = False
    p = lib.bpf_object__next_program(obj, None)
    while p:
        name = lib.bpf_program__name(p).decode()
        if name == prog_name:
            found = True
            lib.bpf_program__set_log_buf(p, buf, LOG_SIZE)
            lib.bpf_program__set_log_level(p, log_level)
        else:
            lib.bpf_program__set_autoload(p, False)
        p = lib.bpf_object__next_program(obj, p)
    if not found:
        lib.bpf_object__close(obj)
        raise KeyError(f"{obj_path}: no program {prog_name}")
    rc = lib.bpf_object__load(obj)
    log = buf.value.decode(errors="replace")
    lib.bpf_object__close(obj)
    return _result(rc == 0, -rc if rc < 0 else rc, log, "libbpf", {"libbpf": list(_libbpf_msgs), "stage": "load"})


# ---------------------------------------------------------------- legacy path
SYS_bpf = 321  # x86_64
BPF_MAP_CREATE, BPF_PROG_LOAD = 0, 5

PROG_TYPES = [  # (section prefix, prog_type, expected_attach_type)
    ("socket", 1, 0), ("kprobe/", 2, 0), ("kretprobe/", 2, 0), ("classifier", 3, 0), ("tc", 3, 0),
    ("action", 4, 0), ("tracepoint/", 5, 0), ("tp/", 5, 0), ("xdp", 6, 37), ("perf_event", 7, 0),
    ("raw_tracepoint/", 17, 0), ("raw_tp/", 17, 0),
]


def _bpf(cmd, attr):
    b = ctypes.create_string_buffer(bytes(attr), len(attr))
    r = _libc.syscall(ctypes.c_long(SYS_bpf), ctypes.c_int(cmd), b, ctypes.c_uint(len(attr)))
    return r, ctypes.get_errno()


def load_legacy(obj_path, prog_name):
    elf = bpfelf.Elf(obj_path)
    maps_sec = elf.section("maps")
    fds = {}
    opened = []
    try:
        for sym in elf.symbols:
            if maps_sec is not None and sym.shndx == maps_sec.idx and sym.type == 1:  # STT_OBJECT
                mtype, ks, vs, me, flags = struct.unpack_from("<IIIII", maps_sec.data, sym.value)
                attr = bytearray(128)
                struct.pack_into("<IIIII", attr, 0, mtype, ks, vs, me, flags)
                name = sym.name[:15].encode()
                attr[28:28 + len(name)] = name  # map_name
                fd, e = _bpf(BPF_MAP_CREATE, attr)
                if fd < 0:
                    return _result(False, e, "", "legacy", {"stage": "map_create " + sym.name})
                fds[sym.value] = fd
                opened.append(fd)
        prog = [p for p in elf.programs() if p[0] == prog_name]
        if not prog:
            raise KeyError(f"{obj_path}: no program {prog_name}")
        _, secname, off, size = prog[0]
        sec = elf.section(secname)
        insns = bytearray(sec.data[off:off + size])
        for r_off, r_type, sym in elf.relocations(sec.idx):
            if not (off <= r_off < off + size):
                continue
            if r_type != 1 or maps_sec is None or sym.shndx != maps_sec.idx:
                raise ValueError(f"{obj_path}: legacy loader cannot apply relocation {r_type} to {sym.name}")
            i = r_off - off
            insns[i + 1] = (insns[i + 1] & 0x0F) | (1 << 4)  # src_reg = BPF_PSEUDO_MAP_FD
            struct.pack_into("<i", insns, i + 4, fds[sym.value])
        lic = elf.section("license").data.split(b"\0")[0] + b"\0"
        ptype = None
        for prefix, t, eat in PROG_TYPES:
            if secname == prefix.rstrip("/") or secname.startswith(prefix):
                ptype, att = t, eat
                break
        if ptype is None:
            raise ValueError(f"{obj_path}: legacy loader does not know section {secname}")
        insn_buf = ctypes.create_string_buffer(bytes(insns), len(insns))
        lic_buf = ctypes.create_string_buffer(lic, len(lic))
        log_buf = ctypes.create_string_buffer(LOG_SIZE)
        attr = bytearray(128)
        struct.pack_into("<IIQQIIQ", attr, 0, ptype, len(insns) // 8, ctypes.addressof(insn_buf),
                         ctypes.addressof(lic_buf), 1, LOG_SIZE, ctypes.addressof(log_buf))
        name = prog_name[:15].encode()
        attr[48:48 + len(name)] = name  # prog_name
        struct.pack_into("<I", attr, 68, att)  # expected_attach_type
        fd, e = _bpf(BPF_PROG_LOAD, attr)
        log = log_buf.value.decode(errors="replace")
        if fd >= 0:
            os.close(fd)
        return _result(fd >= 0, e, log, "legacy", {"stage": "load"})
    finally:
        for fd in opened:
            os.close(fd)


def is_legacy(obj_path):
    return bpfelf.Elf(obj_path).section("maps") is not None


def load_program(obj_path, prog_name):
    if is_legacy(obj_path):
        return load_legacy(obj_path, prog_name)
    r = load_libbpf(obj_path, prog_name)
    if not r["loaded"] and r["errno"] == "ENOSPC":
        # The kernel fails a load whose verifier log overflowed the buffer even when the
        # program verified (a long loop at log level 1 writes far more than 16 MiB). Without
        # a log the verdict is the verifier's own.
        quiet = load_libbpf(obj_path, prog_name, log_level=0)
        if quiet["loaded"]:
            quiet["libbpf"] = ["log level 1 overflowed the 16 MiB buffer; loaded at log level 0"]
            return quiet
    return r


if __name__ == "__main__":
    obj = sys.argv[1]
    names = sys.argv[2:] or [p[0] for p in bpfelf.Elf(obj).programs()]
    for n in names:
        r = load_program(obj, n)
        if os.environ.get("KLOAD_LOG"):
            print(r["log"])
        r.pop("log")
        print(json.dumps({"program": n, **r}))
