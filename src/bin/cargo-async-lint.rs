//! `cargo-async-lint`: lets `cargo async-lint [ARGS]` work (cargo passes `async-lint` as the
//! first argument; it is dropped), then runs exactly like `async-lint`.

use std::process::ExitCode;

use clap::Parser;

// mimalloc: syntax trees are built and freed per file on every worker; glibc's per-thread
// arenas keep freed trees around (more peak memory) and are 20% slower.
async_lint::register_tuning!();

fn main() -> ExitCode {
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.get(1).is_some_and(|a| a == "async-lint") {
        args.remove(1);
    }
    let cli = async_lint::cli::Cli::parse_from(args);
    let code = async_lint::run::run(
        &cli.into_options(),
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    );
    ExitCode::from(code)
}
