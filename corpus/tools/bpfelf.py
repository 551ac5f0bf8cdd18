# SPDX-License-Identifier: MIT OR Apache-2.0
"""Minimal ELF64 little-endian reader for BPF objects (no third-party deps).

Only what the corpus tools need: section headers, symbols, REL relocations.
"""
import struct

SHT_SYMTAB = 2
SHT_REL = 9
SHF_EXECINSTR = 0x4
STT_FUNC = 2
STB_GLOBAL = 1


class Section:
    def __init__(self, idx, name, sh_type, flags, offset, size, link, info, entsize, data):
        self.idx = idx
        self.name = name
        self.type = sh_type
        self.flags = flags
        self.offset = offset
        self.size = size
        self.link = link
        self.info = info
        self.entsize = entsize
        self.data = data


class Symbol:
    def __init__(self, name, value, size, info, shndx):
        self.name = name
        self.value = value
        self.size = size
        self.bind = info >> 4
        self.type = info & 0xF
        self.shndx = shndx


class Elf:
    def __init__(self, path):
        with open(path, "rb") as f:
            self.raw = f.read()
        raw = self.raw
        if raw[:4] != b"\x7fELF" or raw[4] != 2 or raw[5] != 1:
            raise ValueError(f"{path}: not a little-endian ELF64 file")
        (e_shoff,) = struct.unpack_from("<Q", raw, 0x28)
        e_shentsize, e_shnum, e_shstrndx = struct.unpack_from("<HHH", raw, 0x3A)
        hdrs = []
        for i in range(e_shnum):
            hdrs.append(struct.unpack_from("<IIQQQQIIQQ", raw, e_shoff + i * e_shentsize))
        shstr = hdrs[e_shstrndx]
        strtab = raw[shstr[4]:shstr[4] + shstr[5]]
        self.sections = []
        for i, h in enumerate(hdrs):
            name = strtab[h[0]:strtab.index(b"\0", h[0])].decode()
            data = raw[h[4]:h[4] + h[5]] if h[1] != 8 else b""  # SHT_NOBITS
            self.sections.append(Section(i, name, h[1], h[2], h[4], h[5], h[6], h[7], h[8], data))
        self.symbols = []
        for s in self.sections:
            if s.type == SHT_SYMTAB:
                names = self.sections[s.link].data
                for off in range(0, len(s.data), 24):
                    st_name, st_info, _o, st_shndx, st_value, st_size = struct.unpack_from("<IBBHQQ", s.data, off)
                    nm = names[st_name:names.index(b"\0", st_name)].decode()
                    self.symbols.append(Symbol(nm, st_value, st_size, st_info, st_shndx))

    def section(self, name):
        for s in self.sections:
            if s.name == name:
                return s
        return None

    def programs(self):
        """(function name, section name, offset, size) of every program.

        A program is a global function symbol in an executable section other
        than .text (static/global sub-functions live in .text)."""
        out = []
        for sym in self.symbols:
            if sym.type != STT_FUNC or sym.shndx == 0 or sym.shndx >= len(self.sections):
                continue
            sec = self.sections[sym.shndx]
            if not (sec.flags & SHF_EXECINSTR) or sec.name == ".text":
                continue
            out.append((sym.name, sec.name, sym.value, sym.size))
        return out

    def relocations(self, target_idx):
        """List of (r_offset, r_type, symbol) for REL sections applying to section target_idx."""
        out = []
        for s in self.sections:
            if s.type == SHT_REL and s.info == target_idx:
                for off in range(0, len(s.data), 16):
                    r_offset, r_info = struct.unpack_from("<QQ", s.data, off)
                    out.append((r_offset, r_info & 0xFFFFFFFF, self.symbols[r_info >> 32]))
        return out
