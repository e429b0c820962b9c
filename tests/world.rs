//! The built component's world matches `wit/`: it exports exactly the
//! action interface and imports nothing beyond what `wit/` declares, plus the
//! `wasi:cli` interfaces that Rust's standard library always imports.

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
    let bytes = std::fs::read(siptel_sms_host::BUILTIN_WASM).expect("the component was built");
    match wit_component::decode(&bytes).expect("the component decodes") {
        DecodedWasm::Component(resolve, world) => (resolve, world),
        DecodedWasm::WitPackage(..) => panic!("a WIT package, not a component"),
    }
}

fn declared() -> (Resolve, WorldId) {
    let mut resolve = Resolve::default();
    let wit = Path::new(env!("CARGO_MANIFEST_DIR")).join("../wit");
    let (package, _) = resolve.push_dir(&wit).expect("wit/ parses");
    let world = resolve
        .select_world(&[package], Some("sms-action"))
        .expect("wit/ has the sms-action world");
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
