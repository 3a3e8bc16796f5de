//! Table definitions from prestige's own words: an Iceberg schema from a schema file's Arrow types, partition
//! specs like `day(ts), bucket(16, id)` and sort orders like `ts desc nulls last, id`, with errors that name
//! the term at fault.

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema as ArrowSchema, TimeUnit};
use iceberg::spec::{
    ListType, NestedField, NestedFieldRef, NullOrder, PrimitiveType, Schema, SortDirection, SortField, SortOrder,
    StructType, Transform, Type, UnboundPartitionSpec,
};

use crate::engine::error::{Error, Result};

/// Hands out field ids in Iceberg's order for a fresh schema: every field of a struct first, then their
/// children (what iceberg-rust, PyIceberg and Java assign on create, so ids survive the catalog's reassignment).
struct Ids(i32);

impl Ids {
    fn next(&mut self) -> i32 {
        self.0 += 1;
        self.0
    }
}

/// The Iceberg schema for a schema file's Arrow schema (see `engine::format::schema`): nullable=false is
/// `required`; nested fields get fresh ids. Unsigned 64-bit integers become `decimal(20, 0)` (the only Iceberg
/// type that holds them all); `json` columns are strings; timestamps of any unit are microsecond `timestamp`
/// (no zone) or `timestamptz` (any zone: Iceberg stores UTC).
pub fn schema_from_arrow(schema: &ArrowSchema) -> Result<Schema> {
    let mut ids = Ids(0);
    let fields = struct_fields(schema.fields().iter().map(|f| f.as_ref()), &mut ids, "")?;
    Schema::builder()
        .with_fields(fields)
        .build()
        .map_err(|e| Error::Config(format!("the schema is not a valid Iceberg schema: {e}")))
}

/// `schema` with these top-level or dotted nested columns as its identifier fields (row identity for
/// upserts): each must exist, be required and be a primitive that is not float or double.
pub fn with_identifier_fields(schema: Schema, names: &[String]) -> Result<Schema> {
    if names.is_empty() {
        return Ok(schema);
    }
    let mut ids = Vec::new();
    for name in names {
        let f = schema.field_by_name(name).ok_or_else(|| {
            Error::Config(format!("--identifier {name}: no such column ({})", column_names(&schema)))
        })?;
        if !f.required {
            return Err(Error::Config(format!(
                "--identifier {name}: identifier columns must be required (\"nullable\": false in the schema file)"
            )));
        }
        match f.field_type.as_ref() {
            Type::Primitive(PrimitiveType::Float | PrimitiveType::Double) => {
                return Err(Error::Config(format!(
                    "--identifier {name}: a {} column cannot identify rows (floating point)",
                    f.field_type
                )));
            }
            Type::Primitive(_) => {}
            other => {
                return Err(Error::Config(format!("--identifier {name}: {} is not a primitive column", type_label(other))));
            }
        }
        ids.push(f.id);
    }
    schema
        .into_builder()
        .with_identifier_field_ids(ids)
        .build()
        .map_err(|e| Error::Config(format!("--identifier {}: {e}", names.join(","))))
}

fn struct_fields<'a>(fields: impl Iterator<Item = &'a Field>, ids: &mut Ids, path: &str) -> Result<Vec<NestedFieldRef>> {
    let fields: Vec<&Field> = fields.collect();
    let own: Vec<i32> = fields.iter().map(|_| ids.next()).collect();
    let mut out = Vec::with_capacity(fields.len());
    for (f, id) in fields.into_iter().zip(own) {
        let name = format!("{path}{}", f.name());
        let ty = field_type(f.data_type(), ids, &name)?;
        out.push(Arc::new(NestedField::new(id, f.name(), ty, !f.is_nullable())));
    }
    Ok(out)
}

fn field_type(dt: &DataType, ids: &mut Ids, name: &str) -> Result<Type> {
    let p = |t: PrimitiveType| Ok(Type::Primitive(t));
    match dt {
        DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::UInt8 | DataType::UInt16 => p(PrimitiveType::Int),
        DataType::Int64 | DataType::UInt32 => p(PrimitiveType::Long),
        DataType::UInt64 => p(PrimitiveType::Decimal { precision: 20, scale: 0 }),
        DataType::Float16 | DataType::Float32 => p(PrimitiveType::Float),
        DataType::Float64 => p(PrimitiveType::Double),
        DataType::Boolean => p(PrimitiveType::Boolean),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => p(PrimitiveType::String),
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView => p(PrimitiveType::Binary),
        DataType::FixedSizeBinary(n) if *n > 0 => p(PrimitiveType::Fixed(*n as u64)),
        DataType::Date32 | DataType::Date64 => p(PrimitiveType::Date),
        DataType::Time64(TimeUnit::Microsecond) => p(PrimitiveType::Time),
        DataType::Timestamp(_, None) => p(PrimitiveType::Timestamp),
        DataType::Timestamp(_, Some(_)) => p(PrimitiveType::Timestamptz),
        DataType::Decimal128(precision, scale) if *scale >= 0 => {
            p(PrimitiveType::Decimal { precision: *precision as u32, scale: *scale as u32 })
        }
        DataType::List(item) | DataType::LargeList(item) => {
            let id = ids.next();
            let element = field_type(item.data_type(), ids, &format!("{name}.element"))?;
            Ok(Type::List(ListType::new(Arc::new(NestedField::list_element(id, element, !item.is_nullable())))))
        }
        DataType::Struct(fields) => {
            let children = struct_fields(fields.iter().map(|f| f.as_ref()), ids, &format!("{name}."))?;
            Ok(Type::Struct(StructType::new(children)))
        }
        other => Err(Error::Config(format!("column {name}: type {other} has no Iceberg equivalent"))),
    }
}

fn column_names(schema: &Schema) -> String {
    let names: Vec<&str> = schema.as_struct().fields().iter().map(|f| f.name.as_str()).collect();
    format!("columns: {}", names.join(", "))
}

fn type_label(t: &Type) -> String {
    match t {
        Type::Primitive(p) => p.to_string(),
        Type::Struct(_) => "struct".into(),
        Type::List(_) => "list".into(),
        Type::Map(_) => "map".into(),
    }
}

/// Splits `a, f(b, c), d` at top-level commas.
fn split_terms(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut cur = String::new();
    for c in text.chars() {
        match (quote, c) {
            (Some(q), _) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '`') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') => depth -= 1,
            (None, ',') if depth == 0 => {
                out.push(std::mem::take(&mut cur).trim().to_string());
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    out.push(cur.trim().to_string());
    out
}

/// A column reference as written: `a`, `a.b`, `"odd name"`, `` `odd name` ``.
fn unquote(name: &str) -> String {
    let n = name.trim();
    for q in ['"', '`'] {
        if n.len() >= 2 && n.starts_with(q) && n.ends_with(q) {
            return n[1..n.len() - 1].to_string();
        }
    }
    n.to_string()
}

/// One `transform(args)` or bare column term.
struct Term {
    transform: Transform,
    column: String,
    /// The transform's name as written, for messages.
    what: String,
}

fn parse_term(term: &str, flag: &str) -> Result<Term> {
    let bad = |why: String| Error::Config(format!("{flag} {term:?}: {why}"));
    let Some(open) = term.find('(').filter(|_| !term.starts_with(['"', '`'])) else {
        if term.is_empty() {
            return Err(bad("empty term".into()));
        }
        return Ok(Term { transform: Transform::Identity, column: unquote(term), what: "identity".into() });
    };
    if !term.ends_with(')') {
        return Err(bad("expected TRANSFORM(COLUMN) or TRANSFORM(N, COLUMN)".into()));
    }
    let name = term[..open].trim().to_ascii_lowercase();
    let args: Vec<String> = split_terms(&term[open + 1..term.len() - 1]);
    let number = |s: &str| -> Result<u32> {
        match s.trim().parse::<u32>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(bad(format!("{name} needs a positive whole number, got {:?}", s.trim()))),
        }
    };
    let one_column = |args: &[String]| -> Result<String> {
        match args {
            [c] if !c.is_empty() => Ok(unquote(c)),
            _ => Err(bad(format!("{name} takes one column: {name}(COLUMN)"))),
        }
    };
    let with_number = |args: &[String]| -> Result<(u32, String)> {
        match args {
            [n, c] if !c.is_empty() => Ok((number(n)?, unquote(c))),
            _ => Err(bad(format!("{name} takes a number and a column: {name}(N, COLUMN)"))),
        }
    };
    let (transform, column) = match name.as_str() {
        "identity" => (Transform::Identity, one_column(&args)?),
        "year" | "years" => (Transform::Year, one_column(&args)?),
        "month" | "months" => (Transform::Month, one_column(&args)?),
        "day" | "days" | "date" => (Transform::Day, one_column(&args)?),
        "hour" | "hours" | "date_hour" => (Transform::Hour, one_column(&args)?),
        "void" | "alwaysnull" => (Transform::Void, one_column(&args)?),
        "bucket" => {
            let (n, c) = with_number(&args)?;
            (Transform::Bucket(n), c)
        }
        "truncate" | "trunc" => {
            let (n, c) = with_number(&args)?;
            (Transform::Truncate(n), c)
        }
        other => {
            return Err(bad(format!(
                "unknown transform {other:?} (identity, year, month, day, hour, bucket, truncate, void)"
            )));
        }
    };
    Ok(Term { transform, column, what: name })
}

/// The source column of a term, checked against the transform.
fn source<'a>(schema: &'a Schema, t: &Term, flag: &str, term: &str) -> Result<&'a NestedFieldRef> {
    let f = schema.field_by_name(&t.column).ok_or_else(|| {
        Error::Config(format!("{flag} {term:?}: no column {:?} ({})", t.column, column_names(schema)))
    })?;
    if !f.field_type.is_primitive() {
        return Err(Error::Config(format!(
            "{flag} {term:?}: column {:?} is a {}; only primitive columns can be used",
            t.column,
            type_label(&f.field_type)
        )));
    }
    if t.transform.result_type(&f.field_type).is_err() {
        return Err(Error::Config(format!(
            "{flag} {term:?}: {} does not apply to column {:?} of type {}",
            t.what, t.column, f.field_type
        )));
    }
    Ok(f)
}

/// The partition field name Spark and PyIceberg give a transform of `column`.
fn partition_name(transform: &Transform, column: &str) -> String {
    match transform {
        Transform::Identity => column.to_string(),
        Transform::Year => format!("{column}_year"),
        Transform::Month => format!("{column}_month"),
        Transform::Day => format!("{column}_day"),
        Transform::Hour => format!("{column}_hour"),
        Transform::Bucket(_) => format!("{column}_bucket"),
        Transform::Truncate(_) => format!("{column}_trunc"),
        Transform::Void | Transform::Unknown => format!("{column}_null"),
    }
}

/// Parses `day(ts), bucket(16, id), truncate(4, name), region` (identity, year, month, day, hour, bucket,
/// truncate, void; nested columns by dotted path; `TERM AS name` names a field). Field names follow Spark and
/// PyIceberg: `ts_day`, `id_bucket`, `name_trunc`, an identity field is the column's name.
pub fn parse_partition_spec(text: &str, schema: &Schema) -> Result<UnboundPartitionSpec> {
    let flag = "--partition-by";
    let mut b = UnboundPartitionSpec::builder();
    if text.trim().is_empty() {
        return Ok(b.build());
    }
    let mut names: Vec<String> = Vec::new();
    for raw in split_terms(text) {
        let (expr, alias) = split_alias(&raw);
        let t = parse_term(expr, flag)?;
        let f = source(schema, &t, flag, &raw)?;
        let name = alias.unwrap_or_else(|| partition_name(&t.transform, &t.column));
        if names.contains(&name) {
            return Err(Error::Config(format!(
                "{flag} {raw:?}: partition field {name:?} appears twice (name one with `AS other_name`)"
            )));
        }
        names.push(name.clone());
        b = b
            .add_partition_field(f.id, name, t.transform)
            .map_err(|e| Error::Config(format!("{flag} {raw:?}: {}", e.message())))?;
    }
    Ok(b.build())
}

/// `expr AS name` → (expr, Some(name)).
fn split_alias(term: &str) -> (&str, Option<String>) {
    let lower = term.to_ascii_lowercase();
    match lower.rfind(" as ") {
        Some(i) if !term[i + 4..].trim().is_empty() && !term[i + 4..].contains(')') => {
            (term[..i].trim(), Some(unquote(&term[i + 4..])))
        }
        _ => (term, None),
    }
}

/// Parses `ts desc nulls last, id` (`asc` by default; nulls first when ascending and last when descending,
/// as Iceberg defaults; transforms such as `day(ts)` or `bucket(16, id)` allowed).
pub fn parse_sort_order(text: &str, schema: &Schema) -> Result<SortOrder> {
    let flag = "--sort-by";
    let mut fields = Vec::new();
    if text.trim().is_empty() {
        return Ok(SortOrder::unsorted_order());
    }
    for raw in split_terms(text) {
        let (expr, direction, nulls) = split_sort_words(&raw).map_err(|why| Error::Config(format!("{flag} {raw:?}: {why}")))?;
        let t = parse_term(expr, flag)?;
        let f = source(schema, &t, flag, &raw)?;
        let null_order = nulls.unwrap_or(match direction {
            SortDirection::Ascending => NullOrder::First,
            SortDirection::Descending => NullOrder::Last,
        });
        fields.push(SortField { source_id: f.id, transform: t.transform, direction, null_order });
    }
    SortOrder::builder()
        .with_order_id(1)
        .with_fields(fields)
        .build(schema)
        .map_err(|e| Error::Config(format!("{flag} {text:?}: {}", e.message())))
}

/// `expr [asc|desc] [nulls first|last]` → its parts.
fn split_sort_words(term: &str) -> std::result::Result<(&str, SortDirection, Option<NullOrder>), String> {
    let mut rest = term.trim();
    let mut nulls = None;
    let lower = rest.to_ascii_lowercase();
    for (suffix, order) in [(" nulls first", NullOrder::First), (" nulls last", NullOrder::Last)] {
        if lower.ends_with(suffix) {
            nulls = Some(order);
            rest = rest[..rest.len() - suffix.len()].trim_end();
            break;
        }
    }
    let lower = rest.to_ascii_lowercase();
    let mut direction = SortDirection::Ascending;
    for (suffix, d) in [(" asc", SortDirection::Ascending), (" desc", SortDirection::Descending)] {
        if lower.ends_with(suffix) {
            direction = d;
            rest = rest[..rest.len() - suffix.len()].trim_end();
            break;
        }
    }
    if rest.is_empty() {
        return Err("expected COLUMN [asc|desc] [nulls first|last]".into());
    }
    if rest.contains(char::is_whitespace) && !rest.contains('(') && !rest.starts_with(['"', '`']) {
        return Err(format!("unexpected words in {rest:?}: expected COLUMN [asc|desc] [nulls first|last]"));
    }
    Ok((rest, direction, nulls))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::format::schema::parse_schema;

    fn schema() -> Schema {
        let arrow = parse_schema(
            r#"{"fields": [
                {"name": "id", "type": "int64", "nullable": false},
                {"name": "ts", "type": "timestamp(ms, UTC)"},
                {"name": "name", "type": "string"},
                {"name": "geo", "type": "struct<city: string, zip: int32>"},
                {"name": "tags", "type": "list<string>"},
                {"name": "big", "type": "uint64"},
                {"name": "doc", "type": "json"},
                {"name": "local", "type": "timestamp(ns)"},
                {"name": "price", "type": "decimal(10, 2)"},
                {"name": "score", "type": "float64"}
            ]}"#,
        )
        .unwrap();
        schema_from_arrow(&arrow).unwrap()
    }

    #[test]
    fn types_and_ids() {
        let s = schema();
        let f = |n: &str| s.field_by_name(n).unwrap().clone();
        assert_eq!(f("id").id, 1);
        assert!(f("id").required);
        assert_eq!(*f("id").field_type, Type::Primitive(PrimitiveType::Long));
        assert_eq!(*f("ts").field_type, Type::Primitive(PrimitiveType::Timestamptz));
        assert_eq!(*f("local").field_type, Type::Primitive(PrimitiveType::Timestamp));
        assert_eq!(*f("big").field_type, Type::Primitive(PrimitiveType::Decimal { precision: 20, scale: 0 }));
        assert_eq!(*f("doc").field_type, Type::Primitive(PrimitiveType::String));
        // Top-level fields first (1..=10), then nested: geo.city 11, geo.zip 12, tags.element 13.
        assert_eq!(f("score").id, 10);
        assert_eq!(f("geo.city").id, 11);
        assert_eq!(f("geo.zip").id, 12);
        assert_eq!(f("tags.element").id, 13);
    }

    #[test]
    fn partition_specs() {
        let s = schema();
        let spec = parse_partition_spec("day(ts), bucket(16, id), truncate(4, name), geo.city", &s).unwrap();
        let names: Vec<&str> = spec.fields().iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["ts_day", "id_bucket", "name_trunc", "geo.city"]);
        assert_eq!(spec.fields()[1].transform, Transform::Bucket(16));
        assert_eq!(spec.fields()[3].source_id, 11);
        let spec = parse_partition_spec("hour(ts) as h, month(local)", &s).unwrap();
        assert_eq!(spec.fields()[0].name, "h");
        assert_eq!(spec.fields()[1].name, "local_month");
        for (bad, why) in [
            ("day(nope)", "no column \"nope\""),
            ("day(name)", "does not apply"),
            ("bucket(x, id)", "positive whole number"),
            ("bucket(0, id)", "positive whole number"),
            ("bucket(id)", "takes a number and a column"),
            ("frob(id)", "unknown transform"),
            ("tags", "only primitive columns"),
            ("id, id", "appears twice"),
        ] {
            let e = parse_partition_spec(bad, &s).unwrap_err().to_string();
            assert!(e.contains(why), "{bad}: {e}");
            assert!(e.contains("--partition-by"), "{e}");
        }
    }

    #[test]
    fn sort_orders() {
        let s = schema();
        let o = parse_sort_order("ts desc nulls last, id, day(ts) DESC NULLS FIRST, name asc", &s).unwrap();
        assert_eq!(o.order_id, 1);
        let f = &o.fields;
        assert_eq!((f[0].direction, f[0].null_order), (SortDirection::Descending, NullOrder::Last));
        assert_eq!((f[1].direction, f[1].null_order), (SortDirection::Ascending, NullOrder::First));
        assert_eq!((f[2].transform, f[2].null_order), (Transform::Day, NullOrder::First));
        let o = parse_sort_order("ts desc", &s).unwrap();
        assert_eq!(o.fields[0].null_order, NullOrder::Last);
        assert!(parse_sort_order("ts sideways", &s).unwrap_err().to_string().contains("unexpected words"));
        assert!(parse_sort_order("nope", &s).unwrap_err().to_string().contains("no column"));
    }

    #[test]
    fn identifiers() {
        let s = with_identifier_fields(schema(), &["id".into()]).unwrap();
        assert_eq!(s.identifier_field_ids().collect::<Vec<_>>(), [1]);
        assert!(with_identifier_fields(schema(), &["name".into()]).unwrap_err().to_string().contains("required"));
        assert!(with_identifier_fields(schema(), &["zzz".into()]).unwrap_err().to_string().contains("no such column"));
    }
}
