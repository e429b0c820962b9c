//! The built components' worlds: the action component exports exactly the
//! action interface and imports nothing beyond what `wit/` declares, plus the
//! `wasi:cli` interfaces that Rust's standard library always imports; the
//! service component exports `wasi:http/incoming-handler` and imports
//! nothing beyond the `wasi:http/proxy` world (as `wit/deps/http` declares
//! it) and `wasi:config/store`, so `wasmtime serve` runs it without `-S cli`.
//! Its builds for released wasmCloud and for Spin differ from it only in the
//! `wasi:config` version they import, whose functions have the same types;
//! the Spin build links against Spin 3.6.3's own WIT (`tests/data/`), since
//! Spin's runtime is on no registry this project can use.

use std::collections::BTreeSet;
use std::path::Path;
use wit_component::DecodedWasm;
use wit_parser::{
    Function, Handle, InterfaceId, Resolve, Type, TypeDefKind, TypeOwner, WorldId, WorldItem,
};

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

/// The service's builds for engines that link another `wasi:config`
/// version (host-harness/build.rs), and the interface each imports instead
/// of [`CONFIG_STORE`].
const ENGINE_BUILDS: [(&str, &str); 2] = [
    (
        siptel_sms_host::BUILTIN_SERVICE_WASMCLOUD_WASM,
        "wasi:config/runtime@0.2.0-draft",
    ),
    (
        siptel_sms_host::BUILTIN_SERVICE_SPIN_WASM,
        "wasi:config/store@0.2.0-draft-2024-09-27",
    ),
];

#[test]
fn each_engine_build_differs_from_the_service_only_in_its_config_version() {
    let (base, base_world) = decode(siptel_sms_host::BUILTIN_SERVICE_WASM);
    let base_config = imported_interface(&base, base_world, CONFIG_STORE);
    for (path, config) in ENGINE_BUILDS {
        let (built, world) = decode(path);
        assert_eq!(
            interfaces(&built, world, true),
            interfaces(&base, base_world, true),
            "{path}"
        );
        let mut expected = interfaces(&base, base_world, false);
        expected.remove(CONFIG_STORE);
        expected.insert(config.to_string());
        assert_eq!(interfaces(&built, world, false), expected, "{path}");
        // The same functions with the same types under another name: the
        // canonical ABI is the same, so build.rs may rename the imports of
        // one compiled module instead of compiling it again.
        let theirs = imported_interface(&built, world, config);
        let ours = &base.interfaces[base_config].functions;
        assert_eq!(
            built.interfaces[theirs]
                .functions
                .keys()
                .collect::<Vec<_>>(),
            ours.keys().collect::<Vec<_>>(),
            "{config}"
        );
        for (name, function) in ours {
            let other = &built.interfaces[theirs].functions[name];
            assert!(
                same_function(&base, function, &built, other),
                "{config}: {name} has another type"
            );
        }
    }
}

#[test]
fn the_spin_build_links_against_spin_3_wit() {
    let (built, world) = decode(siptel_sms_host::BUILTIN_SERVICE_SPIN_WASM);
    let mut spin = Resolve::default();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/spin-3.6.3");
    let (package, _) = spin.push_dir(&dir).expect("Spin's WIT parses");
    let spin_world = spin
        .select_world(&[package], Some("http-component"))
        .expect("the world of tests/data/spin-3.6.3");
    let mut checked = BTreeSet::new();
    for exports in [false, true] {
        let ours = &built.worlds[world];
        let items = if exports {
            &ours.exports
        } else {
            &ours.imports
        };
        for item in items.values() {
            let WorldItem::Interface { id, .. } = item else {
                panic!("the service {} a bare function or type", side(exports));
            };
            let name = built.id_of(*id).expect("a named interface");
            let theirs = spin_counterpart(&built, *id, &spin, spin_world, exports)
                .unwrap_or_else(|| panic!("Spin 3.6.3 {} no {name}", side(exports)));
            for (function_name, function) in &built.interfaces[*id].functions {
                let other = spin.interfaces[theirs]
                    .functions
                    .get(function_name)
                    .unwrap_or_else(|| panic!("Spin's {name} has no {function_name}"));
                assert!(
                    same_function(&built, function, &spin, other),
                    "{name}: {function_name} differs from Spin's"
                );
            }
            checked.insert(name);
        }
    }
    for needed in [
        "wasi:config/store@0.2.0-draft-2024-09-27",
        "wasi:http/outgoing-handler@0.2.12",
        "wasi:http/incoming-handler@0.2.12",
    ] {
        assert!(checked.contains(needed), "{needed}: {checked:#?}");
    }
}

/// The comparison the two tests above rely on is not vacuous.
#[test]
fn the_type_comparison_tells_functions_apart() {
    let (built, world) = decode(siptel_sms_host::BUILTIN_SERVICE_WASM);
    // The component imports what it uses: `get`, not `get-all`.
    let config = &built.interfaces[imported_interface(&built, world, CONFIG_STORE)];
    assert!(same_function(
        &built,
        &config.functions["get"],
        &built,
        &config.functions["get"]
    ));
    let types = imported_interface(&built, world, "wasi:http/types@0.2.12");
    let functions = &built.interfaces[types].functions;
    let (write, finish) = (
        &functions["[method]outgoing-body.write"],
        &functions["[static]outgoing-body.finish"],
    );
    assert!(same_function(&built, write, &built, write));
    assert!(!same_function(&built, write, &built, finish));
    // Both `(self: borrow<R>) -> result<own<S>>`, for other resources.
    let body = &functions["[method]outgoing-response.body"];
    assert!(!same_function(&built, body, &built, write));
}

fn side(exports: bool) -> &'static str {
    if exports { "exports" } else { "imports" }
}

/// The interface `name` that `world` imports.
fn imported_interface(resolve: &Resolve, world: WorldId, name: &str) -> InterfaceId {
    resolve.worlds[world]
        .imports
        .values()
        .find_map(|item| match item {
            WorldItem::Interface { id, .. } if resolve.id_of(*id).as_deref() == Some(name) => {
                Some(*id)
            }
            _ => None,
        })
        .unwrap_or_else(|| panic!("{name} is not imported"))
}

/// The interface of Spin's world that links `ours`: the same package and
/// interface, at a version wasmtime's linker accepts for it (the same
/// `0.x` line of a release, the exact version of a pre-release), and for
/// the export, one Spin's trigger runs.
fn spin_counterpart(
    built: &Resolve,
    ours: InterfaceId,
    spin: &Resolve,
    world: WorldId,
    exports: bool,
) -> Option<InterfaceId> {
    let key = |resolve: &Resolve, id: InterfaceId| {
        let interface = &resolve.interfaces[id];
        let package = &resolve.packages[interface.package?];
        let version = package.name.version.clone()?;
        Some((
            package.name.namespace.clone(),
            package.name.name.clone(),
            interface.name.clone()?,
            version,
        ))
    };
    let (namespace, package, name, version) = key(built, ours)?;
    let world = &spin.worlds[world];
    let items = if exports {
        &world.exports
    } else {
        &world.imports
    };
    items.values().find_map(|item| {
        let WorldItem::Interface { id, .. } = item else {
            return None;
        };
        let (n, p, i, v) = key(spin, *id)?;
        let linkable = if version.pre.is_empty() && v.pre.is_empty() {
            version.major == v.major && (version.major > 0 || version.minor == v.minor)
        } else {
            version == v
        };
        (n == namespace && p == package && i == name && linkable).then_some(*id)
    })
}

/// The same parameters (by name and type) and result.
fn same_function(a: &Resolve, fa: &Function, b: &Resolve, fb: &Function) -> bool {
    fa.params.len() == fb.params.len()
        && fa
            .params
            .iter()
            .zip(&fb.params)
            .all(|(pa, pb)| pa.name == pb.name && same_type(a, &pa.ty, b, &pb.ty))
        && match (&fa.result, &fb.result) {
            (None, None) => true,
            (Some(ta), Some(tb)) => same_type(a, ta, b, tb),
            _ => false,
        }
}

/// The same type as the component model compares them: by structure and
/// case and field names, not by the names types are given (`error` and
/// `config-error` are the same variant); resources by their name and the
/// interface that defines them.
fn same_type(a: &Resolve, ta: &Type, b: &Resolve, tb: &Type) -> bool {
    let (ta, tb) = (unalias(a, *ta), unalias(b, *tb));
    let (Type::Id(ia), Type::Id(ib)) = (ta, tb) else {
        return ta == tb;
    };
    let same = |x: &Type, y: &Type| same_type(a, x, b, y);
    let same_opt = |x: &Option<Type>, y: &Option<Type>| match (x, y) {
        (None, None) => true,
        (Some(x), Some(y)) => same(x, y),
        _ => false,
    };
    match (&a.types[ia].kind, &b.types[ib].kind) {
        (TypeDefKind::Record(x), TypeDefKind::Record(y)) => {
            x.fields.len() == y.fields.len()
                && x.fields
                    .iter()
                    .zip(&y.fields)
                    .all(|(f, g)| f.name == g.name && same(&f.ty, &g.ty))
        }
        (TypeDefKind::Variant(x), TypeDefKind::Variant(y)) => {
            x.cases.len() == y.cases.len()
                && x.cases
                    .iter()
                    .zip(&y.cases)
                    .all(|(c, d)| c.name == d.name && same_opt(&c.ty, &d.ty))
        }
        (TypeDefKind::Enum(x), TypeDefKind::Enum(y)) => x
            .cases
            .iter()
            .map(|c| &c.name)
            .eq(y.cases.iter().map(|c| &c.name)),
        (TypeDefKind::Flags(x), TypeDefKind::Flags(y)) => x
            .flags
            .iter()
            .map(|f| &f.name)
            .eq(y.flags.iter().map(|f| &f.name)),
        (TypeDefKind::Tuple(x), TypeDefKind::Tuple(y)) => {
            x.types.len() == y.types.len() && x.types.iter().zip(&y.types).all(|(s, t)| same(s, t))
        }
        (TypeDefKind::Option(x), TypeDefKind::Option(y))
        | (TypeDefKind::List(x), TypeDefKind::List(y)) => same(x, y),
        (TypeDefKind::Result(x), TypeDefKind::Result(y)) => {
            same_opt(&x.ok, &y.ok) && same_opt(&x.err, &y.err)
        }
        (TypeDefKind::Handle(Handle::Own(x)), TypeDefKind::Handle(Handle::Own(y)))
        | (TypeDefKind::Handle(Handle::Borrow(x)), TypeDefKind::Handle(Handle::Borrow(y))) => {
            same(&Type::Id(*x), &Type::Id(*y))
        }
        (TypeDefKind::Resource, TypeDefKind::Resource) => {
            resource_name(a, ia) == resource_name(b, ib)
        }
        _ => false,
    }
}

/// A type with its aliases (`use`d types) followed.
fn unalias(resolve: &Resolve, mut ty: Type) -> Type {
    while let Type::Id(id) = ty {
        match &resolve.types[id].kind {
            TypeDefKind::Type(inner) => ty = *inner,
            _ => break,
        }
    }
    ty
}

/// `namespace:package/interface.resource`, without the version.
fn resource_name(resolve: &Resolve, id: wit_parser::TypeId) -> Option<String> {
    let def = &resolve.types[id];
    let TypeOwner::Interface(owner) = def.owner else {
        return None;
    };
    let interface = &resolve.interfaces[owner];
    let package = &resolve.packages[interface.package?].name;
    Some(format!(
        "{}:{}/{}.{}",
        package.namespace,
        package.name,
        interface.name.as_ref()?,
        def.name.as_ref()?
    ))
}
