//! Log formats → [`ww_core::Event`]s. Pure over `std::io::BufRead`: no files, no sockets.

pub mod json;
pub mod stats;
pub mod winjson;

pub use stats::ReadStats;
