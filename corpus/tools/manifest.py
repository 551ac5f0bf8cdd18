# SPDX-License-Identifier: MIT OR Apache-2.0
"""Generate corpus/manifest.json from the `bpfvet-expect` comments in the
sources and the compiled objects; optionally confirm every expectation
against the running kernel (--confirm, needs root).

Usage (from the repository root; build.sh calls it):
  python3 corpus/tools/manifest.py [--confirm] [--only SUBSTRING] [--clang-version V] [--cflags F]
"""
import argparse
import hashlib
import json
import os
import platform
import re
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bpfelf  # noqa: E402

EXPECT_RE = re.compile(
    r'^\s*//\s*bpfvet-expect\((?P<prog>[A-Za-z_][A-Za-z0-9_]*)\):\s*'
    r'(?P<verdict>accept|reject|refused)'
    r'(?:\s+(?P<msg>"(?:[^"\\]|\\.)*"))?\s*$')
LOOSE_RE = re.compile(r'bpfvet-expect')
MANIFEST = "corpus/manifest.json"
# One directory per kernel build, each with the `bpfvet kernel --format summary` column that
# tests/kernel_corpus.rs keeps for that build (see tests/kernel_support/columns.rs).
COLUMNS = "snapshots/kernel"
SUMMARY_RE = re.compile(r'^(?P<obj>\S+) (?P<prog>\S+) \([^)]*\): (?P<verdict>accepted|rejected|refused)\b')
WORDS = {"accepted": "accept", "rejected": "reject", "refused": "refused"}


def build_columns():
    """{(object, program): {release: verdict}} from every recorded build's corpus column."""
    out = {}
    if not os.path.isdir(COLUMNS):
        return out
    for release in sorted(os.listdir(COLUMNS)):
        path = os.path.join(COLUMNS, release, "corpus.txt")
        if not os.path.isfile(path):
            continue
        with open(path) as f:
            for line in f:
                m = SUMMARY_RE.match(line)
                if m:
                    out.setdefault((m.group("obj"), m.group("prog")), {})[release] = WORDS[m.group("verdict")]
    return out


def parse_expectations(src):
    out = {}
    with open(src) as f:
        for lineno, line in enumerate(f, 1):
            if not LOOSE_RE.search(line):
                continue
            m = EXPECT_RE.match(line)
            if not m:
                raise SystemExit(f"{src}:{lineno}: malformed bpfvet-expect line: {line.rstrip()}")
            prog, verdict, msg = m.group("prog"), m.group("verdict"), m.group("msg")
            if verdict == "accept" and msg is not None:
                raise SystemExit(f"{src}:{lineno}: accept takes no message")
            if verdict != "accept" and msg is None:
                raise SystemExit(f"{src}:{lineno}: {verdict} needs a quoted message")
            if prog in out:
                raise SystemExit(f"{src}:{lineno}: duplicate expectation for {prog}")
            out[prog] = (verdict, json.loads(msg) if msg else None, lineno)
    return out


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--confirm", action="store_true", help="load every program into the running kernel")
    ap.add_argument("--only", default=None, help="with --confirm: only objects whose path contains this")
    ap.add_argument("--clang-version", default=None)
    ap.add_argument("--cflags", default=None)
    args = ap.parse_args()

    old = {}
    old_top = {}
    if os.path.exists(MANIFEST):
        with open(MANIFEST) as f:
            old_top = json.load(f)
        for e in old_top.get("programs", []):
            old[(e["object"], e["program"])] = e

    srcs = []
    for root, dirs, files in os.walk("corpus/c"):
        dirs.sort()
        for fn in sorted(files):
            if fn.endswith(".bpf.c"):
                srcs.append(os.path.join(root, fn))
    srcs.sort()

    release = platform.release()
    columns = build_columns()
    entries, failures = [], []
    if args.confirm:
        import kload  # noqa: E402  (ctypes + libbpf only needed here)
    for src in srcs:
        obj = src[:-2] + ".o"
        exp = parse_expectations(src)
        elf = bpfelf.Elf(obj)
        progs = elf.programs()
        names = [p[0] for p in progs]
        for n in names:
            if n not in exp:
                failures.append(f"{src}: program {n} has no bpfvet-expect line")
        for n in exp:
            if n not in names:
                failures.append(f"{src}: bpfvet-expect({n}) names no program in {obj}")
        digest = sha256(obj)
        legacy = elf.section("maps") is not None
        for name, secname, _off, size in sorted(progs):
            if name not in exp:
                continue
            verdict, msg, lineno = exp[name]
            e = {
                "object": obj,
                "source": src,
                "line": lineno,
                "program": name,
                "section": secname,
                "insn_slots": size // 8,
                "expectation": verdict,
                "kernel_message": msg,
                "legacy_maps": legacy,
                "object_sha256": digest,
                "confirmed_on": None,
                "kernels": columns.get((obj, name), {}),
            }
            prev = old.get((obj, name))
            if (prev and prev.get("object_sha256") == digest and prev.get("expectation") == verdict
                    and prev.get("kernel_message") == msg and verdict != "refused"):
                e["confirmed_on"] = prev.get("confirmed_on")
            if args.confirm and (args.only is None or args.only in obj):
                r = kload.load_program(obj, name)
                got = "accept" if r["loaded"] else "reject"
                ok = False
                if verdict == "accept":
                    ok = r["loaded"]
                elif verdict == "reject":
                    ok = ((not r["loaded"]) and bool(r["error_line"]) and msg in r["log"]
                          and any(msg in ln for ln in r["reason_lines"]))
                elif verdict == "refused":
                    # refused: the kernel would not even verify it here (EPERM etc.), so
                    # the expectation is not kernel-confirmed; we only check that it fails
                    # before producing a verifier verdict.
                    ok = (not r["loaded"]) and not r["error_line"]
                # The expectation is the conservative verdict over every recorded build: a build
                # may accept what another recorded build rejects.
                if (not ok and verdict == "reject" and r["loaded"]
                        and "reject" in e["kernels"].values()):
                    print(f"note {obj} {name}: this build accepts; recorded builds that reject: "
                          f"{[k for k, v in e['kernels'].items() if v == 'reject']}")
                    ok = True
                if ok and verdict != "refused":
                    e["confirmed_on"] = release
                elif not ok:
                    e["confirmed_on"] = None
                    failures.append(f"{src}:{lineno}: {name}: expected {verdict} {msg!r}, kernel: {got} "
                                    f"errno={r['errno']} line={r['error_line']!r} libbpf={r.get('libbpf')}")
                status = "ok " if ok else "BAD"
                print(f"{status} {obj} {name}: {verdict} (kernel: {got}"
                      f"{' ' + repr(r['error_line']) if r['error_line'] else ''}"
                      f"{' ' + r['errno'] if r['errno'] and not r['error_line'] else ''})")
            entries.append(e)

    top = {
        "format": 1,
        "match": "substring",
        "clang": args.clang_version or old_top.get("clang"),
        "cflags": args.cflags or old_top.get("cflags"),
        "programs": entries,
    }
    with open(MANIFEST, "w") as f:
        json.dump(top, f, indent=1, sort_keys=False)
        f.write("\n")
    n = len(entries)
    acc = sum(1 for e in entries if e["expectation"] == "accept")
    rej = sum(1 for e in entries if e["expectation"] == "reject")
    ref = sum(1 for e in entries if e["expectation"] == "refused")
    conf = sum(1 for e in entries if e["confirmed_on"])
    print(f"manifest: {len(srcs)} objects, {n} programs: {acc} accept, {rej} reject, {ref} refused; "
          f"{conf} kernel-confirmed")
    if failures:
        print("\n".join(["FAILURES:"] + failures), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
