//! The Progress trait the engine reports long work through; the terminal implementation lives in commands.

/// Receives progress from long-running engine work. Implementations must be cheap to call.
pub trait Progress: Send + Sync {
    /// A new phase starts; `total` is in the phase's unit (bytes) when known.
    fn start(&self, _phase: &str, _total: Option<u64>) {}
    /// `delta` more units are done.
    fn advance(&self, _delta: u64) {}
    /// The work is over; hide the indicator.
    fn finish(&self) {}
}
