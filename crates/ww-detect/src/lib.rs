//! Streaming detection for `wardwatch serve`: the compiled Sigma rule set from `ww-sigma` applied
//! to each event, per-tenant rule enable/disable, alert aggregation (repeated matches of one rule
//! on one entity within a window become one alert) and triage scoring. Pure: no I/O, no async,
//! no clock reads (time comes from the events).
