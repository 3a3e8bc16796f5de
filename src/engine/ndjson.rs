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
    TimestampMillisecondArray, TimestampNanosecondArray, TimestampSecondArray, UInt8Array, UInt16Array, UInt32Array,
    UInt64Array,
};
use arrow::array::BooleanBufferBuilder;
use arrow::buffer::{Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow::datatypes::{DataType, Field, FieldRef, Fields, Schema, SchemaRef, TimeUnit};
use base64::Engine as _;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// Decodes one NDJSON line at a time into column buffers; `finish` turns them into a RecordBatch.
pub struct LineDecoder {
    schema: SchemaRef,
    root: StructCol,
    rows: usize,
}

impl LineDecoder {
    /// Builds a decoder for `schema`; fails on column types the decoder does not support.
    pub fn new(schema: SchemaRef) -> Result<Self, String> {
        let root = StructCol::new(schema.fields(), "")?;
        Ok(Self { schema, root, rows: 0 })
    }

    pub fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    /// Rows buffered since the last `finish`.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Appends the row in `line`, or leaves the buffers as they were and returns why the line is bad.
    pub fn decode_line(&mut self, line: &[u8]) -> Result<(), String> {
        let mut de = serde_json::Deserializer::from_slice(line);
        let res = RowSeed { col: &mut self.root }.deserialize(&mut de).and_then(|_| de.end());
        match res {
            Ok(()) => {
                self.rows += 1;
                Ok(())
            }
            Err(e) => {
                self.root.truncate_children(self.rows);
                Err(describe(&e))
            }
        }
    }

    /// Takes the buffered rows as a batch.
    pub fn finish(&mut self) -> RecordBatch {
        let columns: Vec<ArrayRef> = self.root.children.iter_mut().map(Col::finish).collect();
        let rows = self.rows;
        self.rows = 0;
        self.root.nulls = BooleanBufferBuilder::new(0);
        RecordBatch::try_new_with_options(
            self.schema.clone(),
            columns,
            &arrow::array::RecordBatchOptions::new().with_row_count(Some(rows)),
        )
        .expect("column buffers always match the schema") // ok: built from the schema, checked by tests
    }
}

fn describe(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    let msg = match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg,
    };
    if e.column() > 0 { format!("{msg} (column {})", e.column()) } else { msg }
}

/// Infers a schema from sample lines (JSON objects). Columns that were only ever null become nullable strings.
pub fn infer_schema(lines: &[&[u8]]) -> Result<SchemaRef, String> {
    let mut values = Vec::with_capacity(lines.len());
    for (i, l) in lines.iter().enumerate() {
        let v: serde_json::Value =
            serde_json::from_slice(l).map_err(|e| format!("line {} of the sample: {}", i + 1, describe(&e)))?;
        if !v.is_object() {
            return Err(format!("line {} of the sample: expected a JSON object", i + 1));
        }
        values.push(Ok::<_, arrow::error::ArrowError>(v));
    }
    let schema = arrow_json::reader::infer_json_schema_from_iterator(values.into_iter()).map_err(|e| e.to_string())?;
    let fields: Vec<FieldRef> = schema.fields().iter().map(|f| Arc::new(replace_null(f))).collect();
    if fields.is_empty() {
        return Err("the sample has no keys to infer columns from; pass --schema".into());
    }
    Ok(Arc::new(Schema::new(fields)))
}

fn replace_null(f: &Field) -> Field {
    let dt = match f.data_type() {
        DataType::Null => DataType::Utf8,
        DataType::List(inner) => DataType::List(Arc::new(replace_null(inner))),
        DataType::Struct(fs) => DataType::Struct(fs.iter().map(|c| Arc::new(replace_null(c))).collect::<Fields>()),
        other => other.clone(),
    };
    Field::new(f.name(), dt, true)
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
    fn read_object<'de, A: MapAccess<'de>>(&mut self, mut map: A, path: &str) -> Result<(), A::Error> {
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
            map.next_value_seed(ValueSeed(&mut self.children[idx]))?;
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
            DataType::Struct(fields) => Kind::Struct(Box::new(StructCol::new(fields, &path)?)),
            other => return Err(format!("column {path:?}: type {other} is not supported for NDJSON input")),
        };
        Ok(Self { path, nullable: f.is_nullable(), nulls: Nulls::new(), kind })
    }

    fn len(&self) -> usize {
        self.nulls.0.len()
    }

    fn truncate(&mut self, len: usize) {
        if self.len() <= len {
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
            Kind::Str { offsets, bytes } | Kind::Bin { offsets, bytes } => {
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
            Kind::Str { offsets, bytes } | Kind::Bin { offsets, bytes } => offsets.push(bytes.len() as i32),
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
            Kind::Bin { .. } => "binary (base64 string)".into(),
            Kind::Date(_) => "date".into(),
            Kind::Ts { .. } => "timestamp".into(),
            Kind::Dec { precision, scale, .. } => format!("decimal({precision}, {scale})"),
            Kind::List { .. } => "list".into(),
            Kind::Struct(_) => "struct".into(),
        }
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
            Kind::Str { offsets, bytes } => {
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
                    TimeUnit::Second => Arc::new(TimestampSecondArray::new(v, nulls).with_timezone_opt(tz.clone())),
                    TimeUnit::Millisecond => {
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
}

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
        self.col.read_object(map, "")
    }
}

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

struct ValueSeed<'a>(&'a mut Col);

impl<'de> DeserializeSeed<'de> for ValueSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        if let Kind::Dec { .. } = self.0.kind {
            // Decimals are read from the literal text so no digit passes through a float.
            let raw: &serde_json::value::RawValue = serde::Deserialize::deserialize(d)?;
            return push_decimal(self.0, raw.get());
        }
        d.deserialize_any(self)
    }
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
            Kind::Float { v, .. } => v.push(x as f64),
            Kind::Ts { v, .. } => v.push(x),
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
            Kind::Float { v, .. } => v.push(x as f64),
            Kind::Int { .. } | Kind::UInt { .. } | Kind::Ts { .. } | Kind::Date(_) => {
                return Err(E::custom(format!("field {:?}: {x} is out of range for {}", col.path, col.type_label())));
            }
            _ => return Err(col.mismatch(format_args!("number {x}"))),
        }
        col.nulls.0.append(true);
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, x: f64) -> Result<(), E> {
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
        while seq.next_element_seed(ValueSeed(child))?.is_some() {
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
        s.read_object(map, &path)?;
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
