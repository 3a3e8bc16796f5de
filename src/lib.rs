//! prestige as a library: the engine behind the `prestige` binary (also what the fuzz targets link against).

pub mod engine;
