//! End-to-end tests, one file per behaviour, all in one binary (as
//! wasmtime does) so it links once.

mod cache;
mod cli;
mod contract;
mod decoder;
mod element;
mod mixer;
mod sandbox;
