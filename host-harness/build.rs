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
    let module_path = target_dir.join("wasm32-wasip1/guest/siptel_sms_service.wasm");
    let module = std::fs::read(&module_path).unwrap_or_else(|e| {
        panic!(
            "the service build produced no {}: {e}",
            module_path.display()
        )
    });
    let service = target_dir.join("siptel_sms_service.wasm");
    componentize_proxy(&module, &service);
    println!(
        "cargo:rustc-env=SIPTEL_SMS_SERVICE_WASM={}",
        service.display()
    );
    // The same module for engines that link another `wasi:config` version:
    // renamed, not rebuilt (see `retarget`).
    let service_wit = root.join("service/wit-engines");
    for (world, file, env) in SERVICE_VARIANTS {
        let retargeted = retarget(&module, &service_wit, world);
        let variant = target_dir.join(file);
        componentize_proxy(&retargeted, &variant);
        println!("cargo:rustc-env={env}={}", variant.display());
    }

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

/// The service's builds for engines that link another `wasi:config`
/// version than `service/wit`'s `service` world imports (`store@0.2.0-rc.1`,
/// wasmtime's and jco's): the world in `service/wit-engines`, the file written
/// beside `siptel_sms_service.wasm`, and the variable naming its path.
const SERVICE_VARIANTS: [(&str, &str, &str); 2] = [
    // wash-runtime 0.1.0 and wasmcloud-runtime 0.12.0 (released wasmCloud).
    (
        "service-wasmcloud",
        "siptel_sms_service.wasmcloud.wasm",
        "SIPTEL_SMS_SERVICE_WASMCLOUD_WASM",
    ),
    // Spin 3.x.
    (
        "service-spin",
        "siptel_sms_service.spin.wasm",
        "SIPTEL_SMS_SERVICE_SPIN_WASM",
    ),
];

/// The `wasi:config` interface the service's code is generated against
/// (`service/src/component.rs`, world `service`).
const CONFIG_INTERFACE: &str = "wasi:config/store@0.2.0-rc.1";

/// The service module as if it had been compiled for `world` of `wit`
/// instead of `service`: its imports from [`CONFIG_INTERFACE`] renamed to
/// the one `world` imports, and wit-bindgen's `component-type` section for
/// `service` replaced by one for `world`.
///
/// Why not a build per version: the three `wasi:config` interfaces have the
/// same functions with the same types (`tests/world.rs` checks it on the
/// built components), so the canonical ABI, and so the compiled code, is
/// the same; only the names differ. A cargo feature per version would
/// instead relink (LTO) the same code once per version, and again at every
/// switch, since the features share one `cdylib` file name. A bridge
/// component composed with `wac` would add a component, a memory and a
/// copy of every string to each call, for a rename.
fn retarget(module: &[u8], wit: &Path, world: &str) -> Vec<u8> {
    let mut resolve = wit_parser::Resolve::default();
    let (package, _) = resolve
        .push_dir(wit)
        .unwrap_or_else(|e| panic!("{} does not parse: {e:?}", wit.display()));
    let world = resolve
        .select_world(&[package], Some(world))
        .unwrap_or_else(|e| panic!("{} has no world {world}: {e:?}", wit.display()));
    let imported: Vec<String> = resolve.worlds[world]
        .imports
        .values()
        .filter_map(|item| match item {
            wit_parser::WorldItem::Interface { id, .. } => resolve.id_of(*id),
            _ => None,
        })
        .collect();
    let [target] = imported.as_slice() else {
        panic!("world {world:?} must import one wasi:config interface: {imported:?}");
    };

    let mut out = wasm_encoder::Module::new();
    let mut renamed = 0;
    let mut replaced = false;
    for payload in wasmparser::Parser::new(0).parse_all(module) {
        let payload = payload.unwrap_or_else(|e| panic!("the service module: {e}"));
        match &payload {
            wasmparser::Payload::ImportSection(reader) => {
                let mut imports = wasm_encoder::ImportSection::new();
                for import in reader.clone().into_imports() {
                    let import = import.unwrap_or_else(|e| panic!("an import: {e}"));
                    let ty = wasm_encoder::EntityType::try_from(import.ty)
                        .unwrap_or_else(|e| panic!("import {}: {e}", import.name));
                    let module = if import.module == CONFIG_INTERFACE {
                        renamed += 1;
                        target.as_str()
                    } else {
                        import.module
                    };
                    imports.import(module, import.name, ty);
                }
                out.section(&imports);
            }
            // wit-bindgen's section for `service` (its name says whose);
            // the `wasi` crate's for the proxy world stays.
            wasmparser::Payload::CustomSection(section)
                if section.name().starts_with("component-type")
                    && section.name().contains("siptel:sms-service") =>
            {
                replaced = true;
            }
            _ => {
                if let Some((id, range)) = payload.as_section() {
                    let range = usize::try_from(range.start).expect("in memory")
                        ..usize::try_from(range.end).expect("in memory");
                    out.section(&wasm_encoder::RawSection {
                        id,
                        data: &module[range],
                    });
                }
            }
        }
    }
    assert!(
        renamed > 0 && replaced,
        "the service module imports nothing from {CONFIG_INTERFACE} ({renamed}) \
         or has no component-type section of its own ({replaced})"
    );
    let mut bytes = out.finish();
    wit_component::embed_component_metadata(
        &mut bytes,
        &resolve,
        world,
        wit_component::StringEncoding::UTF8,
        false,
    )
    .unwrap_or_else(|e| panic!("embedding world {world:?}: {e:?}"));
    bytes
}

/// Makes the core module `bytes` a component at `component` with the
/// proxy adapter; the file is rewritten only when its bytes change, so what
/// depends on its time stamp is not redone.
fn componentize_proxy(bytes: &[u8], component: &Path) {
    use wasi_preview1_component_adapter_provider::{
        WASI_SNAPSHOT_PREVIEW1_ADAPTER_NAME, WASI_SNAPSHOT_PREVIEW1_PROXY_ADAPTER,
    };
    let encoded = wit_component::ComponentEncoder::default()
        .module(bytes)
        .and_then(|encoder| {
            encoder.adapter(
                WASI_SNAPSHOT_PREVIEW1_ADAPTER_NAME,
                WASI_SNAPSHOT_PREVIEW1_PROXY_ADAPTER,
            )
        })
        .and_then(|encoder| encoder.validate(true).encode())
        .unwrap_or_else(|e| {
            panic!(
                "making {} from the service module: {e:?}",
                component.display()
            )
        });
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
