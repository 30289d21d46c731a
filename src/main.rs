//! `async-lint`: the command-line entry point. All logic is in the library.

use std::process::ExitCode;

use clap::Parser;

// mimalloc: syntax trees are built and freed per file on every worker; glibc's per-thread
// arenas keep freed trees around (more peak memory) and are 20% slower.
async_lint::register_tuning!();

fn main() -> ExitCode {
    let cli = async_lint::cli::Cli::parse();
    let opts = if cli.selection().is_given() {
        match cli.into_cargo_options() {
            Ok(opts) => opts,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(async_lint::run::EXIT_USAGE);
            }
        }
    } else {
        cli.into_options()
    };
    let code = async_lint::run::run(
        &opts,
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    );
    ExitCode::from(code)
}
