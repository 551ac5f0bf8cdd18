#!/usr/bin/env python3
# Writes corpus/realworld/sources.json from a complete cache of scripts/fetch-realworld:
# every object of the real-world corpus with its origin, Debian package, version, licence and
# (for objects Debian ships as they are) its sha256. Run after a fetch that changed the set:
#   python3 corpus/realworld/make_sources.py [CACHE_DIR]
import glob, hashlib, json, os, sys

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
cache = sys.argv[1] if len(sys.argv) > 1 else os.environ.get(
    "BPFVET_REALWORLD_DIR", os.path.expanduser("~/.cache/bpfvet-realworld"))

def version(pkg):
    with open(os.path.join(cache, "x", pkg + ".version")) as f:
        return f.read().strip()

def sha(path):
    with open(os.path.join(cache, path), "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()

def rel(pattern):
    return sorted(os.path.relpath(p, cache) for p in glob.glob(os.path.join(cache, pattern), recursive=True)
                  if os.path.isfile(p))

ORIGINS = [
    # (origin, package, licence, shipped as built by Debian?, pattern, what)
    ("libxdp", "libxdp1", "GPL-2.0 (xdp-tools BPF programs)", True,
     "x/libxdp1/usr/lib/x86_64-linux-gnu/bpf/*.o", "BPF objects libxdp loads"),
    ("cilium-ebpf", "golang-github-cilium-ebpf-dev", "MIT (Expat)", True,
     "x/golang-github-cilium-ebpf-dev/usr/share/gocode/src/github.com/cilium/ebpf/**/*.elf",
     "cilium/ebpf testdata, clang-built, -el little- and -eb big-endian"),
    ("libbpf-tools", "libbpf-tools", "Apache-2.0 (tools), GPL for their BPF code", True,
     "x/libbpf-tools/usr/sbin/*", "executables with libbpf skeleton objects embedded"),
    ("samples-bpf", "linux-source-6.12", "GPL-2.0", False,
     "samples-bpf/*.o", "samples/bpf *.bpf.c built here with clang-19 (scripts/fetch-realworld)"),
    ("gcc-bpf", "gcc-bpf (this repository's corpus/c)", "MIT OR Apache-2.0 (sources); objects built here", False,
     "gcc-bpf/**/*.o", "corpus/c programs built with GCC's BPF backend (bpf-gcc 12)"),
]

objects = []
for origin, pkg, lic, shipped, pattern, what in ORIGINS:
    ver = version(pkg) if shipped or pkg == "linux-source-6.12" else \
        open(os.path.join(cache, "gcc-bpf", "BUILT")).read().strip()
    for p in rel(pattern):
        if p.endswith(("BUILT", "SKIPPED")):
            continue
        e = {"path": p, "origin": origin, "package": pkg, "version": ver, "license": lic,
             # Nothing third-party is committed: the test reads every object from the cache.
             "committed": False}
        if shipped:
            e["sha256"] = sha(p)
        objects.append(e)

doc = {
    "about": "The real-world corpus: objects bpfvet's authors did not write (and the corpus's own "
             "programs built by a second toolchain). scripts/fetch-realworld puts them in the cache "
             "($BPFVET_REALWORLD_DIR, default ~/.cache/bpfvet-realworld); paths are relative to it. "
             "tests/realworld.rs reads them there; snapshots/realworld/table.txt is the result.",
    "origins": [{"origin": o, "package": p, "license": l, "what": w} for o, p, l, _, _, w in ORIGINS],
    "objects": objects,
}
out = os.path.join(root, "corpus", "realworld", "sources.json")
with open(out, "w") as f:
    json.dump(doc, f, indent=1)
    f.write("\n")
print(f"{out}: {len(objects)} objects")
