//! Frame metadata that travels downstream with a buffer: the key/value
//! pairs plugins set with `meta-set`, kept in a GStreamer custom meta so
//! any element that copies metas carries them along.

use gst::meta::CustomMeta;

const META_NAME: &str = "ReelFrameMeta";
const FIELD: &str = "pairs";

/// Registers the custom meta (idempotent).
pub fn register() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        CustomMeta::register(META_NAME, &[]);
    });
}

/// The pairs attached to `buffer`, oldest first.
pub fn read(buffer: &gst::BufferRef) -> Vec<(String, String)> {
    let Ok(meta) = CustomMeta::from_buffer(buffer, META_NAME) else {
        return Vec::new();
    };
    meta.structure()
        .get::<String>(FIELD)
        .ok()
        .and_then(|json| serde_json::from_str(&json).ok())
        .unwrap_or_default()
}

/// Replaces the pairs attached to `buffer`.
pub fn write(buffer: &mut gst::BufferRef, pairs: &[(String, String)]) {
    let existing = CustomMeta::from_buffer(buffer, META_NAME).is_ok();
    // The common case, per frame: nothing to carry and nothing carried.
    if pairs.is_empty() && !existing {
        return;
    }
    let json = serde_json::to_string(pairs).expect("strings serialise");
    if let Ok(mut meta) = CustomMeta::from_mut_buffer(buffer, META_NAME) {
        meta.mut_structure().set(FIELD, json);
        return;
    }
    register();
    if let Ok(mut meta) = CustomMeta::add(buffer, META_NAME) {
        meta.mut_structure().set(FIELD, json);
    }
}
