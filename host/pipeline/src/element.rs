//! Making GStreamer elements, with an error that names a missing one.

use anyhow::{Result, anyhow};

/// An element of `factory`, named `name` when given.
pub fn make(factory: &str, name: Option<&str>) -> Result<gst::Element> {
    let mut builder = gst::ElementFactory::make(factory);
    if let Some(name) = name {
        builder = builder.name(name);
    }
    builder
        .build()
        .map_err(|_| anyhow!("GStreamer element `{factory}` is not installed"))
}
