//! `ingest --evolve-schema`: the input's schema (declared, or inferred from the first lines) merged into the
//! table's — new keys become new optional columns (nested ones too) with fresh field ids, and int→long,
//! float→double and decimal precision widen as the spec allows — committed as a new current schema before any
//! data. Columns are never dropped, renamed or narrowed.

use std::sync::Arc;

use iceberg::spec::{ListType, NestedField, NestedFieldRef, PrimitiveType, Schema, StructType, Type};
use iceberg::{TableRequirement, TableUpdate};

use super::catalog::{Catalog, LoadedTable};
use crate::engine::error::{Error, Result};


/// The table's schema with `incoming` merged in; `None` when nothing changes.
pub fn merge(current: &Schema, incoming: &Schema, last_column_id: i32) -> Result<Option<Schema>> {
    let mut next = last_column_id;
    let (fields, changed) = merge_fields(current.as_struct().fields(), incoming.as_struct().fields(), &mut next, "")?;
    if !changed {
        return Ok(None);
    }
    let ids: Vec<i32> = current.identifier_field_ids().collect();
    Schema::builder()
        .with_schema_id(current.schema_id() + 1)
        .with_identifier_field_ids(ids)
        .with_fields(fields)
        .build()
        .map(Some)
        .map_err(|e| Error::Config(format!("--evolve-schema: the merged schema is not valid: {e}")))
}

fn merge_fields(
    cur: &[NestedFieldRef],
    inc: &[NestedFieldRef],
    next: &mut i32,
    path: &str,
) -> Result<(Vec<NestedFieldRef>, bool)> {
    let mut changed = false;
    let mut out = Vec::with_capacity(cur.len());
    for c in cur {
        match inc.iter().find(|i| i.name == c.name) {
            Some(i) => {
                let name = format!("{path}{}", c.name);
                let (ty, ch) = merge_type(&c.field_type, &i.field_type, next, &name)?;
                changed |= ch;
                let mut f = NestedField::new(c.id, &c.name, ty, c.required);
                f.doc = c.doc.clone();
                out.push(Arc::new(f));
            }
            None => out.push(c.clone()),
        }
    }
    for i in inc.iter().filter(|i| !cur.iter().any(|c| c.name == i.name)) {
        *next += 1;
        let id = *next;
        let ty = fresh_ids(&i.field_type, next);
        out.push(Arc::new(NestedField::optional(id, &i.name, ty)));
        changed = true;
    }
    Ok((out, changed))
}

fn merge_type(cur: &Type, inc: &Type, next: &mut i32, name: &str) -> Result<(Type, bool)> {
    use PrimitiveType as P;
    match (cur, inc) {
        (Type::Primitive(a), Type::Primitive(b)) if a == b => Ok((cur.clone(), false)),
        (Type::Primitive(P::Int), Type::Primitive(P::Long)) => Ok((inc.clone(), true)),
        (Type::Primitive(P::Float), Type::Primitive(P::Double)) => Ok((inc.clone(), true)),
        // The table's wider type already holds the input's narrower values.
        (Type::Primitive(P::Long), Type::Primitive(P::Int)) | (Type::Primitive(P::Double), Type::Primitive(P::Float)) => {
            Ok((cur.clone(), false))
        }
        (
            Type::Primitive(P::Decimal { precision: p1, scale: s1 }),
            Type::Primitive(P::Decimal { precision: p2, scale: s2 }),
        ) if s1 == s2 => Ok(if p2 > p1 { (inc.clone(), true) } else { (cur.clone(), false) }),
        (Type::Struct(a), Type::Struct(b)) => {
            let (fields, ch) = merge_fields(a.fields(), b.fields(), next, &format!("{name}."))?;
            Ok((Type::Struct(StructType::new(fields)), ch))
        }
        (Type::List(a), Type::List(b)) => {
            let (ty, ch) = merge_type(&a.element_field.field_type, &b.element_field.field_type, next, &format!("{name}.element"))?;
            let e = &a.element_field;
            Ok((Type::List(ListType::new(Arc::new(NestedField::list_element(e.id, ty, e.required)))), ch))
        }
        // Anything else keeps the table's type: the decoder reads each value into it, or reports the line (an
        // inferred string may well be a timestamp, an inferred integer a decimal).
        _ => {
            tracing::debug!("--evolve-schema: column {name} stays {cur} (the input suggests {inc})");
            Ok((cur.clone(), false))
        }
    }
}

/// `ty` with every nested field id taken from `next` upwards (new columns' children are optional).
fn fresh_ids(ty: &Type, next: &mut i32) -> Type {
    match ty {
        Type::Primitive(_) => ty.clone(),
        Type::Struct(s) => {
            let fields = s
                .fields()
                .iter()
                .map(|f| {
                    *next += 1;
                    let id = *next;
                    Arc::new(NestedField::optional(id, &f.name, fresh_ids(&f.field_type, next)))
                })
                .collect();
            Type::Struct(StructType::new(fields))
        }
        Type::List(l) => {
            *next += 1;
            let id = *next;
            let element = fresh_ids(&l.element_field.field_type, next);
            Type::List(ListType::new(Arc::new(NestedField::list_element(id, element, false))))
        }
        Type::Map(_) => ty.clone(),
    }
}

/// Merges `incoming` into the table's current schema and commits it (retrying conflicts); returns the table as it
/// is afterwards, and whether the schema changed.
pub async fn evolve(catalog: &dyn Catalog, mut table: LoadedTable, incoming: &Schema) -> Result<(LoadedTable, bool)> {
    for attempt in 0..8u32 {
        let m = table.metadata.clone();
        let Some(schema) = merge(m.current_schema(), incoming, m.last_column_id())? else {
            return Ok((table, false));
        };
        let requirements = vec![
            TableRequirement::UuidMatch { uuid: m.uuid() },
            TableRequirement::CurrentSchemaIdMatch { current_schema_id: m.current_schema_id() },
            TableRequirement::LastAssignedFieldIdMatch { last_assigned_field_id: m.last_column_id() },
        ];
        let updates = vec![TableUpdate::AddSchema { schema }, TableUpdate::SetCurrentSchema { schema_id: -1 }];
        match catalog.commit(&table, requirements, updates).await {
            Ok(t) => {
                tracing::info!("evolved the schema of {} to schema {}", t.name(), t.metadata.current_schema_id());
                return Ok((t, true));
            }
            Err(Error::CommitConflict { .. } | Error::CommitUnknown { .. }) => {
                tokio::time::sleep(std::time::Duration::from_millis(100 << attempt.min(5))).await;
                table = catalog.load_table(&table.ident).await?;
            }
            Err(e) => return Err(e),
        }
    }
    Err(Error::CommitConflict { table: table.name(), message: "the schema change kept conflicting; gave up".into() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(fields: Vec<NestedFieldRef>) -> Schema {
        Schema::builder().with_fields(fields).build().unwrap()
    }

    #[test]
    fn new_keys_become_optional_columns_and_types_widen() {
        let cur = schema(vec![
            Arc::new(NestedField::required(1, "id", Type::Primitive(PrimitiveType::Int))),
            Arc::new(NestedField::optional(
                2,
                "geo",
                Type::Struct(StructType::new(vec![Arc::new(NestedField::optional(3, "city", Type::Primitive(PrimitiveType::String)))])),
            )),
        ]);
        let inc = schema(vec![
            Arc::new(NestedField::optional(1, "id", Type::Primitive(PrimitiveType::Long))),
            Arc::new(NestedField::optional(
                2,
                "geo",
                Type::Struct(StructType::new(vec![
                    Arc::new(NestedField::optional(3, "city", Type::Primitive(PrimitiveType::String))),
                    Arc::new(NestedField::optional(4, "zip", Type::Primitive(PrimitiveType::Int))),
                ])),
            )),
            Arc::new(NestedField::optional(5, "note", Type::Primitive(PrimitiveType::String))),
        ]);
        let merged = merge(&cur, &inc, 3).unwrap().unwrap();
        assert_eq!(merged.field_by_name("id").unwrap().field_type.to_string(), "long");
        assert!(merged.field_by_name("id").unwrap().required, "existing columns keep their requiredness");
        assert_eq!(merged.field_by_name("geo.zip").unwrap().id, 4);
        assert_eq!(merged.field_by_name("note").unwrap().id, 5);
        assert!(!merged.field_by_name("note").unwrap().required);
        assert!(merge(&merged, &cur, 5).unwrap().is_none(), "a narrower input changes nothing");
        let other = schema(vec![Arc::new(NestedField::optional(1, "id", Type::Primitive(PrimitiveType::String)))]);
        assert!(merge(&cur, &other, 3).unwrap().is_none(), "other types keep the table's; the decoder judges values");
    }
}
