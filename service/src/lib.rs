//! The Siptel SMS action as an HTTP service: a component of the
//! `wasi:http/proxy` world, built from the same guest code as the action
//! component (the `siptel-sms` library without its `component` feature).
//!
//! `api` is the HTTP API (paths, statuses) and `body` the JSON bodies, both
//! plain functions over the library's types that test natively; `keys`
//! finds the API key a `secret:<name>` stands for in the engine's runtime
//! config; `component` is the `wasi:http/incoming-handler` export, the only
//! place that sees bindings.

pub mod api;
pub mod body;
pub mod keys;

#[cfg(target_arch = "wasm32")]
mod component;
