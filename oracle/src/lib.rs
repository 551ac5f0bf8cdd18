//! The live Linux verifier as oracle.
