//! Interpreter and x86-64 JIT for eBPF programs.
