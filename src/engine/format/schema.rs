//! The schema file format (`--schema FILE`): a small JSON document naming each column's type and nullability.
//!
//! ```json
//! {"fields": [
//!   {"name": "id", "type": "int64", "nullable": false},
//!   {"name": "ts", "type": "timestamp(ms, UTC)"},
//!   {"name": "tags", "type": "list<string>"},
//!   {"name": "user", "type": {"type": "struct", "fields": [{"name": "name", "type": "string"}]}}
//! ]}
//! ```
//! A bare array of fields is accepted too. Type strings: `int8..int64`, `uint8..uint64`, `float32`, `float64`,
//! `bool`, `string`, `binary` (base64 in JSON), `date`, `timestamp(unit[, tz])` with unit `s|ms|us|ns`,
//! `decimal(p, s)`, `list<T>`, `struct<name: T, ...>`, and `json` (any JSON value, kept as its text in a
//! Parquet string column with the JSON logical type). `timestamp(s)` is stored in milliseconds.

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Fields, Schema, SchemaRef, TimeUnit};
use serde_json::Value;

use crate::engine::error::{Error, Result};
use crate::engine::ndjson::{is_json_field, json_field};

/// Reads and parses a schema file.
pub fn load_schema_file(path: &std::path::Path) -> Result<SchemaRef> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io("read schema", path, e))?;
    parse_schema(&text).map_err(|message| Error::Schema { file: path.display().to_string(), message })
}

/// Parses the schema JSON document.
pub fn parse_schema(text: &str) -> Result<SchemaRef, String> {
    let doc: Value = serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    let fields = match &doc {
        Value::Array(_) => &doc,
        Value::Object(o) => o.get("fields").ok_or("expected an object with a \"fields\" array")?,
        _ => return Err("expected an object with a \"fields\" array".into()),
    };
    let fields = parse_fields(fields, "")?;
    if fields.is_empty() {
        return Err("the schema has no fields".into());
    }
    Ok(Arc::new(Schema::new(fields)))
}

fn parse_fields(v: &Value, path: &str) -> Result<Fields, String> {
    let arr = v.as_array().ok_or_else(|| format!("{path}fields: expected an array"))?;
    let mut out = Vec::with_capacity(arr.len());
    let mut seen = std::collections::HashSet::new();
    for (i, f) in arr.iter().enumerate() {
        let obj = f.as_object().ok_or_else(|| format!("{path}fields[{i}]: expected an object"))?;
        let name = obj
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("{path}fields[{i}]: missing \"name\""))?;
        if !seen.insert(name.to_string()) {
            return Err(format!("{path}{name}: duplicate field name"));
        }
        let ty = obj.get("type").ok_or_else(|| format!("{path}{name}: missing \"type\""))?;
        let nullable = match obj.get("nullable") {
            None => true,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(format!("{path}{name}: \"nullable\" must be true or false")),
        };
        let ty = parse_type_value(ty, &format!("{path}{name}."))
            .map_err(|e| if e.starts_with(path) { e } else { format!("{path}{name}: {e}") })?;
        out.push(ty.field(name, nullable));
    }
    Ok(out.into())
}

/// A parsed column type: `json` is text with the JSON marker, which lives on the field.
struct Ty {
    dt: DataType,
    json: bool,
}

impl Ty {
    fn plain(dt: DataType) -> Self {
        Ty { dt, json: false }
    }
    fn field(self, name: &str, nullable: bool) -> Field {
        if self.json { json_field(name, nullable) } else { Field::new(name, self.dt, nullable) }
    }
}

fn parse_type_value(v: &Value, path: &str) -> Result<Ty, String> {
    match v {
        Value::String(s) => parse_ty(s),
        Value::Object(o) => match o.get("type").and_then(Value::as_str) {
            Some("struct") => {
                let fields = parse_fields(o.get("fields").ok_or("struct needs \"fields\"")?, path)?;
                if fields.is_empty() {
                    return Err("a struct needs at least one field (use \"json\" for objects of any shape)".into());
                }
                Ok(Ty::plain(DataType::Struct(fields)))
            }
            Some("list") => {
                let el = o.get("element").ok_or("list needs \"element\"")?;
                let nullable = o.get("element_nullable").and_then(Value::as_bool).unwrap_or(true);
                Ok(Ty::plain(DataType::List(Arc::new(parse_type_value(el, path)?.field("item", nullable)))))
            }
            Some(other) => parse_ty(other),
            None => Err("type object needs a \"type\"".into()),
        },
        _ => Err("type must be a string or an object".into()),
    }
}

/// Parses a type string such as `int64`, `timestamp(ms, UTC)`, `list<struct<a: int32>>`.
pub fn parse_type(s: &str) -> Result<DataType, String> {
    parse_ty(s).map(|t| t.dt)
}

fn parse_ty(s: &str) -> Result<Ty, String> {
    let mut p = TypeParser { s: s.as_bytes(), pos: 0, text: s };
    let t = p.ty()?;
    p.ws();
    if p.pos != p.s.len() {
        return Err(p.err("unexpected trailing text"));
    }
    Ok(t)
}

struct TypeParser<'a> {
    s: &'a [u8],
    pos: usize,
    text: &'a str,
}

impl TypeParser<'_> {
    fn err(&self, msg: &str) -> String {
        format!("invalid type {:?} at offset {}: {msg}", self.text, self.pos)
    }
    fn ws(&mut self) {
        while self.pos < self.s.len() && self.s[self.pos].is_ascii_whitespace() {
            self.pos += 1;
        }
    }
    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        if self.s.get(self.pos) == Some(&c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn require(&mut self, c: u8) -> Result<(), String> {
        if self.eat(c) { Ok(()) } else { Err(self.err(&format!("expected '{}'", c as char))) }
    }
    fn word(&mut self) -> String {
        self.ws();
        let start = self.pos;
        while self.pos < self.s.len() && (self.s[self.pos].is_ascii_alphanumeric() || self.s[self.pos] == b'_') {
            self.pos += 1;
        }
        String::from_utf8_lossy(&self.s[start..self.pos]).into_owned()
    }
    /// Raw text up to (not including) `end`, trimmed: used for timezones like `+02:00` or `Europe/Paris`.
    fn until(&mut self, end: u8) -> String {
        let start = self.pos;
        while self.pos < self.s.len() && self.s[self.pos] != end {
            self.pos += 1;
        }
        String::from_utf8_lossy(&self.s[start..self.pos]).trim().to_string()
    }
    fn number(&mut self) -> Result<u32, String> {
        let w = self.word();
        w.parse().map_err(|_| self.err("expected a number"))
    }
    fn ty(&mut self) -> Result<Ty, String> {
        let name = self.word().to_ascii_lowercase();
        Ok(Ty::plain(match name.as_str() {
            "json" | "variant" => return Ok(Ty { dt: DataType::Utf8, json: true }),
            "int8" | "tinyint" => DataType::Int8,
            "int16" | "smallint" => DataType::Int16,
            "int32" | "int" | "integer" => DataType::Int32,
            "int64" | "bigint" | "long" => DataType::Int64,
            "uint8" => DataType::UInt8,
            "uint16" => DataType::UInt16,
            "uint32" => DataType::UInt32,
            "uint64" => DataType::UInt64,
            "float32" | "float" | "real" => DataType::Float32,
            "float64" | "double" => DataType::Float64,
            "bool" | "boolean" => DataType::Boolean,
            "string" | "utf8" | "varchar" | "text" => DataType::Utf8,
            "binary" | "bytes" | "blob" => DataType::Binary,
            "date" | "date32" => DataType::Date32,
            "timestamptz" => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            "timestamp" => {
                let mut unit = TimeUnit::Microsecond;
                let mut tz = None;
                if self.eat(b'(') {
                    unit = match self.word().to_ascii_lowercase().as_str() {
                        "s" | "second" | "seconds" => TimeUnit::Second,
                        "ms" | "millisecond" | "milliseconds" => TimeUnit::Millisecond,
                        "us" | "microsecond" | "microseconds" => TimeUnit::Microsecond,
                        "ns" | "nanosecond" | "nanoseconds" => TimeUnit::Nanosecond,
                        _ => return Err(self.err("timestamp unit must be s, ms, us or ns")),
                    };
                    if self.eat(b',') {
                        let z = self.until(b')');
                        if z.is_empty() {
                            return Err(self.err("expected a timezone such as UTC or +02:00"));
                        }
                        tz = Some(z.into());
                    }
                    self.require(b')')?;
                }
                DataType::Timestamp(unit, tz)
            }
            "decimal" | "numeric" => {
                self.require(b'(')?;
                let p = self.number()?;
                let s = if self.eat(b',') { self.number()? } else { 0 };
                self.require(b')')?;
                if !(1..=38).contains(&p) || s > p {
                    return Err(self.err("decimal needs 1 <= precision <= 38 and scale <= precision"));
                }
                DataType::Decimal128(p as u8, s as i8)
            }
            "list" | "array" => {
                self.require(b'<')?;
                let inner = self.ty()?;
                self.require(b'>')?;
                DataType::List(Arc::new(inner.field("item", true)))
            }
            "struct" => {
                self.require(b'<')?;
                let mut fields = Vec::new();
                loop {
                    let n = self.word();
                    if n.is_empty() {
                        return Err(self.err("expected a field name"));
                    }
                    self.require(b':')?;
                    fields.push(self.ty()?.field(&n, true));
                    if !self.eat(b',') {
                        break;
                    }
                }
                self.require(b'>')?;
                DataType::Struct(fields.into())
            }
            "" => return Err(self.err("expected a type name")),
            other => return Err(self.err(&format!("unknown type {other:?}"))),
        }))
    }
}

/// Renders a data type in the schema file's grammar (for reports and `--print-schema`).
pub fn type_name(dt: &DataType) -> String {
    match dt {
        DataType::Int8 => "int8".into(),
        DataType::Int16 => "int16".into(),
        DataType::Int32 => "int32".into(),
        DataType::Int64 => "int64".into(),
        DataType::UInt8 => "uint8".into(),
        DataType::UInt16 => "uint16".into(),
        DataType::UInt32 => "uint32".into(),
        DataType::UInt64 => "uint64".into(),
        DataType::Float32 => "float32".into(),
        DataType::Float64 => "float64".into(),
        DataType::Boolean => "bool".into(),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => "string".into(),
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView => "binary".into(),
        DataType::Date32 | DataType::Date64 => "date".into(),
        DataType::Timestamp(u, tz) => {
            let unit = match u {
                TimeUnit::Second => "s",
                TimeUnit::Millisecond => "ms",
                TimeUnit::Microsecond => "us",
                TimeUnit::Nanosecond => "ns",
            };
            match tz {
                Some(tz) => format!("timestamp({unit}, {tz})"),
                None => format!("timestamp({unit})"),
            }
        }
        DataType::Decimal128(p, s) => format!("decimal({p}, {s})"),
        DataType::List(f) | DataType::LargeList(f) => format!("list<{}>", field_type_name(f)),
        DataType::Struct(fs) => format!(
            "struct<{}>",
            fs.iter().map(|f| format!("{}: {}", f.name(), field_type_name(f))).collect::<Vec<_>>().join(", ")
        ),
        other => format!("{other}"),
    }
}

/// A field's type in the schema file's grammar, `json` included.
pub fn field_type_name(f: &Field) -> String {
    if is_json_field(f) { "json".into() } else { type_name(f.data_type()) }
}

/// A field's type as the schema file writes it: the type string when it reads back as the same type, else
/// the object form (`{"type": "struct", "fields": [...]}`, `{"type": "list", "element": ...}`) that keeps any
/// field name and nested nullability.
fn type_value(f: &Field) -> Value {
    let text = field_type_name(f);
    if parse_ty(&text).is_ok_and(|t| t.field(f.name(), f.is_nullable()) == *f) {
        return Value::String(text);
    }
    match f.data_type() {
        DataType::Struct(fs) => serde_json::json!({
            "type": "struct",
            "fields": fs.iter().map(|c| serde_json::json!({"name": c.name(), "type": type_value(c), "nullable": c.is_nullable()})).collect::<Vec<_>>(),
        }),
        DataType::List(item) => serde_json::json!({
            "type": "list", "element": type_value(item), "element_nullable": item.is_nullable(),
        }),
        _ => Value::String(text),
    }
}

/// The schema as the schema-file JSON document.
pub fn schema_to_json(schema: &Schema) -> Value {
    Value::Object(
        [(
            "fields".to_string(),
            Value::Array(
                schema
                    .fields()
                    .iter()
                    .map(|f| serde_json::json!({"name": f.name(), "type": type_value(f), "nullable": f.is_nullable()}))
                    .collect(),
            ),
        )]
        .into_iter()
        .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_types() {
        assert_eq!(parse_type("int64").unwrap(), DataType::Int64);
        assert_eq!(
            parse_type("timestamp(ms, UTC)").unwrap(),
            DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()))
        );
        assert_eq!(
            parse_type("timestamp(us, +02:00)").unwrap(),
            DataType::Timestamp(TimeUnit::Microsecond, Some("+02:00".into()))
        );
        assert_eq!(parse_type("decimal(10, 2)").unwrap(), DataType::Decimal128(10, 2));
        let t = parse_type("list<struct<a: int32, b: list<string>>>").unwrap();
        assert_eq!(type_name(&t), "list<struct<a: int32, b: list<string>>>");
        assert!(parse_type("decimal(40,2)").is_err());
        assert!(parse_type("int65").is_err());
        assert!(parse_type("list<int32").is_err());
    }

    #[test]
    fn parses_documents() {
        let s = parse_schema(
            r#"{"fields":[{"name":"id","type":"int64","nullable":false},
            {"name":"u","type":{"type":"struct","fields":[{"name":"n","type":"string"}]}}]}"#,
        )
        .unwrap();
        assert_eq!(s.fields().len(), 2);
        assert!(!s.field(0).is_nullable());
        assert!(parse_schema(r#"{"fields":[{"name":"a","type":"int64"},{"name":"a","type":"int64"}]}"#).is_err());
    }
}
