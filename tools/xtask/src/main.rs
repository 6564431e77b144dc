//! `cargo run -p xtask -- adapter OUT`: writes the WASI preview1 -> preview2 reactor
//! adapter to OUT. The adapter ships inside a crates.io crate, so taking it from there
//! keeps the build on registries this project can reach.
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [cmd, out] if cmd == "adapter" => {
            let bytes =
                wasi_preview1_component_adapter_provider::WASI_SNAPSHOT_PREVIEW1_REACTOR_ADAPTER;
            match std::fs::write(out, bytes) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("xtask: cannot write {out}: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        _ => {
            eprintln!("usage: xtask adapter OUT");
            ExitCode::from(2)
        }
    }
}
