//! Counters a reader returns, so callers can report "N events, M bad lines" per file.

/// What one reader call did with its input.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct ReadStats {
    /// Events handed to the sink.
    pub events: u64,
    /// Pieces of input (lines, records) that could not be parsed; each has a diagnostic.
    pub errors: u64,
    /// Bytes consumed from the reader.
    pub bytes: u64,
}
