//! The Siptel SMS action as a WebAssembly component.
//!
//! Pure logic lives in plain modules (no bindings in sight) that unit-test
//! natively; `component` is the thin `wit-bindgen` adapter that maps WASI onto
//! the small traits of `delivery`.

pub mod model;

mod action;
pub use action::{check, describe, preview, send};

pub mod encoding;
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

// The adapter exports symbols named after WIT (`siptel:sms/action@0.1.0#send`)
// that only a wasm linker accepts; natively the plain API above is the crate.
#[cfg(target_arch = "wasm32")]
mod component;
mod convert;
