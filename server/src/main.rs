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
