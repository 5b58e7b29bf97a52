//! EVTX files → [`ww_core::Event`]s, through the `evtx` crate, fields flattened to the names
//! Sigma's Windows rules use by [`ww_parse::winjson::flatten_evtx_json`].
//!
//! Chunks of one file are parsed in parallel (`threads`), records come out in record order.
//! Damage never stops a file early when the crate can go on: a bad chunk or record becomes a
//! diagnostic naming the chunk, record or byte offset, and reading continues. Records carved
//! from slack space (cleared chunks, deleted records) are read too and carry `Recovered: true`.

mod locate;
mod read;

pub use read::{read_evtx, read_evtx_with};
pub use ww_parse::ReadStats;
