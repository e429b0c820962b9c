//! The built components' worlds: the action component exports exactly the
//! action interface and imports nothing beyond what `wit/` declares, plus the
//! `wasi:cli` interfaces that Rust's standard library always imports; the
//! service component exports `wasi:http/incoming-handler` and imports
//! nothing beyond the `wasi:http/proxy` world (as `wit/deps/http` declares
//! it) and `wasi:config/store`, so `wasmtime serve` runs it without `-S cli`.

use std::collections::BTreeSet;
use std::path::Path;
use wit_component::DecodedWasm;
use wit_parser::{Resolve, WorldId, WorldItem};

/// Interfaces (by versionless name) of one side of a world.
fn interfaces(resolve: &Resolve, world: WorldId, exports: bool) -> BTreeSet<String> {
    let world = &resolve.worlds[world];
    let items = if exports {
        &world.exports
    } else {
        &world.imports
    };
    items
        .iter()
        .filter_map(|(key, item)| match item {
            WorldItem::Interface { id, .. } => Some(
                resolve
                    .id_of(*id)
                    .unwrap_or_else(|| resolve.name_world_key(key)),
            ),
            WorldItem::Function(f) => Some(f.name.clone()),
            WorldItem::Type { .. } => None,
        })
        .collect()
}

fn built() -> (Resolve, WorldId) {
    decode(siptel_sms_host::BUILTIN_WASM)
}

fn decode(path: &str) -> (Resolve, WorldId) {
    let bytes = std::fs::read(path).expect("the component was built");
    match wit_component::decode(&bytes).expect("the component decodes") {
        DecodedWasm::Component(resolve, world) => (resolve, world),
        DecodedWasm::WitPackage(..) => panic!("a WIT package, not a component"),
    }
}

fn declared() -> (Resolve, WorldId) {
    declared_world("sms-action")
}

/// `world` as `wit/` (with its vendored WASI) declares it.
fn declared_world(world: &str) -> (Resolve, WorldId) {
    let mut resolve = Resolve::default();
    let wit = Path::new(env!("CARGO_MANIFEST_DIR")).join("../wit");
    let (package, _) = resolve.push_dir(&wit).expect("wit/ parses");
    let world = resolve
        .select_world(&[package], Some(world))
        .unwrap_or_else(|e| panic!("wit/ has no world {world}: {e}"));
    (resolve, world)
}

#[test]
fn the_component_exports_exactly_the_action_interface() {
    let (built, built_world) = built();
    let (declared, declared_world) = declared();
    let exports = interfaces(&built, built_world, true);
    assert_eq!(exports, interfaces(&declared, declared_world, true));
    assert_eq!(
        exports,
        BTreeSet::from([siptel_sms::ACTION_INTERFACE.to_string()])
    );
}

#[test]
fn the_component_imports_only_what_wit_declares_and_std_needs() {
    let (built, built_world) = built();
    let (declared, declared_world) = declared();
    let imports = interfaces(&built, built_world, false);
    let allowed = interfaces(&declared, declared_world, false);
    let std_only: BTreeSet<_> = imports.difference(&allowed).cloned().collect();
    for name in &std_only {
        assert!(
            name.starts_with("wasi:cli/"),
            "{name} is imported but not declared in wit/"
        );
    }
    assert!(
        imports
            .iter()
            .all(|i| !i.starts_with("wasi:filesystem") && !i.starts_with("wasi:sockets")),
        "no filesystem or sockets: {imports:#?}"
    );
    assert!(
        imports.contains("wasi:http/outgoing-handler@0.2.12"),
        "{imports:#?}"
    );
    println!("imports: {imports:#?}");
}

/// The runtime config the service reads its secrets from.
const CONFIG_STORE: &str = "wasi:config/store@0.2.0-rc.1";

#[test]
fn the_service_exports_exactly_the_incoming_handler() {
    let (built, world) = decode(siptel_sms_host::BUILTIN_SERVICE_WASM);
    let (proxy, proxy_world) = declared_world("wasi:http/proxy@0.2.12");
    let exports = interfaces(&built, world, true);
    assert_eq!(exports, interfaces(&proxy, proxy_world, true));
    assert_eq!(
        exports,
        BTreeSet::from(["wasi:http/incoming-handler@0.2.12".to_string()])
    );
}

#[test]
fn the_service_imports_only_the_proxy_world_and_runtime_config() {
    let (built, world) = decode(siptel_sms_host::BUILTIN_SERVICE_WASM);
    let (proxy, proxy_world) = declared_world("wasi:http/proxy@0.2.12");
    let imports = interfaces(&built, world, false);
    let mut allowed = interfaces(&proxy, proxy_world, false);
    allowed.insert(CONFIG_STORE.to_string());
    let beyond: BTreeSet<_> = imports.difference(&allowed).collect();
    assert!(beyond.is_empty(), "beyond the proxy world: {beyond:#?}");
    for needed in [
        CONFIG_STORE,
        "wasi:http/outgoing-handler@0.2.12",
        "wasi:clocks/monotonic-clock@0.2.12",
        "wasi:random/random@0.2.12",
    ] {
        assert!(imports.contains(needed), "{needed}: {imports:#?}");
    }
    println!("service imports: {imports:#?}");
}
