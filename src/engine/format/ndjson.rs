//! NDJSON → Arrow: a strict, schema-driven line decoder with per-line errors, and schema inference.
//!
//! Every value must already have the column's JSON type: no number is truncated, no quoted number is read
//! as a number, no key outside the schema is dropped. A line that breaks a rule is rolled back whole and
//! reported with its column so the caller can fail, skip or dead-letter it.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, BinaryArray, BooleanArray, Date32Array, Decimal128Array, Float32Array, Float64Array, Int8Array,
    Int16Array, Int32Array, Int64Array, ListArray, RecordBatch, StringArray, StructArray, TimestampMicrosecondArray,
    TimestampMillisecondArray, TimestampNanosecondArray, UInt8Array, UInt16Array, UInt32Array,
    UInt64Array,
};
use arrow::array::BooleanBufferBuilder;
use arrow::buffer::{Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow::datatypes::{DataType, Field, FieldRef, Fields, Schema, SchemaRef, TimeUnit};
use base64::Engine as _;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// Decodes one NDJSON line at a time into column buffers; `finish` turns them into a RecordBatch.
pub struct LineDecoder {
    /// The schema as declared or inferred.
    schema: SchemaRef,
    /// The schema of the batches (see [`storage_schema`]).
    storage: SchemaRef,
    root: StructCol,
    rows: usize,
}

impl LineDecoder {
    /// Builds a decoder for `schema`; fails on column types the decoder does not support.
    pub fn new(schema: SchemaRef) -> Result<Self, String> {
        if schema.fields().is_empty() {
            return Err("the schema has no columns".into());
        }
        let root = StructCol::new(schema.fields(), "")?;
        let storage = storage_schema(&schema);
        Ok(Self { schema, storage, root, rows: 0 })
    }

    pub fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    /// Rows buffered since the last `finish`.
    pub fn len(&self) -> usize {
        self.rows
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Appends the row in `line`, or leaves the buffers as they were and returns why the line is bad.
    pub fn decode_line(&mut self, line: &[u8]) -> Result<(), String> {
        let mut res = self.try_line(line, false);
        if res.as_ref().is_err_and(|e| e.to_string().starts_with(RETRY_EXACT)) {
            // A float-looking value in an integer column: read the line again with integers taken from their
            // literal text, which tells `-0` (zero) from `-0.0` or a number beyond 64 bits (bad lines).
            self.root.truncate_children(self.rows);
            res = self.try_line(line, true);
        }
        match res {
            Ok(()) => {
                self.rows += 1;
                Ok(())
            }
            Err(e) => {
                self.root.truncate_children(self.rows);
                Err(describe_in(&e, line))
            }
        }
    }

    fn try_line(&mut self, line: &[u8], exact_ints: bool) -> Result<(), serde_json::Error> {
        let mut de = serde_json::Deserializer::from_slice(line);
        RowSeed { col: &mut self.root, exact_ints }.deserialize(&mut de).and_then(|_| de.end())
    }

    /// Takes the buffered rows as a batch.
    pub fn finish(&mut self) -> RecordBatch {
        let columns: Vec<ArrayRef> = self.root.children.iter_mut().map(Col::finish).collect();
        let rows = self.rows;
        self.rows = 0;
        self.root.nulls = BooleanBufferBuilder::new(0);
        RecordBatch::try_new_with_options(
            self.storage.clone(),
            columns,
            &arrow::array::RecordBatchOptions::new().with_row_count(Some(rows)),
        )
        .expect("column buffers always match the schema") // ok: built from the schema, checked by tests
    }
}

/// Like [`describe`], with hints for the usual non-JSON spellings (NaN, Infinity) and the key they are at.
fn describe_in(e: &serde_json::Error, line: &[u8]) -> String {
    let base = describe(e);
    if e.is_syntax() && e.column() > 0 {
        // serde_json's column is 1-based and points at or just after the offending byte.
        for start in [e.column().saturating_sub(2), e.column() - 1] {
            let at = line.get(start..).unwrap_or_default();
            let at = at.strip_prefix(b"-").unwrap_or(at);
            let name = if at.starts_with(b"NaN") {
                "NaN"
            } else if at.starts_with(b"Infinity") {
                "Infinity"
            } else {
                continue;
            };
            let at_key = key_before(line, start).map(|k| format!(" at key {k:?}")).unwrap_or_default();
            return format!("{name}{at_key} is not a JSON number (JSON has no NaN or Infinity); write null or a string instead");
        }
    }
    base
}

/// The object key whose value starts near byte `pos` of `line`, if one is recognisable.
fn key_before(line: &[u8], pos: usize) -> Option<String> {
    let head = line.get(..pos.min(line.len()))?;
    let colon = memchr::memrchr(b':', head)?;
    let before = head[..colon].trim_ascii_end();
    let before = before.strip_suffix(b"\"")?;
    let open = memchr::memrchr(b'"', before)?;
    Some(String::from_utf8_lossy(&before[open + 1..]).into_owned())
}

fn describe(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    let msg = match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg,
    };
    if e.column() > 0 { format!("{msg} (column {})", e.column()) } else { msg }
}

/// Infers a schema from sample lines (JSON objects); errors are numbered by position in the sample.
pub fn infer_schema(lines: &[&[u8]]) -> Result<SchemaRef, String> {
    let labels: Vec<String> = (1..=lines.len()).map(|i| format!("line {i} of the sample")).collect();
    let sample: Vec<(&str, &[u8])> = labels.iter().map(String::as_str).zip(lines.iter().copied()).collect();
    infer_schema_labelled(&sample)
}

/// Infers a schema from `(where, line)` pairs, `where` naming the line in messages (`events.ndjson:7`).
///
/// The rules (documented in the README under "Schema inference"):
/// - a key that is only ever null becomes a nullable string;
/// - integers within int64 → int64; above int64 but within uint64 and never negative → uint64; other integers
///   of up to 38 digits → decimal(38, 0); longer ones are refused;
/// - integers mixed with fractional numbers → float64, but only when every integer is exact as a float64
///   (|x| ≤ 2^53), else refused — no integer is rounded silently;
/// - strings → string (timestamps stay strings unless declared);
/// - arrays → list of the merged element type (always empty → list<string>);
/// - objects → struct with the keys in order of first appearance, merged across lines; an object that never
///   has a key in the sample (`{}` every time) → `json`, its text kept verbatim;
/// - any other mix (string and number, bool and number, scalar and array/object, array and object) is refused
///   before anything is written, naming the key and a line of each kind.
pub fn infer_schema_labelled(lines: &[(&str, &[u8])]) -> Result<SchemaRef, String> {
    let mut root = Shape::Null;
    for (i, (label, line)) in lines.iter().enumerate() {
        let text = std::str::from_utf8(line).map_err(|e| format!("{label}: not valid UTF-8 ({e})"))?;
        let text = text.trim();
        if !text.starts_with('{') {
            return Err(format!("{label}: expected a JSON object"));
        }
        observe(&mut root, text, "", i, lines).map_err(|e| e.to_string())?;
    }
    let Shape::Object(_, obj) = root else {
        return Err("the sample has no JSON object to infer columns from; pass --schema".into());
    };
    if obj.fields.is_empty() {
        return Err("the sample has no keys to infer columns from; pass --schema".into());
    }
    let mut fields = Vec::with_capacity(obj.fields.len());
    for (name, shape) in &obj.fields {
        fields.push(Arc::new(finalize(name, shape, name, lines)?));
    }
    Ok(Arc::new(Schema::new(fields)))
}

/// The Arrow field metadata that marks a string column as JSON text (Parquet's JSON logical type).
pub fn json_field(name: &str, nullable: bool) -> Field {
    let meta = [
        ("ARROW:extension:name".to_string(), "arrow.json".to_string()),
        ("ARROW:extension:metadata".to_string(), String::new()),
    ]
    .into_iter()
    .collect();
    Field::new(name, DataType::Utf8, nullable).with_metadata(meta)
}

/// True for a field holding JSON text (declared `json`).
pub fn is_json_field(f: &Field) -> bool {
    f.metadata().get("ARROW:extension:name").is_some_and(|n| n == "arrow.json")
}

/// The first sighting of a kind of value at a key: which sample line, and the value's text.
#[derive(Clone)]
struct Example {
    line: usize,
    text: String,
}

impl Example {
    fn new(line: usize, raw: &str) -> Self {
        let mut text: String = raw.chars().take(40).collect();
        if text.len() < raw.len() {
            text.push('…');
        }
        Example { line, text }
    }
}

struct Num {
    first: Example,
    int: Option<Example>,
    float: Option<Example>,
    min: i128,
    max: i128,
    /// An integer with more than 38 digits.
    huge: Option<Example>,
    /// An integer a float64 cannot hold exactly (|x| > 2^53).
    inexact: Option<Example>,
}

#[derive(Default)]
struct Obj {
    fields: Vec<(String, Shape)>,
    index: HashMap<String, usize>,
}

enum Shape {
    Null,
    Bool(Example),
    Num(Box<Num>),
    Str(Example),
    List(Example, Box<Shape>),
    Object(Example, Obj),
}

impl Shape {
    fn kind(&self) -> &'static str {
        match self {
            Shape::Null => "null",
            Shape::Bool(_) => "a bool",
            Shape::Num(_) => "a number",
            Shape::Str(_) => "a string",
            Shape::List(..) => "an array",
            Shape::Object(..) => "an object",
        }
    }
    fn example(&self) -> Option<&Example> {
        match self {
            Shape::Null => None,
            Shape::Bool(e) | Shape::Str(e) | Shape::List(e, _) | Shape::Object(e, _) => Some(e),
            Shape::Num(n) => Some(&n.first),
        }
    }
}

fn kind_of(raw: &str) -> &'static str {
    match raw.as_bytes().first() {
        Some(b't' | b'f') => "a bool",
        Some(b'"') => "a string",
        Some(b'[') => "an array",
        Some(b'{') => "an object",
        _ => "a number",
    }
}

fn display_path(path: &str) -> &str {
    if path.is_empty() { "(the line itself)" } else { path }
}

fn conflict(shape: &Shape, raw: &str, path: &str, line: usize, lines: &[(&str, &[u8])]) -> String {
    let seen = shape.example().cloned().unwrap_or_else(|| Example::new(line, raw));
    let now = Example::new(line, raw);
    format!(
        "key {:?} holds different kinds of values: {} has {} ({}), {} has {} ({}); declare its type with --schema \
         (\"json\" keeps any JSON value as text)",
        display_path(path),
        lines[seen.line].0,
        shape.kind(),
        seen.text,
        lines[now.line].0,
        kind_of(raw),
        now.text
    )
}

struct Pairs<'de>(Vec<(std::borrow::Cow<'de, str>, &'de serde_json::value::RawValue)>);

impl<'de> serde::Deserialize<'de> for Pairs<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Pairs<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Pairs<'de>, A::Error> {
                let mut out = Vec::new();
                while let Some(k) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    out.push((k, map.next_value()?));
                }
                Ok(Pairs(out))
            }
        }
        d.deserialize_map(V)
    }
}

fn syntax(line: usize, lines: &[(&str, &[u8])], e: serde_json::Error) -> String {
    format!("{}: {}", lines[line].0, describe(&e))
}

/// Merges one value (its raw JSON text) into what is known about `path`.
fn observe(shape: &mut Shape, raw: &str, path: &str, line: usize, lines: &[(&str, &[u8])]) -> Result<(), String> {
    let raw = raw.trim();
    match raw.as_bytes().first() {
        None => Err(format!("{}: empty value at {:?}", lines[line].0, display_path(path))),
        Some(b'n') => Ok(()),
        Some(b't' | b'f') => match shape {
            Shape::Null => {
                *shape = Shape::Bool(Example::new(line, raw));
                Ok(())
            }
            Shape::Bool(_) => Ok(()),
            other => Err(conflict(other, raw, path, line, lines)),
        },
        Some(b'"') => match shape {
            Shape::Null => {
                *shape = Shape::Str(Example::new(line, raw));
                Ok(())
            }
            Shape::Str(_) => Ok(()),
            other => Err(conflict(other, raw, path, line, lines)),
        },
        Some(b'[') => {
            if let Shape::Null = shape {
                *shape = Shape::List(Example::new(line, raw), Box::new(Shape::Null));
            }
            let Shape::List(_, elem) = shape else { return Err(conflict(shape, raw, path, line, lines)) };
            let items: Vec<&serde_json::value::RawValue> =
                serde_json::from_str(raw).map_err(|e| syntax(line, lines, e))?;
            let child = format!("{path}[]");
            for item in items {
                observe(elem, item.get(), &child, line, lines)?;
            }
            Ok(())
        }
        Some(b'{') => {
            if let Shape::Null = shape {
                *shape = Shape::Object(Example::new(line, raw), Obj::default());
            }
            let Shape::Object(_, obj) = shape else { return Err(conflict(shape, raw, path, line, lines)) };
            let pairs: Pairs = serde_json::from_str(raw).map_err(|e| syntax(line, lines, e))?;
            for (k, v) in pairs.0 {
                let idx = match obj.index.get(k.as_ref()) {
                    Some(&i) => i,
                    None => {
                        obj.index.insert(k.to_string(), obj.fields.len());
                        obj.fields.push((k.to_string(), Shape::Null));
                        obj.fields.len() - 1
                    }
                };
                let child = if path.is_empty() { k.to_string() } else { format!("{path}.{k}") };
                observe(&mut obj.fields[idx].1, v.get(), &child, line, lines)?;
            }
            Ok(())
        }
        Some(_) => {
            let ex = Example::new(line, raw);
            let is_int = !raw.contains(['.', 'e', 'E']);
            if let Shape::Null = shape {
                *shape = Shape::Num(Box::new(Num {
                    first: ex.clone(),
                    int: None,
                    float: None,
                    min: 0,
                    max: 0,
                    huge: None,
                    inexact: None,
                }));
            }
            let Shape::Num(n) = shape else { return Err(conflict(shape, raw, path, line, lines)) };
            if !is_int {
                n.float.get_or_insert(ex);
                return Ok(());
            }
            let digits = raw.trim_start_matches('-').trim_start_matches('0').len();
            match raw.parse::<i128>() {
                Ok(x) if digits <= 38 => {
                    if n.int.is_none() {
                        n.min = x;
                        n.max = x;
                    }
                    n.min = n.min.min(x);
                    n.max = n.max.max(x);
                    if x.unsigned_abs() > 1 << 53 && n.inexact.is_none() {
                        n.inexact = Some(ex.clone());
                    }
                }
                _ => {
                    n.huge.get_or_insert(ex.clone());
                }
            }
            n.int.get_or_insert(ex);
            Ok(())
        }
    }
}

/// The column type for what was seen at `path`.
fn finalize(name: &str, shape: &Shape, path: &str, lines: &[(&str, &[u8])]) -> Result<Field, String> {
    let dt = match shape {
        Shape::Null | Shape::Str(_) => DataType::Utf8,
        Shape::Bool(_) => DataType::Boolean,
        Shape::Num(n) => number_type(n, path, lines)?,
        Shape::List(_, elem) => DataType::List(Arc::new(finalize("item", elem, &format!("{path}[]"), lines)?)),
        Shape::Object(_, obj) if obj.fields.is_empty() => return Ok(json_field(name, true)),
        Shape::Object(_, obj) => {
            let mut fs = Vec::with_capacity(obj.fields.len());
            for (k, s) in &obj.fields {
                fs.push(Arc::new(finalize(k, s, &format!("{path}.{k}"), lines)?));
            }
            DataType::Struct(Fields::from(fs))
        }
    };
    Ok(Field::new(name, dt, true))
}

fn number_type(n: &Num, path: &str, lines: &[(&str, &[u8])]) -> Result<DataType, String> {
    let at = |e: &Example| format!("{} ({})", lines[e.line].0, e.text);
    if let Some(h) = &n.huge {
        return Err(format!(
            "key {path:?}: the integer at {} has more than 38 digits, more than any numeric column holds; \
             declare it as \"string\" or \"json\" with --schema",
            at(h)
        ));
    }
    if let Some(f) = &n.float {
        if let (Some(i), Some(_)) = (&n.inexact, &n.int) {
            return Err(format!(
                "key {path:?} mixes fractional numbers ({}) with integers a float64 cannot hold exactly ({}); \
                 declare its type with --schema (decimal(p, s), or \"json\" to keep the text)",
                at(f),
                at(i)
            ));
        }
        return Ok(DataType::Float64);
    }
    if n.min >= i64::MIN as i128 && n.max <= i64::MAX as i128 {
        Ok(DataType::Int64)
    } else if n.min >= 0 && n.max <= u64::MAX as i128 {
        Ok(DataType::UInt64)
    } else {
        Ok(DataType::Decimal128(38, 0))
    }
}

/// The type a column is stored as: `timestamp(s)` is kept in milliseconds, because Parquet has no
/// seconds unit and a plain INT64 would not read back as a timestamp.
pub fn storage_type(dt: &DataType) -> DataType {
    match dt {
        DataType::Timestamp(TimeUnit::Second, tz) => DataType::Timestamp(TimeUnit::Millisecond, tz.clone()),
        DataType::List(f) => DataType::List(Arc::new(storage_field(f))),
        DataType::Struct(fs) => DataType::Struct(fs.iter().map(|f| Arc::new(storage_field(f))).collect::<Fields>()),
        other => other.clone(),
    }
}

fn storage_field(f: &Field) -> Field {
    f.clone().with_data_type(storage_type(f.data_type()))
}

/// The schema batches are built with (see [`storage_type`]).
pub fn storage_schema(schema: &Schema) -> SchemaRef {
    Arc::new(Schema::new_with_metadata(
        schema.fields().iter().map(|f| Arc::new(storage_field(f))).collect::<Fields>(),
        schema.metadata().clone(),
    ))
}

// ---------------------------------------------------------------------------------------------------------
// Column buffers

struct Nulls(BooleanBufferBuilder);
impl Nulls {
    fn new() -> Self {
        Nulls(BooleanBufferBuilder::new(1024))
    }
    fn take(&mut self) -> Option<NullBuffer> {
        let b = std::mem::replace(&mut self.0, BooleanBufferBuilder::new(1024)).finish();
        let n = NullBuffer::new(b);
        if n.null_count() > 0 { Some(n) } else { None }
    }
}

enum Kind {
    Bool(Vec<bool>),
    Int { bits: u8, v: Vec<i64> },
    UInt { bits: u8, v: Vec<u64> },
    Float { single: bool, v: Vec<f64> },
    Str { offsets: Vec<i32>, bytes: Vec<u8> },
    /// Any JSON value, kept as its text.
    Json { offsets: Vec<i32>, bytes: Vec<u8> },
    Bin { offsets: Vec<i32>, bytes: Vec<u8> },
    Date(Vec<i32>),
    Ts { unit: TimeUnit, tz: Option<Arc<str>>, v: Vec<i64> },
    Dec { precision: u8, scale: i8, v: Vec<i128> },
    List { field: FieldRef, offsets: Vec<i32>, child: Box<Col> },
    Struct(Box<StructCol>),
}

struct Col {
    path: String,
    nullable: bool,
    nulls: Nulls,
    kind: Kind,
}

struct StructCol {
    fields: Fields,
    children: Vec<Col>,
    index: HashMap<String, usize>,
    /// Generation stamp per child: equals `stamp` when the key was seen in the current object.
    seen: Vec<u64>,
    stamp: u64,
    nulls: BooleanBufferBuilder,
}

impl StructCol {
    fn new(fields: &Fields, path: &str) -> Result<Self, String> {
        let mut children = Vec::with_capacity(fields.len());
        let mut index = HashMap::with_capacity(fields.len());
        for (i, f) in fields.iter().enumerate() {
            let p = if path.is_empty() { f.name().clone() } else { format!("{path}.{}", f.name()) };
            children.push(Col::new(f, p)?);
            index.insert(f.name().clone(), i);
        }
        Ok(Self {
            fields: fields.clone(),
            seen: vec![0; children.len()],
            children,
            index,
            stamp: 0,
            nulls: BooleanBufferBuilder::new(0),
        })
    }

    fn truncate_children(&mut self, len: usize) {
        for c in &mut self.children {
            c.truncate(len);
        }
    }

    /// Reads one JSON object into the children; fills absent keys with null.
    fn read_object<'de, A: MapAccess<'de>>(&mut self, mut map: A, path: &str, exact_ints: bool) -> Result<(), A::Error> {
        self.stamp += 1;
        let stamp = self.stamp;
        let mut hint = 0usize;
        while let Some(key) = map.next_key_seed(KeySeed)? {
            let idx = if hint < self.fields.len() && self.fields[hint].name() == key.as_ref() {
                hint
            } else {
                match self.index.get(key.as_ref()) {
                    Some(&i) => i,
                    None => {
                        let at = if path.is_empty() { String::new() } else { format!(" in {path}") };
                        return Err(de::Error::custom(format!("unknown key {:?}{at} (not in the schema)", key.as_ref())));
                    }
                }
            };
            if self.seen[idx] == stamp {
                return Err(de::Error::custom(format!("duplicate key {:?}", key.as_ref())));
            }
            self.seen[idx] = stamp;
            hint = idx + 1;
            map.next_value_seed(ValueSeed(&mut self.children[idx], exact_ints))?;
        }
        for (i, c) in self.children.iter_mut().enumerate() {
            if self.seen[i] != stamp {
                if !c.nullable {
                    return Err(de::Error::custom(format!("missing value for non-nullable field {:?}", c.path)));
                }
                c.push_null();
            }
        }
        Ok(())
    }
}

impl Col {
    fn new(f: &Field, path: String) -> Result<Self, String> {
        let kind = match f.data_type() {
            DataType::Boolean => Kind::Bool(Vec::new()),
            DataType::Int8 => Kind::Int { bits: 8, v: Vec::new() },
            DataType::Int16 => Kind::Int { bits: 16, v: Vec::new() },
            DataType::Int32 => Kind::Int { bits: 32, v: Vec::new() },
            DataType::Int64 => Kind::Int { bits: 64, v: Vec::new() },
            DataType::UInt8 => Kind::UInt { bits: 8, v: Vec::new() },
            DataType::UInt16 => Kind::UInt { bits: 16, v: Vec::new() },
            DataType::UInt32 => Kind::UInt { bits: 32, v: Vec::new() },
            DataType::UInt64 => Kind::UInt { bits: 64, v: Vec::new() },
            DataType::Float32 => Kind::Float { single: true, v: Vec::new() },
            DataType::Float64 => Kind::Float { single: false, v: Vec::new() },
            DataType::Utf8 if is_json_field(f) => Kind::Json { offsets: vec![0], bytes: Vec::new() },
            DataType::Utf8 => Kind::Str { offsets: vec![0], bytes: Vec::new() },
            DataType::Binary => Kind::Bin { offsets: vec![0], bytes: Vec::new() },
            DataType::Date32 => Kind::Date(Vec::new()),
            DataType::Timestamp(unit, tz) => Kind::Ts { unit: *unit, tz: tz.clone(), v: Vec::new() },
            DataType::Decimal128(p, s) => Kind::Dec { precision: *p, scale: *s, v: Vec::new() },
            DataType::List(child) => Kind::List {
                field: child.clone(),
                offsets: vec![0],
                child: Box::new(Col::new(child, format!("{path}[]"))?),
            },
            DataType::Struct(fields) if fields.is_empty() => {
                return Err(format!("column {path:?}: a struct needs at least one field (use json for any object)"));
            }
            DataType::Struct(fields) => Kind::Struct(Box::new(StructCol::new(fields, &path)?)),
            other => return Err(format!("column {path:?}: type {other} is not supported for NDJSON input")),
        };
        Ok(Self { path, nullable: f.is_nullable(), nulls: Nulls::new(), kind })
    }

    fn len(&self) -> usize {
        self.nulls.0.len()
    }

    fn truncate(&mut self, len: usize) {
        // A nested list or struct appends its own slot only after its children, so a line that failed inside
        // it has left children longer than the column itself: always descend.
        if self.len() < len {
            return;
        }
        self.nulls.0.truncate(len);
        match &mut self.kind {
            Kind::Bool(v) => v.truncate(len),
            Kind::Int { v, .. } | Kind::Ts { v, .. } => v.truncate(len),
            Kind::UInt { v, .. } => v.truncate(len),
            Kind::Float { v, .. } => v.truncate(len),
            Kind::Date(v) => v.truncate(len),
            Kind::Dec { v, .. } => v.truncate(len),
            Kind::Str { offsets, bytes } | Kind::Bin { offsets, bytes } | Kind::Json { offsets, bytes } => {
                offsets.truncate(len + 1);
                bytes.truncate(offsets[len] as usize);
            }
            Kind::List { offsets, child, .. } => {
                offsets.truncate(len + 1);
                child.truncate(offsets[len] as usize);
            }
            Kind::Struct(s) => s.truncate_children(len),
        }
    }

    /// Appends a null (or the placeholder under a null parent).
    fn push_null(&mut self) {
        self.nulls.0.append(false);
        match &mut self.kind {
            Kind::Bool(v) => v.push(false),
            Kind::Int { v, .. } | Kind::Ts { v, .. } => v.push(0),
            Kind::UInt { v, .. } => v.push(0),
            Kind::Float { v, .. } => v.push(0.0),
            Kind::Date(v) => v.push(0),
            Kind::Dec { v, .. } => v.push(0),
            Kind::Str { offsets, bytes } | Kind::Bin { offsets, bytes } | Kind::Json { offsets, bytes } => {
                offsets.push(bytes.len() as i32)
            }
            Kind::List { offsets, .. } => {
                let last = *offsets.last().unwrap_or(&0);
                offsets.push(last)
            }
            Kind::Struct(s) => {
                for c in &mut s.children {
                    c.push_null();
                }
            }
        }
    }

    fn type_label(&self) -> String {
        match &self.kind {
            Kind::Bool(_) => "bool".into(),
            Kind::Int { bits, .. } => format!("int{bits}"),
            Kind::UInt { bits, .. } => format!("uint{bits}"),
            Kind::Float { single: true, .. } => "float32".into(),
            Kind::Float { single: false, .. } => "float64".into(),
            Kind::Str { .. } => "string".into(),
            Kind::Json { .. } => "json".into(),
            Kind::Bin { .. } => "binary (base64 string)".into(),
            Kind::Date(_) => "date".into(),
            Kind::Ts { .. } => "timestamp".into(),
            Kind::Dec { precision, scale, .. } => format!("decimal({precision}, {scale})"),
            Kind::List { .. } => "list".into(),
            Kind::Struct(_) => "struct".into(),
        }
    }

    fn inexact<E: de::Error>(&self, x: impl fmt::Display) -> E {
        E::custom(format!("field {:?}: the integer {x} cannot be stored exactly in {}", self.path, self.type_label()))
    }

    fn mismatch<E: de::Error>(&self, got: impl fmt::Display) -> E {
        E::custom(format!("field {:?}: expected {}, got {got}", self.path, self.type_label()))
    }

    fn finish(&mut self) -> ArrayRef {
        let nulls = self.nulls.take();
        match &mut self.kind {
            Kind::Bool(v) => Arc::new(BooleanArray::new(std::mem::take(v).into_iter().collect(), nulls)),
            Kind::Int { bits, v } => {
                let v = std::mem::take(v);
                match bits {
                    8 => Arc::new(Int8Array::new(v.into_iter().map(|x| x as i8).collect(), nulls)),
                    16 => Arc::new(Int16Array::new(v.into_iter().map(|x| x as i16).collect(), nulls)),
                    32 => Arc::new(Int32Array::new(v.into_iter().map(|x| x as i32).collect(), nulls)),
                    _ => Arc::new(Int64Array::new(ScalarBuffer::from(v), nulls)),
                }
            }
            Kind::UInt { bits, v } => {
                let v = std::mem::take(v);
                match bits {
                    8 => Arc::new(UInt8Array::new(v.into_iter().map(|x| x as u8).collect(), nulls)),
                    16 => Arc::new(UInt16Array::new(v.into_iter().map(|x| x as u16).collect(), nulls)),
                    32 => Arc::new(UInt32Array::new(v.into_iter().map(|x| x as u32).collect(), nulls)),
                    _ => Arc::new(UInt64Array::new(ScalarBuffer::from(v), nulls)),
                }
            }
            Kind::Float { single, v } => {
                let v = std::mem::take(v);
                if *single {
                    Arc::new(Float32Array::new(v.into_iter().map(|x| x as f32).collect(), nulls))
                } else {
                    Arc::new(Float64Array::new(ScalarBuffer::from(v), nulls))
                }
            }
            Kind::Str { offsets, bytes } | Kind::Json { offsets, bytes } => {
                let offs = OffsetBuffer::new(ScalarBuffer::from(std::mem::replace(offsets, vec![0])));
                let data = Buffer::from_vec(std::mem::take(bytes));
                // SAFETY: only whole `&str` values were appended, so every slice is valid UTF-8.
                Arc::new(unsafe { StringArray::new_unchecked(offs, data, nulls) })
            }
            Kind::Bin { offsets, bytes } => {
                let offs = OffsetBuffer::new(ScalarBuffer::from(std::mem::replace(offsets, vec![0])));
                Arc::new(BinaryArray::new(offs, Buffer::from_vec(std::mem::take(bytes)), nulls))
            }
            Kind::Date(v) => Arc::new(Date32Array::new(ScalarBuffer::from(std::mem::take(v)), nulls)),
            Kind::Ts { unit, tz, v } => {
                let v = ScalarBuffer::from(std::mem::take(v));
                match unit {
                    // Seconds were stored as milliseconds when pushed (see `storage_type`).
                    TimeUnit::Second | TimeUnit::Millisecond => {
                        Arc::new(TimestampMillisecondArray::new(v, nulls).with_timezone_opt(tz.clone()))
                    }
                    TimeUnit::Microsecond => {
                        Arc::new(TimestampMicrosecondArray::new(v, nulls).with_timezone_opt(tz.clone()))
                    }
                    TimeUnit::Nanosecond => {
                        Arc::new(TimestampNanosecondArray::new(v, nulls).with_timezone_opt(tz.clone()))
                    }
                }
            }
            Kind::Dec { precision, scale, v } => Arc::new(
                Decimal128Array::new(ScalarBuffer::from(std::mem::take(v)), nulls)
                    .with_precision_and_scale(*precision, *scale)
                    .expect("precision and scale were validated by the schema"), // ok: schema-checked
            ),
            Kind::List { field, offsets, child } => {
                let offs = OffsetBuffer::new(ScalarBuffer::from(std::mem::replace(offsets, vec![0])));
                Arc::new(ListArray::new(field.clone(), offs, child.finish(), nulls))
            }
            Kind::Struct(s) => {
                let children: Vec<ArrayRef> = s.children.iter_mut().map(Col::finish).collect();
                Arc::new(StructArray::new(s.fields.clone(), children, nulls))
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// serde plumbing

struct RowSeed<'a> {
    col: &'a mut StructCol,
    /// Read integers from their literal text (the slower, exact path).
    exact_ints: bool,
}

/// The error a fast-path integer read raises when serde_json hands it a float: the line is read again exactly.
const RETRY_EXACT: &str = "\u{1}retry with exact integers";

impl<'de> DeserializeSeed<'de> for RowSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for RowSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        self.col.read_object(map, "", self.exact_ints)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(de::Error::custom(NOT_OBJECT.replace("{}", "an array")))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Err(E::custom(NOT_OBJECT.replace("{}", "a string")))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Err(E::custom(NOT_OBJECT.replace("{}", "a number")))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Err(E::custom(NOT_OBJECT.replace("{}", "a number")))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Err(E::custom(NOT_OBJECT.replace("{}", "a number")))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Err(E::custom(NOT_OBJECT.replace("{}", "a bool")))
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Err(E::custom(NOT_OBJECT.replace("{}", "null")))
    }
}

const NOT_OBJECT: &str = "expected a JSON object on each line, got {}";

/// Object keys, borrowed when they contain no escapes.
struct KeySeed;
enum Key<'de> {
    Borrowed(&'de str),
    Owned(String),
}
impl AsRef<str> for Key<'_> {
    fn as_ref(&self) -> &str {
        match self {
            Key::Borrowed(s) => s,
            Key::Owned(s) => s,
        }
    }
}
impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Key<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Key<'de>, D::Error> {
        d.deserialize_str(self)
    }
}
impl<'de> Visitor<'de> for KeySeed {
    type Value = Key<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
        Ok(Key::Borrowed(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
        Ok(Key::Owned(v.to_string()))
    }
}

struct ValueSeed<'a>(&'a mut Col, bool);

impl<'de> DeserializeSeed<'de> for ValueSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        if let Kind::Json { .. } = self.0.kind {
            let raw: &serde_json::value::RawValue = serde::Deserialize::deserialize(d)?;
            return push_json(self.0, raw.get());
        }
        if let Kind::Dec { .. } = self.0.kind {
            // Decimals are read from the literal text so no digit passes through a float.
            let raw: &serde_json::value::RawValue = serde::Deserialize::deserialize(d)?;
            return push_decimal(self.0, raw.get());
        }
        // Floats are always read from their literal text (an integer beyond 64 bits must not be rounded into a
        // float column silently); integers only on the retry of a line where serde_json saw a float, because
        // it hands `-0`, `-0.0` and integers beyond 64 bits to visitors alike as floats.
        let exact = match self.0.kind {
            Kind::Float { .. } => true,
            Kind::Int { .. } | Kind::UInt { .. } => self.1,
            _ => false,
        };
        if exact {
            let raw: &serde_json::value::RawValue = serde::Deserialize::deserialize(d)?;
            return push_number(self.0, raw.get());
        }
        d.deserialize_any(self)
    }
}

/// Appends a number to an integer or float column from its JSON text, exactly or not at all.
fn push_number<E: de::Error>(col: &mut Col, raw: &str) -> Result<(), E> {
    let first = raw.as_bytes().first().copied().unwrap_or(b'n');
    if first == b'n' {
        return push_null_checked(col);
    }
    if !(first == b'-' || first.is_ascii_digit()) {
        let got = match first {
            b'"' => format!("string {:?}", raw.trim_matches('"').chars().take(40).collect::<String>()),
            b't' | b'f' => format!("bool {raw}"),
            b'[' => "an array".to_string(),
            _ => "an object".to_string(),
        };
        return Err(col.mismatch(got));
    }
    let integer = !raw.contains(['.', 'e', 'E']);
    let out_of_range = |col: &Col| E::custom(format!("field {:?}: {raw} is out of range for {}", col.path, col.type_label()));
    match col.kind {
        Kind::Int { bits, .. } => {
            if !integer {
                return Err(col.mismatch(format_args!("number {raw}")));
            }
            let x = match raw.parse::<i64>() {
                Ok(x) if int_fits(bits, x) => x,
                _ => return Err(out_of_range(col)),
            };
            if let Kind::Int { v, .. } = &mut col.kind {
                v.push(x);
            }
        }
        Kind::UInt { bits, .. } => {
            if !integer {
                return Err(col.mismatch(format_args!("number {raw}")));
            }
            // `-0` is zero; any other negative number is out of range.
            let x = match raw.strip_prefix('-') {
                Some(digits) => digits.bytes().all(|b| b == b'0').then_some(0),
                None => raw.parse::<u64>().ok(),
            };
            let x = match x {
                Some(x) if uint_fits(bits, x) => x,
                _ => return Err(out_of_range(col)),
            };
            if let Kind::UInt { v, .. } = &mut col.kind {
                v.push(x);
            }
        }
        Kind::Float { single, .. } => {
            let x = if integer {
                match raw.parse::<i128>() {
                    Ok(x) if exact_in_float(x, single) => x as f64,
                    _ => return Err(col.inexact(raw)),
                }
            } else {
                let Ok(x) = raw.parse::<f64>() else { return Err(col.mismatch(format_args!("number {raw}"))) };
                if !x.is_finite() || (single && !(x as f32).is_finite()) {
                    return Err(out_of_range(col));
                }
                x
            };
            if let Kind::Float { v, .. } = &mut col.kind {
                v.push(x);
            }
        }
        _ => unreachable!("push_number is only called for number columns"),
    }
    col.nulls.0.append(true);
    Ok(())
}

fn push_json<E: de::Error>(col: &mut Col, raw: &str) -> Result<(), E> {
    if raw == "null" {
        return push_null_checked(col);
    }
    let Kind::Json { offsets, bytes } = &mut col.kind else { unreachable!() };
    bytes.extend_from_slice(raw.as_bytes());
    if bytes.len() > i32::MAX as usize {
        return Err(E::custom("more than 2 GiB of text in one batch"));
    }
    offsets.push(bytes.len() as i32);
    col.nulls.0.append(true);
    Ok(())
}

fn push_decimal<E: de::Error>(col: &mut Col, raw: &str) -> Result<(), E> {
    if raw == "null" {
        return push_null_checked(col);
    }
    let text = if let Some(s) = raw.strip_prefix('"') { s.strip_suffix('"').unwrap_or(s) } else { raw };
    let Kind::Dec { precision, scale, v } = &mut col.kind else { unreachable!() };
    match parse_decimal_exact(text, *precision, *scale) {
        Some(x) => {
            v.push(x);
            col.nulls.0.append(true);
            Ok(())
        }
        None => Err(E::custom(format!(
            "field {:?}: {raw} does not fit decimal({precision}, {scale}) exactly",
            col.path
        ))),
    }
}

/// Parses a plain decimal literal (`-12.50`, `3`, `1e2` is rejected) with at most `scale` fraction digits.
fn parse_decimal_exact(s: &str, precision: u8, scale: i8) -> Option<i128> {
    let (neg, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let (int_part, frac) = match body.split_once('.') {
        Some((i, f)) => (i, f),
        None => (body, ""),
    };
    if int_part.is_empty() && frac.is_empty() {
        return None;
    }
    if !int_part.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let frac_trim = frac.trim_end_matches('0');
    if frac_trim.len() > scale.max(0) as usize {
        return None;
    }
    let int_trim = int_part.trim_start_matches('0');
    if int_trim.len() + scale.max(0) as usize > precision as usize {
        return None;
    }
    let mut acc: i128 = 0;
    for b in int_trim.bytes().chain(frac_trim.bytes()) {
        acc = acc.checked_mul(10)?.checked_add((b - b'0') as i128)?;
    }
    for _ in frac_trim.len()..scale.max(0) as usize {
        acc = acc.checked_mul(10)?;
    }
    Some(if neg { -acc } else { acc })
}

fn push_null_checked<E: de::Error>(col: &mut Col) -> Result<(), E> {
    if !col.nullable {
        return Err(E::custom(format!("field {:?}: null in a non-nullable field", col.path)));
    }
    col.push_null();
    Ok(())
}

const UNIX_EPOCH_DATE: chrono::NaiveDate = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap(); // ok: evaluated at compile time

fn int_fits(bits: u8, x: i64) -> bool {
    match bits {
        8 => i8::try_from(x).is_ok(),
        16 => i16::try_from(x).is_ok(),
        32 => i32::try_from(x).is_ok(),
        _ => true,
    }
}

fn uint_fits(bits: u8, x: u64) -> bool {
    match bits {
        8 => u8::try_from(x).is_ok(),
        16 => u16::try_from(x).is_ok(),
        32 => u32::try_from(x).is_ok(),
        _ => true,
    }
}

/// The stored value of a timestamp in `unit`: seconds are kept as milliseconds.
fn stored_ts(unit: TimeUnit, x: i64) -> Option<i64> {
    match unit {
        TimeUnit::Second => x.checked_mul(1000),
        _ => Some(x),
    }
}

/// True when the integer converts to the float type without rounding.
fn exact_in_float(x: i128, single: bool) -> bool {
    if single { (x as f32) as i128 == x } else { (x as f64) as i128 == x }
}

fn parse_timestamp(s: &str, unit: TimeUnit) -> Result<i64, String> {
    let dt = arrow::compute::kernels::cast_utils::string_to_datetime(&chrono::Utc, s)
        .map_err(|_| format!("{s:?} is not an RFC 3339 timestamp"))?;
    let nanos = dt.timestamp_nanos_opt();
    let secs = dt.timestamp();
    let sub = dt.timestamp_subsec_nanos() as i64;
    let (value, lost) = match unit {
        TimeUnit::Second => (Some(secs), sub != 0),
        TimeUnit::Millisecond => (secs.checked_mul(1000).and_then(|v| v.checked_add(sub / 1_000_000)), sub % 1_000_000 != 0),
        TimeUnit::Microsecond => (secs.checked_mul(1_000_000).and_then(|v| v.checked_add(sub / 1000)), sub % 1000 != 0),
        TimeUnit::Nanosecond => (nanos, false),
    };
    if lost {
        return Err(format!("{s:?} has more precision than the column's unit"));
    }
    value.ok_or_else(|| format!("{s:?} is out of range for the column's unit"))
}

impl<'de> Visitor<'de> for ValueSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}", self.0.type_label())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        push_null_checked(self.0)
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<(), E> {
        let col = self.0;
        match &mut col.kind {
            Kind::Bool(v) => v.push(b),
            _ => return Err(col.mismatch(format_args!("bool {b}"))),
        }
        col.nulls.0.append(true);
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, x: i64) -> Result<(), E> {
        let col = self.0;
        match &mut col.kind {
            Kind::Int { bits, v } if int_fits(*bits, x) => v.push(x),
            Kind::UInt { bits, v } if x >= 0 && uint_fits(*bits, x as u64) => v.push(x as u64),
            Kind::Ts { unit, v, .. } => match stored_ts(*unit, x) {
                Some(x) => v.push(x),
                None => {
                    return Err(E::custom(format!("field {:?}: {x} is out of range for {}", col.path, col.type_label())));
                }
            },
            Kind::Float { single, v } if exact_in_float(x as i128, *single) => v.push(x as f64),
            Kind::Float { .. } => return Err(col.inexact(x)),
            Kind::Date(v) if i32::try_from(x).is_ok() => v.push(x as i32),
            Kind::Int { .. } | Kind::UInt { .. } | Kind::Date(_) => {
                return Err(E::custom(format!("field {:?}: {x} is out of range for {}", col.path, col.type_label())));
            }
            _ => return Err(col.mismatch(format_args!("number {x}"))),
        }
        col.nulls.0.append(true);
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, x: u64) -> Result<(), E> {
        if let Ok(i) = i64::try_from(x) {
            return self.visit_i64(i);
        }
        let col = self.0;
        match &mut col.kind {
            Kind::UInt { bits: 64, v } => v.push(x),
            Kind::Float { single, v } if exact_in_float(x as i128, *single) => v.push(x as f64),
            Kind::Float { .. } => return Err(col.inexact(x)),
            Kind::Int { .. } | Kind::UInt { .. } | Kind::Ts { .. } | Kind::Date(_) => {
                return Err(E::custom(format!("field {:?}: {x} is out of range for {}", col.path, col.type_label())));
            }
            _ => return Err(col.mismatch(format_args!("number {x}"))),
        }
        col.nulls.0.append(true);
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, x: f64) -> Result<(), E> {
        if let Kind::Int { .. } | Kind::UInt { .. } = self.0.kind {
            return Err(E::custom(RETRY_EXACT));
        }
        let col = self.0;
        match &mut col.kind {
            Kind::Float { single: true, v } if x.is_finite() && (x as f32).is_finite() => v.push(x),
            Kind::Float { single: false, v } => v.push(x),
            Kind::Float { .. } => {
                return Err(E::custom(format!("field {:?}: {x} is out of range for float32", col.path)));
            }
            _ => return Err(col.mismatch(format_args!("number {x}"))),
        }
        col.nulls.0.append(true);
        Ok(())
    }

    fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<(), E> {
        self.visit_str(s)
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<(), E> {
        let col = self.0;
        match &mut col.kind {
            Kind::Str { offsets, bytes } => {
                bytes.extend_from_slice(s.as_bytes());
                if bytes.len() > i32::MAX as usize {
                    return Err(E::custom("more than 2 GiB of text in one batch"));
                }
                offsets.push(bytes.len() as i32);
            }
            Kind::Bin { offsets, bytes } => {
                let decoded = base64::engine::general_purpose::STANDARD
                    .decode(s)
                    .map_err(|e| E::custom(format!("field {:?}: not base64 ({e})", col.path)))?;
                bytes.extend_from_slice(&decoded);
                offsets.push(bytes.len() as i32);
            }
            Kind::Ts { unit, v, .. } => {
                let x = parse_timestamp(s, *unit).map_err(|e| E::custom(format!("field {:?}: {e}", col.path)))?;
                let x = stored_ts(*unit, x)
                    .ok_or_else(|| E::custom(format!("field {:?}: {s:?} is out of range for the column", col.path)))?;
                v.push(x);
            }
            Kind::Date(v) => {
                let d = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                    .map_err(|_| E::custom(format!("field {:?}: {s:?} is not a date (YYYY-MM-DD)", col.path)))?;
                v.push((d - UNIX_EPOCH_DATE).num_days() as i32);
            }
            _ => {
                let shown: String = s.chars().take(40).collect();
                return Err(col.mismatch(format_args!("string {shown:?}")));
            }
        }
        col.nulls.0.append(true);
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let col = self.0;
        let Kind::List { offsets, child, .. } = &mut col.kind else {
            return Err(col.mismatch("an array"));
        };
        let mut n = 0usize;
        while seq.next_element_seed(ValueSeed(child, self.1))?.is_some() {
            n += 1;
        }
        let last = *offsets.last().unwrap_or(&0);
        offsets.push(last + n as i32);
        col.nulls.0.append(true);
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        let col = self.0;
        let path = col.path.clone();
        let Kind::Struct(s) = &mut col.kind else {
            return Err(col.mismatch("an object"));
        };
        s.read_object(map, &path, self.1)?;
        col.nulls.0.append(true);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::schema::parse_schema;

    fn decoder(schema: &str) -> LineDecoder {
        LineDecoder::new(parse_schema(schema).unwrap()).unwrap()
    }

    #[test]
    fn decodes_and_rolls_back() {
        let mut d = decoder(
            r#"[{"name":"a","type":"int32"},{"name":"s","type":"string"},
               {"name":"l","type":"list<struct<x: int64>>"},{"name":"t","type":"timestamp(ms, UTC)"},
               {"name":"d","type":"decimal(5,2)"},{"name":"day","type":"date"}]"#,
        );
        d.decode_line(br#"{"a":1,"s":"x","l":[{"x":1},{"x":2}],"t":"2024-01-02T03:04:05.678+01:00","d":"1.5","day":"1970-01-02"}"#).unwrap();
        // Fails after appending into a, s and the nested list: everything must roll back.
        let err = d.decode_line(br#"{"a":2,"s":"y","l":[{"x":3}],"t":"2024-01-01T00:00:00Z","d":1.234}"#).unwrap_err();
        assert!(err.contains("decimal"), "{err}");
        d.decode_line(br#"{"a":3,"l":null}"#).unwrap();
        let b = d.finish();
        assert_eq!(b.num_rows(), 2);
        let l = b.column(2).as_any().downcast_ref::<ListArray>().unwrap();
        assert_eq!(l.value_offsets(), &[0, 2, 2]);
        let t = b.column(3).as_any().downcast_ref::<TimestampMillisecondArray>().unwrap();
        assert_eq!(t.value(0), 1704161045678);
        let d2 = b.column(4).as_any().downcast_ref::<Decimal128Array>().unwrap();
        assert_eq!(d2.value(0), 150);
        let day = b.column(5).as_any().downcast_ref::<Date32Array>().unwrap();
        assert_eq!(day.value(0), 1);
    }

    #[test]
    fn rejects_coercions() {
        let mut d = decoder(r#"[{"name":"a","type":"int64"},{"name":"s","type":"string"},{"name":"b","type":"int8"}]"#);
        for (line, want) in [
            (&br#"{"a":1.5}"#[..], "expected int64, got number 1.5"),
            (br#"{"a":"12"}"#, "expected int64, got string"),
            (br#"{"s":12}"#, "expected string, got number 12"),
            (br#"{"b":300}"#, "out of range"),
            (br#"{"zz":1}"#, "unknown key \"zz\""),
            (br#"{"a":1,"a":2}"#, "duplicate key"),
            (br#"[1]"#, "expected a JSON object"),
            (br#"{"a":1} x"#, "trailing"),
            (b"{\"s\":\"\xff\"}", "unicode"),
        ] {
            let err = d.decode_line(line).unwrap_err();
            assert!(err.to_lowercase().contains(&want.to_lowercase()), "{}: {err}", String::from_utf8_lossy(line));
        }
        assert_eq!(d.len(), 0);
    }

    #[test]
    fn exact_decimals() {
        assert_eq!(parse_decimal_exact("12.50", 5, 2), Some(1250));
        assert_eq!(parse_decimal_exact("-0.01", 5, 2), Some(-1));
        assert_eq!(parse_decimal_exact("1.234", 5, 2), None);
        assert_eq!(parse_decimal_exact("1234", 5, 2), None);
        assert_eq!(parse_decimal_exact("1e2", 5, 2), None);
    }
}
