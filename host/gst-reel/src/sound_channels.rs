//! Named sound channels: a `wasmsoundtap channel=NAME` feeds one, and
//! stage elements with `sound=NAME` read it (as GStreamer's
//! `interaudiosink`/`interaudiosrc` pair up by channel). A channel lives
//! while either side holds it.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, Weak};

use reel_sound::Tap;

static CHANNELS: LazyLock<Mutex<HashMap<String, Weak<Tap>>>> = LazyLock::new(Default::default);

/// The channel `name`, made when nobody holds it yet.
pub fn channel(name: &str) -> Arc<Tap> {
    let mut channels = crate::stage_element::lock(&CHANNELS);
    channels.retain(|_, tap| tap.strong_count() > 0);
    if let Some(tap) = channels.get(name).and_then(Weak::upgrade) {
        return tap;
    }
    let tap = Arc::new(Tap::new());
    channels.insert(name.to_string(), Arc::downgrade(&tap));
    tap
}
