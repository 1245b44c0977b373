use std::process::ExitCode;

fn main() -> ExitCode {
    // Analysis recurses over syntax trees nested up to the parser's limit: give it room.
    let child = std::thread::Builder::new()
        .name("flake-lsp".into())
        .stack_size(flake_lsp::STACK_SIZE)
        .spawn(|| flake_lsp::cli::main(std::env::args_os().skip(1).collect()));
    match child.map(|c| c.join()) {
        Ok(Ok(code)) => code,
        _ => ExitCode::from(3),
    }
}

/// On x86_64 Linux the allocator is mimalloc (the formatter, alejandra, makes it the global
/// one). It reserves a 1 GiB arena backed by transparent huge pages, so every page it touches
/// costs 2 MiB of memory: 10 of the 11 MB of anonymous memory of a server that had opened
/// nothing (measured in docs/performance.md). Without huge pages, the memory in use is the
/// pages in use. The setting is inherited by the processes the server starts; nix, git and
/// bash run as well with 4 KiB pages.
///
/// It runs as a constructor before mimalloc's own (priority 101, which makes the arena), as a
/// call at the start of `main` would come after the first huge pages were taken.
#[cfg(target_os = "linux")]
#[used]
#[unsafe(link_section = ".init_array.00100")]
static NO_HUGE_PAGES: extern "C" fn() = {
    extern "C" fn no_huge_pages() {
        // SAFETY: prctl with PR_SET_THP_DISABLE takes plain integers, changes no memory and
        // allocates nothing.
        unsafe {
            libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
        }
    }
    no_huge_pages
};
