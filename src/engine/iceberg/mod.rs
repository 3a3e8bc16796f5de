//! The Iceberg engine: catalogs (embedded SQLite, REST, the config file), table file I/O, our commit layer
//! (append, and the snapshot producer the maintenance commands build on), writes into tables, scans, and
//! snapshot inspection.

pub mod catalog;
pub mod io;
pub mod commit;
pub mod write;
pub mod append;
pub mod spec;
pub mod table;
pub mod inspect;
pub mod scan;
pub mod evolve;
pub mod watch;
pub mod expire;
pub mod orphans;
pub mod refs;
pub mod publish;
pub mod compact;
