//! `siptel_sms._native`: the Python package's bridge to the Rust host.

use pyo3::prelude::*;

#[pymodule]
mod _native {}
