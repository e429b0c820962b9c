//! The Siptel SMS action as a WebAssembly component.
//!
//! Pure logic lives in plain modules (no bindings in sight) that unit-test
//! natively; `component` is the thin `wit-bindgen` adapter that maps WASI onto
//! the small traits of `delivery`.

/// The interface the component exports (package version included): hosts
/// look their functions up by this name. `tests/world.rs` checks it against
/// the built component.
pub const ACTION_INTERFACE: &str = "siptel:sms/action@0.2.0";

pub mod config;
pub mod json;
pub mod model;
pub mod secret;

mod action;
pub use action::{check, describe, preview, send};

pub mod encoding;
pub mod holidays;
pub mod phone;
pub mod rut;
pub mod template;
pub mod text;
pub mod tz;
pub mod window;

mod civil;

pub mod describe;
pub mod validate;

pub mod delivery;
pub mod failure;
pub mod retry;
pub mod siptel;

// The adapters exist only in a component: the export's symbols are named
// after WIT (`siptel:sms/action@0.2.0#send`), which only a wasm linker
// accepts, and WASI imports only a component has. Natively the plain API
// above is the crate.
#[cfg(all(target_arch = "wasm32", feature = "component"))]
mod component;
mod convert;
#[cfg(target_arch = "wasm32")]
pub mod wasi_adapter;
