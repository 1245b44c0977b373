//! The only code that starts `nix`.
pub mod internal_json;
