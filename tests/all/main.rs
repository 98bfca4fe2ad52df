//! End-to-end tests, one file per behaviour, all in one binary (as
//! wasmtime does) so it links once.

mod assets;
mod avatar;
mod cache;
mod checks;
mod cli;
mod cli_sandbox;
mod composite;
mod contract;
mod credentials;
mod decoder;
mod dhuman;
mod element;
mod file_jobs;
mod library;
mod loading;
mod lut;
mod mixer;
mod restyle;
mod sandbox;
mod sound;
mod sound_tracks;
mod watermark;
