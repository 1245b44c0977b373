//! The environment engine: realise a flake's dev shell, apply it, find Python, cache the
//! result, and keep untrusted flakes from running anything. DESIGN.md, "The environment engine".

pub mod apply;
pub mod cache;
pub mod python;
pub mod trust;
