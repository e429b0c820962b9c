//! Builds the guest component for `wasm32-wasip2`, so that every `cargo build`
//! or `cargo test` of the host uses the current guest (as wasmtime's
//! `test-programs` and Spin's test components do).
//!
//! The nested cargo gets its own target directory (`target/guest`), so it
//! never waits on the outer build's lock, and it is shared by `build`,
//! `clippy` and `test` so the guest compiles once. The guest is built in the
//! size-optimised release profile: the artifact that ships is the one tested.

use std::env;
use std::path::PathBuf;
use std::process::Command;

fn main() {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let root = manifest_dir
        .parent()
        .expect("host-harness lives in the workspace")
        .to_path_buf();
    for watched in ["src", "wit", "Cargo.toml", "Cargo.lock"] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }
    let target_dir = env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|dir| {
            if dir.is_absolute() {
                dir
            } else {
                root.join(dir)
            }
        })
        .unwrap_or_else(|| root.join("target"))
        .join("guest");

    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(&root)
        .args(["build", "--package", "siptel-sms", "--lib", "--release"])
        .args(["--target", "wasm32-wasip2", "--locked"])
        .env("CARGO_TARGET_DIR", &target_dir);
    // What the outer cargo set for the host build must not leak into the guest
    // build (clippy's wrapper, host rustflags, profile overrides).
    for (key, _) in env::vars_os() {
        let key = key.to_string_lossy();
        if key.starts_with("CARGO_PROFILE_")
            || key.starts_with("CARGO_ENCODED_RUSTFLAGS")
            || key.starts_with("CARGO_BUILD_")
            || key.starts_with("CARGO_MAKEFLAGS")
            || key == "RUSTFLAGS"
            || key == "RUSTC_WORKSPACE_WRAPPER"
            || key == "RUSTC_WRAPPER"
        {
            command.env_remove(key.as_ref());
        }
    }
    let status = command.status().expect("running cargo for the guest");
    if !status.success() {
        panic!(
            "building the guest component failed (is the target installed? \
             `rustup target add wasm32-wasip2`)"
        );
    }
    let wasm = target_dir.join("wasm32-wasip2/release/siptel_sms.wasm");
    assert!(wasm.exists(), "guest build produced no {}", wasm.display());
    println!("cargo:rustc-env=SIPTEL_SMS_WASM={}", wasm.display());
}
