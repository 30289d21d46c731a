//! `async-lint`: the command-line entry point. All logic is in the library.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = async_lint::cli::Cli::parse();
    let code = async_lint::run::run(
        &cli.into_options(),
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    );
    ExitCode::from(code)
}
