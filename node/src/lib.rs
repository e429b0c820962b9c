//! The Node package's native addon: the Rust host behind async functions.
