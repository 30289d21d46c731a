//! `cargo-async-lint`: the cargo subcommand `cargo async-lint [ARGS]` (cargo passes
//! `async-lint` as the first argument; it is dropped). With paths it runs exactly like
//! `async-lint`; without, it lints the current package, or the workspace at its root, or what
//! `-p NAME` / `--workspace` / `--manifest-path` select (see `async_lint::cargo_cmd`).

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
    let opts = match cli.into_cargo_options() {
        Ok(opts) => opts,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(async_lint::run::EXIT_USAGE);
        }
    };
    let code = async_lint::run::run(
        &opts,
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    );
    ExitCode::from(code)
}
