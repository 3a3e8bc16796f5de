//! Fuzz target: `--where` text → `prestige::engine::expr::bind` against a schema with every column type →
//! `evaluate` on a small batch and `may_match` on statistics.
//!
//! Errors are fine; a panic is a finding, and so is unsound pruning: each row is its own container (min = max
//! = the value, exact null counts), so a row the expression selects must have `may_match` true — otherwise a
//! scan would silently drop it.
#![no_main]

use std::sync::OnceLock;

use arrow::array::{Array, ArrayRef, RecordBatch, UInt64Array};
use libfuzzer_sys::fuzz_target;
use prestige::engine::expr::{ColumnStats, StatsSource, bind};
use prestige::engine::ndjson::LineDecoder;
use prestige::engine::schema::parse_schema;

const SCHEMA: &str = r#"[
  {"name": "i8", "type": "int8"}, {"name": "i16", "type": "int16"}, {"name": "i32", "type": "int32"},
  {"name": "i64", "type": "int64"}, {"name": "u8", "type": "uint8"}, {"name": "u16", "type": "uint16"},
  {"name": "u32", "type": "uint32"}, {"name": "u64", "type": "uint64"}, {"name": "f32", "type": "float32"},
  {"name": "f64", "type": "float64"}, {"name": "b", "type": "bool"}, {"name": "s", "type": "string"},
  {"name": "bin", "type": "binary"}, {"name": "d", "type": "date"}, {"name": "ts", "type": "timestamp"},
  {"name": "ts_s", "type": "timestamp(s)"}, {"name": "ts_ms", "type": "timestamp(ms, UTC)"},
  {"name": "ts_ns", "type": "timestamp(ns, +02:00)"}, {"name": "tstz", "type": "timestamptz"},
  {"name": "dec", "type": "decimal(10, 2)"}, {"name": "dec38", "type": "decimal(38, 0)"},
  {"name": "l", "type": "list<int64>"},
  {"name": "st", "type": "struct<a: int64, b: string, c: struct<d: float64>>"},
  {"name": "j", "type": "json"},
  {"name": "odd name", "type": "int64"}, {"name": "dot.key", "type": "string"}
]"#;

const ROWS: &[&str] = &[
    r#"{"i8":1,"i16":2,"i32":3,"i64":4,"u8":5,"u16":6,"u32":7,"u64":8,"f32":1.5,"f64":2.5,"b":true,"s":"apple","bin":"AAE=","d":"2024-01-02","ts":"2024-01-02T03:04:05.123456Z","ts_s":"2024-01-02T03:04:05Z","ts_ms":"2024-01-02T03:04:05.123Z","ts_ns":"2024-01-02T03:04:05.123456789+02:00","tstz":"2024-01-02T03:04:05Z","dec":"12.34","dec38":12345678901234567890123,"l":[1,2,3],"st":{"a":1,"b":"x","c":{"d":0.5}},"j":{"k":[1,2]},"odd name":7,"dot.key":"v"}"#,
    r#"{}"#,
    r#"{"i8":-128,"i16":-32768,"i32":-2147483648,"i64":-9223372036854775808,"u8":0,"u16":0,"u32":0,"u64":0,"f32":-0.0,"f64":-0.0,"b":false,"s":"","bin":"","d":"1970-01-01","ts":"1970-01-01T00:00:00Z","ts_s":"1900-01-01T00:00:00Z","ts_ms":"1969-12-31T23:59:59.999Z","ts_ns":"1677-09-22T00:00:00Z","tstz":"0001-01-01T00:00:00Z","dec":"-99999999.99","dec38":-99999999999999999999999999999999999999,"l":[],"st":{},"j":null,"odd name":-1,"dot.key":""}"#,
    r#"{"i8":127,"i16":32767,"i32":2147483647,"i64":9223372036854775807,"u8":255,"u16":65535,"u32":4294967295,"u64":18446744073709551615,"f32":3.4e38,"f64":1.7976931348623157e308,"b":true,"s":"ü😀e\u0301","bin":"/w==","d":"9999-12-31","ts":"9999-12-31T23:59:59.999999Z","ts_s":"9999-12-31T23:59:59Z","ts_ms":"2262-04-11T23:47:16.854Z","ts_ns":"2262-04-11T23:47:16.854775807Z","tstz":"2038-01-19T03:14:08Z","dec":"99999999.99","dec38":99999999999999999999999999999999999999,"l":[null,1],"st":{"a":null,"b":null,"c":{"d":null}},"j":"text","odd name":0,"dot.key":"a.b"}"#,
    r#"{"i8":0,"i64":0,"u64":9223372036854775808,"f32":1e-30,"f64":5e-324,"s":"%_\\","d":"2000-02-29","dec":"0.01","l":[0],"st":{"c":null},"j":[],"dot.key":"x"}"#,
];

struct Fixture {
    batch: RecordBatch,
    stats: Vec<(String, ColumnStats)>,
    row_counts: UInt64Array,
}

impl StatsSource for Fixture {
    fn len(&self) -> usize {
        self.batch.num_rows()
    }
    fn row_counts(&self) -> Option<&UInt64Array> {
        Some(&self.row_counts)
    }
    fn column(&self, name: &str) -> Option<&ColumnStats> {
        self.stats.iter().find(|(n, _)| n == name).map(|(_, s)| s)
    }
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let schema = parse_schema(SCHEMA).expect("fixture schema parses");
        let mut dec = LineDecoder::new(schema).expect("decoder for the fixture schema");
        for (i, r) in ROWS.iter().enumerate() {
            dec.decode_line(r.as_bytes()).unwrap_or_else(|e| panic!("fixture row {}: {e}", i + 1));
        }
        let batch = dec.finish();
        // One container per row: exact statistics.
        let stats = batch
            .schema()
            .fields()
            .iter()
            .zip(batch.columns())
            .map(|(f, c): (_, &ArrayRef)| {
                let nulls = UInt64Array::from((0..c.len()).map(|i| u64::from(c.is_null(i))).collect::<Vec<_>>());
                (f.name().clone(), ColumnStats { mins: c.clone(), maxes: c.clone(), null_counts: Some(nulls), absent: false })
            })
            .collect();
        let row_counts = UInt64Array::from(vec![1u64; batch.num_rows()]);
        Fixture { batch, stats, row_counts }
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if text.len() > 4096 {
        return;
    }
    let f = fixture();
    let Ok(e) = bind(text, f.batch.schema().as_ref()) else { return };
    let Ok(selected) = e.evaluate(&f.batch) else { return };
    assert_eq!(selected.len(), f.batch.num_rows(), "evaluate returned the wrong number of rows");
    let may = e.may_match(f);
    assert_eq!(may.len(), f.batch.num_rows(), "may_match returned the wrong number of containers");
    for i in 0..selected.len() {
        if selected.is_valid(i) && selected.value(i) {
            assert!(may[i], "unsound pruning: row {} matches {text:?} but its statistics say it cannot", i + 1);
        }
    }
});
