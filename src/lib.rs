//! The Siptel SMS action as a WebAssembly component.
//!
//! Pure logic lives in plain modules (no bindings in sight) that unit-test
//! natively; `component` is the thin `wit-bindgen` adapter that maps WASI onto
//! the small traits of `delivery`.

pub mod model;

pub mod encoding;
pub mod phone;
pub mod rut;
pub mod template;
pub mod text;
pub mod window;

pub mod describe;
pub mod validate;

pub mod delivery;
pub mod retry;
pub mod failure;
pub mod siptel;

mod component;
