//! Ending a run early without tearing its files: every source's streams go
//! on to a common point and end there.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use gst::prelude::*;

use crate::encode::running_time;

/// Where the sources' streams have got to, and where to end them all when
/// a run is finished early (Ctrl-C, SIGTERM). Sending end-of-stream to the
/// sources would stop each stream where it happens to be, and one (sound,
/// or pictures) is often a second ahead of the other; instead every stream
/// goes on to the furthest point any has reached, and ends there.
#[derive(Default)]
pub struct Ending {
    state: Mutex<(gst::ClockTime, Option<gst::ClockTime>)>,
}

impl Ending {
    /// Follows (and, once a cut is set, ends) the stream leaving `element`.
    pub fn watch(self: &Arc<Self>, element: &gst::Element) {
        let Some(pad) = element.static_pad("src") else {
            return;
        };
        let ending = self.clone();
        let ended = AtomicBool::new(false);
        pad.add_probe(
            gst::PadProbeType::BUFFER | gst::PadProbeType::EVENT_DOWNSTREAM,
            move |pad, info| {
                if let Some(event) = info.event() {
                    // Ours was sent already; the source's own comes later.
                    let late =
                        event.type_() == gst::EventType::Eos && ended.load(Ordering::Relaxed);
                    return if late {
                        gst::PadProbeReturn::Drop
                    } else {
                        gst::PadProbeReturn::Ok
                    };
                }
                let Some(buffer) = info.buffer() else {
                    return gst::PadProbeReturn::Ok;
                };
                let Some(start) = running_time(pad, buffer.pts()) else {
                    return gst::PadProbeReturn::Ok;
                };
                let mut state = ending.state.lock().unwrap_or_else(|e| e.into_inner());
                match state.1 {
                    None => {
                        state.0 = state.0.max(start + buffer.duration().unwrap_or_default());
                        gst::PadProbeReturn::Ok
                    }
                    Some(cut) if start >= cut => {
                        drop(state);
                        if !ended.swap(true, Ordering::Relaxed)
                            && let Some(peer) = pad.peer()
                        {
                            peer.send_event(gst::event::Eos::new());
                        }
                        gst::PadProbeReturn::Drop
                    }
                    Some(_) => gst::PadProbeReturn::Ok,
                }
            },
        );
    }

    /// Ends every stream at the furthest point any has reached.
    pub fn finish_at_furthest(&self) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.1 = Some(state.0);
    }
}
