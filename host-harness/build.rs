//! Builds the guest component for `wasm32-wasip2`, so that every `cargo build`
//! or `cargo test` of the host uses the current guest (as wasmtime's
//! `test-programs` and Spin's test components do), and the test-only
//! components of `test-components/` that probe the sandbox.
//!
//! Each nested cargo gets its own target directory (`target/guest`,
//! `target/test-components`), so it never waits on the outer build's lock, and
//! it is shared by `build`, `clippy` and `test` so each component compiles
//! once. The guest is built in the size-optimised `guest` profile (root
//! `Cargo.toml`): the artifact that ships is the one tested.

use std::env;
use std::path::{Path, PathBuf};
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
    let test_components = manifest_dir.join("test-components");
    println!("cargo:rerun-if-changed={}", test_components.display());
    let target_root = env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|dir| {
            if dir.is_absolute() {
                dir
            } else {
                root.join(dir)
            }
        })
        .unwrap_or_else(|| root.join("target"));

    let target_dir = target_root.join("guest");
    let mut command = nested_cargo(&root, &target_dir, "guest");
    command.args(["--package", "siptel-sms", "--lib"]);
    run(command, "the guest component");
    let wasm = target_dir.join("wasm32-wasip2/guest/siptel_sms.wasm");
    assert!(wasm.exists(), "guest build produced no {}", wasm.display());
    println!("cargo:rustc-env=SIPTEL_SMS_WASM={}", wasm.display());

    // Test-only components: a workspace of their own (not members of ours).
    let target_dir = target_root.join("test-components");
    let mut command = nested_cargo(&test_components, &target_dir, "release");
    command.arg("--workspace");
    run(command, "the test components");
    let probe = target_dir.join("wasm32-wasip2/release/sandbox_probe.wasm");
    assert!(probe.exists(), "test build produced no {}", probe.display());
    println!(
        "cargo:rustc-env=SIPTEL_SMS_SANDBOX_PROBE_WASM={}",
        probe.display()
    );
    let floor = target_dir.join("wasm32-wasip2/release/floor.wasm");
    assert!(floor.exists(), "test build produced no {}", floor.display());
    println!("cargo:rustc-env=SIPTEL_SMS_FLOOR_WASM={}", floor.display());
}

/// `cargo build --profile <profile> --target wasm32-wasip2 --locked` in
/// `dir`, with its own target directory.
fn nested_cargo(dir: &Path, target_dir: &Path, profile: &str) -> Command {
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(dir)
        .args([
            "build",
            "--profile",
            profile,
            "--target",
            "wasm32-wasip2",
            "--locked",
        ])
        .env("CARGO_TARGET_DIR", target_dir);
    // What the outer cargo set for the host build must not leak into the
    // nested build (clippy's wrapper, host rustflags, profile overrides).
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
    command
}

fn run(mut command: Command, what: &str) {
    let status = command
        .status()
        .unwrap_or_else(|e| panic!("running cargo for {what}: {e}"));
    if !status.success() {
        panic!(
            "building {what} failed (is the target installed? \
             `rustup target add wasm32-wasip2`)"
        );
    }
}
