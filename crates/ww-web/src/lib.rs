//! The only crate that knows HTTP: the JSON API under `/api/v1`, the ingest endpoints (JSON,
//! NDJSON and the Elasticsearch `_bulk` protocol), `/metrics`, and authentication.
