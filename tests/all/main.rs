//! End-to-end tests, one file per behaviour, all in one binary (as
//! wasmtime does) so it links once.

mod contract;
mod sandbox;
mod decoder;
mod element;
mod cli;
