//! The `lucid` binary: parse arguments, run the command, map errors to exit codes. Nothing else.

use std::process::ExitCode;

mod cli;

fn main() -> ExitCode {
    // A panic is a bug, not a user error: one line, the internal exit code, terminal untouched.
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!("lucid: internal error: {msg}{at}");
        eprintln!("hint: this is a bug; please report it with the command you ran");
    }));
    match std::panic::catch_unwind(cli::run) {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => {
            let code = cli::exit_code(&e);
            // A reader that went away (`lucid log | head`) is not worth a message.
            if code != 0 {
                cli::report(&e);
            }
            ExitCode::from(code)
        }
        Err(_) => ExitCode::from(70),
    }
}
