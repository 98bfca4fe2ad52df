//! Compiles one plugin for the Reel host, in a process of its own so its
//! time and memory can be bounded (see `reel_runtime::compile`).

fn main() -> std::process::ExitCode {
    reel_runtime::compiler_main()
}
