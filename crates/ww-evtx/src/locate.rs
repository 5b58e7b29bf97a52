//! Where an `evtx` error happened and what it says, for diagnostics.

use evtx::err::EvtxError;
use ww_core::Locator;

/// Size of the file header and of a chunk, to turn "record at offset N of chunk C" into a byte
/// offset in the file.
pub(crate) const FILE_HEADER: u64 = 4096;
pub(crate) const CHUNK: u64 = 65536;

/// The place an error names: a record, a chunk, a byte offset, or nothing.
pub fn locator(e: &EvtxError) -> Locator {
    match e {
        EvtxError::FailedToParseRecord { record_id, .. } => Locator::Record { record_id: *record_id },
        EvtxError::FailedToParseChunk { chunk_id, .. } => Locator::Chunk { chunk: *chunk_id },
        EvtxError::FailedToReadRecordAt { chunk: Some(c), offset, .. } => {
            Locator::Offset { offset: FILE_HEADER.saturating_add(c.saturating_mul(CHUNK)).saturating_add(*offset) }
        }
        _ => Locator::None,
    }
}

/// The error and its causes on one line: the crate's top-level messages are generic ("An error
/// occurred while ..."), the reason is in the sources.
pub fn reason(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    let mut depth = 0;
    while let Some(s) = source {
        if depth >= 8 {
            break;
        }
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
        depth += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_errors_locate_by_record_id() {
        let e = EvtxError::FailedToParseRecord {
            record_id: 42,
            source: Box::new(EvtxError::CalculationError("boom".into())),
        };
        assert_eq!(locator(&e), Locator::Record { record_id: 42 });
        let r = reason(&e);
        assert!(r.contains("42") && r.contains("boom"), "{r}");
    }

    #[test]
    fn record_read_errors_locate_by_file_offset() {
        let e = EvtxError::FailedToReadRecordAt {
            chunk: Some(2),
            offset: 512,
            source: Box::new(EvtxError::CalculationError("bad".into())),
        };
        assert_eq!(locator(&e), Locator::Offset { offset: 4096 + 2 * 65536 + 512 });
        assert_eq!(locator(&EvtxError::CalculationError("x".into())), Locator::None);
    }
}
