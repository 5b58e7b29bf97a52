//! A synthetic but realistic day at a council, for `wardwatch demo` and the server benchmarks.
