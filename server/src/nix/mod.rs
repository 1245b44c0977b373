//! The only code that starts `nix`.
