//! What a reader did with one input, for progress bars and the hunt summary.

/// Counts for one file: events handed to the sink, problems reported as diagnostics, and the
/// bytes consumed.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct ReadStats {
    pub events: u64,
    pub errors: u64,
    pub bytes: u64,
}
