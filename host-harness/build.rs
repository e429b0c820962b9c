//! Builds the guest component for `wasm32-wasip2`, so that every `cargo build`
//! or `cargo test` of the host uses the current guest (as wasmtime's
//! `test-programs` and Spin's test components do), the service component
//! (`service/`), and the test-only components of `test-components/` that
//! probe the sandbox.
//!
//! The service must import only what the `wasi:http/proxy` world offers,
//! which a `wasm32-wasip2` build of Rust's standard library does not (it
//! always imports `wasi:cli/environment`, `exit` and `terminal-*`). So it is
//! built for `wasm32-wasip1` and made a component here with the *proxy*
//! adapter of wasmtime 48 (`wasi-preview1-component-adapter-provider`),
//! which serves the standard library's few WASI calls from the proxy
//! world's interfaces alone.
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
    for watched in ["src", "wit", "service", "Cargo.toml", "Cargo.lock"] {
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
    let mut command = nested_cargo(&root, &target_dir, "guest", "wasm32-wasip2");
    command.args(["--package", "siptel-sms", "--lib"]);
    run(command, "the guest component");
    let wasm = target_dir.join("wasm32-wasip2/guest/siptel_sms.wasm");
    assert!(wasm.exists(), "guest build produced no {}", wasm.display());
    println!("cargo:rustc-env=SIPTEL_SMS_WASM={}", wasm.display());

    // The service: same target directory (the library's sources compile
    // once per target), its own package so the action export stays off.
    let mut command = nested_cargo(&root, &target_dir, "guest", "wasm32-wasip1");
    command.args(["--package", "siptel-sms-service", "--lib"]);
    run(command, "the service module");
    let module = target_dir.join("wasm32-wasip1/guest/siptel_sms_service.wasm");
    let service = target_dir.join("siptel_sms_service.wasm");
    componentize_proxy(&module, &service);
    println!(
        "cargo:rustc-env=SIPTEL_SMS_SERVICE_WASM={}",
        service.display()
    );

    // Test-only components: a workspace of their own (not members of ours).
    let target_dir = target_root.join("test-components");
    let mut command = nested_cargo(&test_components, &target_dir, "release", "wasm32-wasip2");
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

/// `cargo build --profile <profile> --target <target> --locked` in `dir`,
/// with its own target directory.
fn nested_cargo(dir: &Path, target_dir: &Path, profile: &str, target: &str) -> Command {
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(dir)
        .args([
            "build",
            "--profile",
            profile,
            "--target",
            target,
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

/// Makes the core module at `module` a component at `component` with the
/// proxy adapter; the file is rewritten only when its bytes change, so what
/// depends on its time stamp is not redone.
fn componentize_proxy(module: &Path, component: &Path) {
    use wasi_preview1_component_adapter_provider::{
        WASI_SNAPSHOT_PREVIEW1_ADAPTER_NAME, WASI_SNAPSHOT_PREVIEW1_PROXY_ADAPTER,
    };
    let bytes = std::fs::read(module)
        .unwrap_or_else(|e| panic!("the service build produced no {}: {e}", module.display()));
    let encoded = wit_component::ComponentEncoder::default()
        .module(&bytes)
        .and_then(|encoder| {
            encoder.adapter(
                WASI_SNAPSHOT_PREVIEW1_ADAPTER_NAME,
                WASI_SNAPSHOT_PREVIEW1_PROXY_ADAPTER,
            )
        })
        .and_then(|encoder| encoder.validate(true).encode())
        .unwrap_or_else(|e| panic!("making {} a component: {e:?}", module.display()));
    if std::fs::read(component).ok().as_deref() != Some(encoded.as_slice()) {
        std::fs::write(component, &encoded)
            .unwrap_or_else(|e| panic!("writing {}: {e}", component.display()));
    }
}

fn run(mut command: Command, what: &str) {
    let status = command
        .status()
        .unwrap_or_else(|e| panic!("running cargo for {what}: {e}"));
    if !status.success() {
        panic!(
            "building {what} failed (is the target installed? \
             `rustup target add wasm32-wasip2 wasm32-wasip1`)"
        );
    }
}
