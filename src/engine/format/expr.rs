//! `--where` expressions: a SQL boolean expression (parsed by sqlparser in DuckDB's dialect) bound to a schema,
//! evaluated with Arrow kernels, and turned into "may this row group / page match?" tests over Parquet
//! min/max/null-count statistics.
//!
//! Supported: column references (`a`, `"odd name"`, `geo.city` for struct fields), literals (numbers, strings,
//! booleans, NULL, `DATE '…'`, `TIMESTAMP '…'`), `= <> != < <= > >=`, `AND OR NOT`, `IN (…)`, `BETWEEN`,
//! `IS [NOT] NULL`, `[NOT] LIKE` / `ILIKE` (with `ESCAPE`), parentheses. Comparisons follow SQL: NULL compares as
//! unknown and unknown rows are not selected. A string literal compared with a date or timestamp column is parsed
//! as one.
//!
//! Literals are never rounded to a column's type (DuckDB's semantics): a number is compared with integer and
//! decimal columns by its exact value, a date or timestamp at nanosecond precision, so `p = 50.05` on a
//! `decimal(5,1)` column or `t = '…00.0005Z'` on a millisecond column matches nothing, and `i > 2.5` means
//! `i >= 3`. A literal outside the type's range holds for every non-null value or for none. Float columns take
//! the literal rounded to their own type (float64 for literals written with an exponent, DuckDB's DOUBLE).
//! Row filtering and statistics pruning see the same rewritten comparisons.

use std::collections::BTreeSet;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Datum, RecordBatch, Scalar, StringArray, UInt64Array, make_array,
    new_null_array,
};
use arrow::buffer::NullBuffer;
use arrow::compute::kernels::{cmp, comparison};
use arrow::compute::{CastOptions, cast_with_options};
use arrow::datatypes::{DataType, Schema};
use arrow::error::ArrowError;
use sqlparser::ast::{self as sql, BinaryOperator, UnaryOperator};
use sqlparser::dialect::DuckDbDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::Token;

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
}

impl CmpOp {
    /// `a op b` ⇔ `b op.flip() a`.
    fn flip(self) -> Self {
        match self {
            CmpOp::Lt => CmpOp::Gt,
            CmpOp::LtEq => CmpOp::GtEq,
            CmpOp::Gt => CmpOp::Lt,
            CmpOp::GtEq => CmpOp::LtEq,
            o => o,
        }
    }
    /// `NOT (a op b)` ⇔ `a op.negate() b` (for non-null operands).
    fn negate(self) -> Self {
        match self {
            CmpOp::Eq => CmpOp::NotEq,
            CmpOp::NotEq => CmpOp::Eq,
            CmpOp::Lt => CmpOp::GtEq,
            CmpOp::LtEq => CmpOp::Gt,
            CmpOp::Gt => CmpOp::LtEq,
            CmpOp::GtEq => CmpOp::Lt,
        }
    }
    fn kernel(self, l: &dyn Datum, r: &dyn Datum) -> Result<BooleanArray, ArrowError> {
        match self {
            CmpOp::Eq => cmp::eq(l, r),
            CmpOp::NotEq => cmp::neq(l, r),
            CmpOp::Lt => cmp::lt(l, r),
            CmpOp::LtEq => cmp::lt_eq(l, r),
            CmpOp::Gt => cmp::gt(l, r),
            CmpOp::GtEq => cmp::gt_eq(l, r),
        }
    }
}

/// A literal as written, typed once it meets a column.
#[derive(Debug, Clone)]
enum Lit {
    /// An integer, kept as text.
    Int(String),
    /// A number with a fraction or exponent, kept as text so decimals stay exact.
    Num(String),
    Str(String),
    Bool(bool),
    Null,
}

/// The parsed, not yet typed expression.
#[derive(Debug, Clone)]
enum Ast {
    Column(Vec<String>),
    Lit(Lit),
    Cmp(CmpOp, Box<Ast>, Box<Ast>),
    And(Box<Ast>, Box<Ast>),
    Or(Box<Ast>, Box<Ast>),
    Not(Box<Ast>),
    IsNull(Box<Ast>, bool),
    In(Box<Ast>, Vec<Ast>, bool),
    Like { expr: Box<Ast>, pattern: String, negated: bool, case_insensitive: bool },
}

/// A typed expression, ready to evaluate against batches of the schema it was bound to.
#[derive(Debug, Clone)]
pub enum Expr {
    /// A top-level column, or a field inside a struct column (`path` non-empty).
    Column { name: String, path: Vec<String>, data_type: DataType },
    Cast(Box<Expr>, DataType),
    /// A one-element array.
    Lit(ArrayRef),
    Cmp(CmpOp, Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    IsNull(Box<Expr>, bool),
    Like { expr: Box<Expr>, pattern: String, negated: bool, case_insensitive: bool },
}

/// Parses `text` as a boolean SQL expression.
fn parse(text: &str) -> Result<Ast, String> {
    let dialect = DuckDbDialect {};
    let mut p = Parser::new(&dialect).try_with_sql(text).map_err(|e| e.to_string())?;
    let e = p.parse_expr().map_err(|e| e.to_string())?;
    let next = p.peek_token();
    if next.token != Token::EOF {
        return Err(format!("unexpected {} after the expression", next.token));
    }
    from_sql(&e)
}

fn from_sql(e: &sql::Expr) -> Result<Ast, String> {
    use sql::Expr as E;
    Ok(match e {
        E::Identifier(i) => Ast::Column(vec![i.value.clone()]),
        E::CompoundIdentifier(parts) => Ast::Column(parts.iter().map(|i| i.value.clone()).collect()),
        E::Nested(inner) => from_sql(inner)?,
        E::Value(v) => Ast::Lit(literal(&v.value)?),
        E::TypedString(t) => {
            let text = match &t.value.value {
                sql::Value::SingleQuotedString(s) | sql::Value::DoubleQuotedString(s) => s.clone(),
                other => return Err(format!("unsupported typed literal {other}")),
            };
            match t.data_type {
                sql::DataType::Date
                | sql::DataType::Timestamp(..)
                | sql::DataType::Datetime(_)
                | sql::DataType::TimestampNtz(_) => Ast::Lit(Lit::Str(text)),
                ref other => return Err(format!("unsupported typed literal {other} '{text}'")),
            }
        }
        E::UnaryOp { op: UnaryOperator::Not, expr } => Ast::Not(Box::new(from_sql(expr)?)),
        E::UnaryOp { op: UnaryOperator::Minus, expr } => match from_sql(expr)? {
            Ast::Lit(Lit::Int(t)) => Ast::Lit(Lit::Int(negated(&t))),
            Ast::Lit(Lit::Num(t)) => Ast::Lit(Lit::Num(negated(&t))),
            _ => return Err(format!("unsupported expression {e}: minus applies to number literals only")),
        },
        E::UnaryOp { op: UnaryOperator::Plus, expr } => from_sql(expr)?,
        E::BinaryOp { left, op, right } => {
            let (l, r) = (Box::new(from_sql(left)?), Box::new(from_sql(right)?));
            match op {
                BinaryOperator::And => Ast::And(l, r),
                BinaryOperator::Or => Ast::Or(l, r),
                BinaryOperator::Eq => Ast::Cmp(CmpOp::Eq, l, r),
                BinaryOperator::NotEq => Ast::Cmp(CmpOp::NotEq, l, r),
                BinaryOperator::Lt => Ast::Cmp(CmpOp::Lt, l, r),
                BinaryOperator::LtEq => Ast::Cmp(CmpOp::LtEq, l, r),
                BinaryOperator::Gt => Ast::Cmp(CmpOp::Gt, l, r),
                BinaryOperator::GtEq => Ast::Cmp(CmpOp::GtEq, l, r),
                other => return Err(format!("unsupported operator {other} (use comparisons, AND, OR, NOT)")),
            }
        }
        E::IsNull(x) => Ast::IsNull(Box::new(from_sql(x)?), false),
        E::IsNotNull(x) => Ast::IsNull(Box::new(from_sql(x)?), true),
        E::InList { expr, list, negated } => {
            Ast::In(Box::new(from_sql(expr)?), list.iter().map(from_sql).collect::<Result<_, _>>()?, *negated)
        }
        E::Between { expr, negated, low, high } => {
            let x = from_sql(expr)?;
            let inside = Ast::And(
                Box::new(Ast::Cmp(CmpOp::GtEq, Box::new(x.clone()), Box::new(from_sql(low)?))),
                Box::new(Ast::Cmp(CmpOp::LtEq, Box::new(x), Box::new(from_sql(high)?))),
            );
            if *negated { Ast::Not(Box::new(inside)) } else { inside }
        }
        E::Like { negated, any: false, expr, pattern, escape_char } => like(expr, pattern, escape_char.as_deref(), *negated, false)?,
        E::ILike { negated, any: false, expr, pattern, escape_char } => like(expr, pattern, escape_char.as_deref(), *negated, true)?,
        other => return Err(format!("unsupported expression {other}")),
    })
}

/// The number literal `t` with its sign flipped.
fn negated(t: &str) -> String {
    match t.strip_prefix('-') {
        Some(rest) => rest.to_string(),
        None => format!("-{t}"),
    }
}

fn like(
    expr: &sql::Expr,
    pattern: &sql::Expr,
    escape: Option<&sql::Expr>,
    negated: bool,
    case_insensitive: bool,
) -> Result<Ast, String> {
    let text = |e: &sql::Expr, what: &str| match from_sql(e)? {
        Ast::Lit(Lit::Str(s)) => Ok(s),
        _ => Err(format!("LIKE needs a string {what}, got {e}")),
    };
    let escape = match escape {
        Some(e) => {
            let s = text(e, "ESCAPE character")?;
            let mut chars = s.chars();
            match (chars.next(), chars.next()) {
                (c, None) => c,
                _ => return Err(format!("ESCAPE takes one character, got '{s}'")),
            }
        }
        None => None,
    };
    let pattern = like_pattern(&text(pattern, "pattern")?, escape)?;
    Ok(Ast::Like { expr: Box::new(from_sql(expr)?), pattern, negated, case_insensitive })
}

/// A SQL LIKE pattern in the form Arrow's kernels take. As in standard SQL and DuckDB, only `%` and `_` are
/// special unless `ESCAPE 'c'` names an escape character; Arrow escapes with a backslash, so a literal
/// backslash is doubled and `c` followed by a character becomes backslash + that character.
fn like_pattern(p: &str, escape: Option<char>) -> Result<String, String> {
    let mut out = String::with_capacity(p.len());
    let mut chars = p.chars();
    while let Some(c) = chars.next() {
        if Some(c) == escape {
            let Some(next) = chars.next() else {
                return Err(format!("LIKE pattern '{p}' ends with its escape character"));
            };
            out.push('\\');
            out.push(next);
        } else if c == '\\' {
            out.push_str("\\\\");
        } else {
            out.push(c);
        }
    }
    Ok(out)
}

fn literal(v: &sql::Value) -> Result<Lit, String> {
    use sql::Value as V;
    Ok(match v {
        V::Number(t, _) if t.contains(['.', 'e', 'E']) => Lit::Num(t.clone()),
        V::Number(t, _) => Lit::Int(t.clone()),
        V::SingleQuotedString(s) | V::EscapedStringLiteral(s) => Lit::Str(s.clone()),
        V::Boolean(b) => Lit::Bool(*b),
        V::Null => Lit::Null,
        V::DoubleQuotedString(s) => return Err(format!("\"{s}\" is a column name in SQL; strings use single quotes")),
        other => return Err(format!("unsupported literal {other}")),
    })
}

fn is_int(t: &DataType) -> bool {
    t.is_integer()
}

fn is_string(t: &DataType) -> bool {
    matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
}

fn strict() -> CastOptions<'static> {
    CastOptions { safe: false, ..Default::default() }
}

/// Casts a one-element array, failing instead of producing null.
fn cast1(a: &ArrayRef, to: &DataType) -> Result<ArrayRef, String> {
    let out = cast_with_options(a, to, &strict()).map_err(|e| e.to_string())?;
    if out.null_count() > a.null_count() {
        return Err(format!("does not fit {to}"));
    }
    Ok(out)
}

fn text_array(s: &str) -> ArrayRef {
    Arc::new(StringArray::from(vec![s]))
}

/// A bound operand: either already typed (a column) or a literal waiting for a type.
enum Operand {
    Typed(Expr),
    Lit(Lit),
}

/// Binds `text` against `schema`; errors name the column or literal at fault.
pub fn bind(text: &str, schema: &Schema) -> Result<Expr, String> {
    let ast = parse(text)?;
    let e = bind_bool(&ast, schema)?;
    Ok(e)
}

fn bind_bool(a: &Ast, schema: &Schema) -> Result<Expr, String> {
    let e = match a {
        Ast::And(l, r) => Expr::And(Box::new(bind_bool(l, schema)?), Box::new(bind_bool(r, schema)?)),
        Ast::Or(l, r) => Expr::Or(Box::new(bind_bool(l, schema)?), Box::new(bind_bool(r, schema)?)),
        Ast::Not(x) => Expr::Not(Box::new(bind_bool(x, schema)?)),
        Ast::Cmp(op, l, r) => bind_cmp(*op, l, r, schema)?,
        Ast::In(x, list, negated) => {
            let mut any: Option<Expr> = None;
            for item in list {
                let eq = bind_cmp(CmpOp::Eq, x, item, schema)?;
                any = Some(match any {
                    None => eq,
                    Some(prev) => Expr::Or(Box::new(prev), Box::new(eq)),
                });
            }
            let any = any.ok_or("IN needs at least one value")?;
            if *negated { Expr::Not(Box::new(any)) } else { any }
        }
        Ast::IsNull(x, negated) => match operand(x, schema)? {
            Operand::Typed(e) => Expr::IsNull(Box::new(e), *negated),
            Operand::Lit(l) => Expr::Lit(Arc::new(BooleanArray::from(vec![matches!(l, Lit::Null) != *negated]))),
        },
        Ast::Like { expr, pattern, negated, case_insensitive } => {
            let e = match operand(expr, schema)? {
                Operand::Typed(e) => e,
                Operand::Lit(l) => Expr::Lit(lit_array(&l, &DataType::Utf8)?),
            };
            let t = e.data_type();
            if !is_string(&t) {
                return Err(format!("LIKE needs a string, but {} is {t}", e.describe()));
            }
            Expr::Like { expr: Box::new(e), pattern: pattern.clone(), negated: *negated, case_insensitive: *case_insensitive }
        }
        Ast::Column(_) => {
            let e = match operand(a, schema)? {
                Operand::Typed(e) => e,
                Operand::Lit(_) => return Err("a column reference did not bind to a column".to_string()),
            };
            if e.data_type() != DataType::Boolean {
                return Err(format!("{} is {}, not a boolean condition", e.describe(), e.data_type()));
            }
            e
        }
        Ast::Lit(Lit::Bool(b)) => Expr::Lit(Arc::new(BooleanArray::from(vec![*b]))),
        Ast::Lit(Lit::Null) => Expr::Lit(new_null_array(&DataType::Boolean, 1)),
        Ast::Lit(l) => return Err(format!("{l:?} is not a boolean condition")),
    };
    Ok(e)
}

fn operand(a: &Ast, schema: &Schema) -> Result<Operand, String> {
    match a {
        Ast::Column(path) => Ok(Operand::Typed(column(path, schema)?)),
        Ast::Lit(l) => Ok(Operand::Lit(l.clone())),
        other => Ok(Operand::Typed(bind_bool(other, schema)?)),
    }
}

/// Resolves `a.b.c`: the longest top-level column name that matches a dotted prefix, then struct fields.
pub fn column(path: &[String], schema: &Schema) -> Result<Expr, String> {
    for split in (1..=path.len()).rev() {
        let name = path[..split].join(".");
        let Ok(field) = schema.field_with_name(&name) else { continue };
        let mut data_type = field.data_type().clone();
        for part in &path[split..] {
            data_type = match &data_type {
                DataType::Struct(fields) => match fields.iter().find(|f| f.name() == part) {
                    Some(f) => f.data_type().clone(),
                    None => return Err(format!("struct column {name:?} has no field {part:?}")),
                },
                other => return Err(format!("column {name:?} is {other}, not a struct with field {part:?}")),
            };
        }
        return Ok(Expr::Column { name, path: path[split..].to_vec(), data_type });
    }
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    Err(format!("no column {:?} (columns: {})", path.join("."), names.join(", ")))
}

/// The literal `l` as a one-element array of type `t`.
fn lit_array(l: &Lit, t: &DataType) -> Result<ArrayRef, String> {
    let text = match l {
        Lit::Null => return Ok(new_null_array(t, 1)),
        Lit::Bool(b) if *t == DataType::Boolean => return Ok(Arc::new(BooleanArray::from(vec![*b]))),
        Lit::Bool(b) => return Err(format!("cannot compare {t} with {b}")),
        Lit::Int(s) | Lit::Num(s) if is_string(t) => return Err(format!("cannot compare {t} with the number {s}")),
        Lit::Int(s) | Lit::Num(s) | Lit::Str(s) => s,
    };
    if matches!(l, Lit::Int(_) | Lit::Num(_)) && !t.is_numeric() {
        return Err(format!("cannot compare {t} with the number {text}"));
    }
    cast1(&text_array(text), t).map_err(|e| format!("cannot read '{text}' as {t}: {e}"))
}

fn bind_cmp(op: CmpOp, l: &Ast, r: &Ast, schema: &Schema) -> Result<Expr, String> {
    let (l, r) = (operand(l, schema)?, operand(r, schema)?);
    match (l, r) {
        (Operand::Typed(a), Operand::Typed(b)) => {
            let (a, b) = coerce_pair(a, b)?;
            Ok(Expr::Cmp(op, Box::new(a), Box::new(b)))
        }
        (Operand::Typed(a), Operand::Lit(b)) => cmp_lit(op, a, &b),
        // `L op x` ⇔ `x op' L`.
        (Operand::Lit(a), Operand::Typed(b)) => cmp_lit(op.flip(), b, &a),
        (Operand::Lit(a), Operand::Lit(b)) => cmp_lits(op, &a, &b),
    }
}

/// Two literals: numbers compare exactly, anything else in the type both can be read as.
fn cmp_lits(op: CmpOp, a: &Lit, b: &Lit) -> Result<Expr, String> {
    if let (Lit::Int(x) | Lit::Num(x), Lit::Int(y) | Lit::Num(y)) = (a, b) {
        let (x, y) = (Exact::parse(x).ok_or(format!("not a number: {x}"))?, Exact::parse(y).ok_or(format!("not a number: {y}"))?);
        let ord = x.cmp_exact(&y);
        let v = match op {
            CmpOp::Eq => ord.is_eq(),
            CmpOp::NotEq => ord.is_ne(),
            CmpOp::Lt => ord.is_lt(),
            CmpOp::LtEq => ord.is_le(),
            CmpOp::Gt => ord.is_gt(),
            CmpOp::GtEq => ord.is_ge(),
        };
        return Ok(Expr::Lit(Arc::new(BooleanArray::from(vec![v]))));
    }
    let t = match (a, b) {
        (Lit::Num(_), _) | (_, Lit::Num(_)) => DataType::Float64,
        (Lit::Int(_), _) | (_, Lit::Int(_)) => DataType::Int64,
        (Lit::Bool(_), _) | (_, Lit::Bool(_)) => DataType::Boolean,
        _ => DataType::Utf8,
    };
    Ok(Expr::Cmp(op, Box::new(Expr::Lit(lit_array(a, &t)?)), Box::new(Expr::Lit(lit_array(b, &t)?))))
}

fn cast_to(e: Expr, t: &DataType) -> Expr {
    if e.data_type() == *t { e } else { Expr::Cast(Box::new(e), t.clone()) }
}

/// A number literal exactly as written: `±digits × 10^exp`, the digits without leading or trailing zeros
/// (none for zero). Nothing is rounded, whatever the number of digits or the exponent.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Exact {
    neg: bool,
    digits: String,
    exp: i64,
}

/// Where an exact value falls among the integers (the unscaled values of an integer, decimal or time column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scaled {
    /// Exactly this integer.
    Exact(i128),
    /// Strictly between this integer and the next.
    Between(i128),
    /// Beyond ±10^38, outside every column's range.
    Above,
    Below,
}

impl Exact {
    fn parse(text: &str) -> Option<Exact> {
        let mut t = text.trim();
        let mut neg = false;
        while let Some(c) = t.chars().next().filter(|c| *c == '-' || *c == '+') {
            neg ^= c == '-';
            t = &t[1..];
        }
        let (mantissa, e) = match t.find(['e', 'E']) {
            Some(i) => (&t[..i], t[i + 1..].parse::<i64>().ok()?),
            None => (t, 0),
        };
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        if (int.is_empty() && frac.is_empty()) || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
            return None;
        }
        let mut exp = e.checked_sub(frac.len() as i64)?;
        let all = format!("{int}{frac}");
        let mut digits = all.trim_start_matches('0').to_string();
        while digits.ends_with('0') {
            digits.pop();
            exp = exp.checked_add(1)?;
        }
        if digits.is_empty() {
            return Some(Exact { neg: false, digits, exp: 0 });
        }
        Some(Exact { neg, digits, exp })
    }

    fn cmp_exact(&self, o: &Exact) -> std::cmp::Ordering {
        let sign = |x: &Exact| if x.digits.is_empty() { 0 } else if x.neg { -1 } else { 1 };
        let (sa, sb) = (sign(self), sign(o));
        if sa != sb || sa == 0 {
            return sa.cmp(&sb);
        }
        // Same sign: compare the position of the leading digit, then the digits.
        let lead = |x: &Exact| x.digits.len() as i64 + x.exp;
        let mag = lead(self).cmp(&lead(o)).then_with(|| self.digits.cmp(&o.digits));
        if self.neg { mag.reverse() } else { mag }
    }

    /// `self × 10^shift` among the integers.
    fn scaled(&self, shift: i64) -> Scaled {
        if self.digits.is_empty() {
            return Scaled::Exact(0);
        }
        let e = self.exp.saturating_add(shift);
        let n = self.digits.len() as i64;
        if n.saturating_add(e) > 38 {
            return if self.neg { Scaled::Below } else { Scaled::Above };
        }
        // The integer part, and whether a (non-zero: the digits end in a non-zero digit) fraction is left over.
        let (int, exact) = if e >= 0 {
            (format!("{}{}", self.digits, "0".repeat(e as usize)), true)
        } else if n + e <= 0 {
            (String::new(), false)
        } else {
            (self.digits[..(n + e) as usize].to_string(), false)
        };
        let mag: i128 = if int.is_empty() { 0 } else { int.parse().unwrap_or(i128::MAX) };
        match (exact, self.neg) {
            (true, false) => Scaled::Exact(mag),
            (true, true) => Scaled::Exact(-mag),
            (false, false) => Scaled::Between(mag),
            (false, true) => Scaled::Between(-mag - 1),
        }
    }

    /// Whether DuckDB types this number literal as DOUBLE: with an exponent, a fraction of more than 38 digits,
    /// or an integer beyond its 128-bit integer types. Others are exact (integers, DECIMAL).
    fn written_as_double(text: &str) -> bool {
        let t = text.trim().trim_start_matches(['-', '+']);
        if t.contains(['e', 'E']) {
            return true;
        }
        let (int, frac) = t.split_once('.').unwrap_or((t, ""));
        let int = int.trim_start_matches('0');
        if t.contains('.') {
            return int.len() + frac.len() > 38;
        }
        // Integers up to 2^128 - 1 (UHUGEINT); negative ones down to -2^127 (HUGEINT).
        let limit = if text.trim().starts_with('-') { "170141183460469231731687303715884105728" } else { "340282366920938463463374607431768211455" };
        int.len() > limit.len() || (int.len() == limit.len() && int > limit)
    }
}

/// The range of unscaled values of an integer, decimal, date or timestamp type.
fn int_range(t: &DataType) -> Option<(i128, i128)> {
    use DataType as T;
    Some(match t {
        T::Int8 => (i8::MIN.into(), i8::MAX.into()),
        T::Int16 => (i16::MIN.into(), i16::MAX.into()),
        T::Int32 | T::Date32 => (i32::MIN.into(), i32::MAX.into()),
        T::Int64 | T::Date64 | T::Timestamp(..) => (i64::MIN.into(), i64::MAX.into()),
        T::UInt8 => (0, u8::MAX.into()),
        T::UInt16 => (0, u16::MAX.into()),
        T::UInt32 => (0, u32::MAX.into()),
        T::UInt64 => (0, u64::MAX.into()),
        T::Decimal128(p, _) => {
            let m = 10i128.checked_pow(u32::from(*p))? - 1;
            (-m, m)
        }
        _ => return None,
    })
}

/// A one-element array of type `t` holding the unscaled value `v` (which `int_range(t)` admits).
fn int_lit(v: i128, t: &DataType) -> Option<ArrayRef> {
    use DataType as T;
    use arrow::array::*;
    use arrow::datatypes::TimeUnit as U;
    let i64v = || i64::try_from(v).ok();
    Some(match t {
        T::Int8 => Arc::new(Int8Array::from(vec![i8::try_from(v).ok()?])),
        T::Int16 => Arc::new(Int16Array::from(vec![i16::try_from(v).ok()?])),
        T::Int32 => Arc::new(Int32Array::from(vec![i32::try_from(v).ok()?])),
        T::Int64 => Arc::new(Int64Array::from(vec![i64v()?])),
        T::UInt8 => Arc::new(UInt8Array::from(vec![u8::try_from(v).ok()?])),
        T::UInt16 => Arc::new(UInt16Array::from(vec![u16::try_from(v).ok()?])),
        T::UInt32 => Arc::new(UInt32Array::from(vec![u32::try_from(v).ok()?])),
        T::UInt64 => Arc::new(UInt64Array::from(vec![u64::try_from(v).ok()?])),
        T::Decimal128(p, s) => Arc::new(Decimal128Array::from(vec![v]).with_precision_and_scale(*p, *s).ok()?),
        T::Date32 => Arc::new(Date32Array::from(vec![i32::try_from(v).ok()?])),
        T::Date64 => Arc::new(Date64Array::from(vec![i64v()?])),
        T::Timestamp(U::Second, tz) => Arc::new(TimestampSecondArray::from(vec![i64v()?]).with_timezone_opt(tz.clone())),
        T::Timestamp(U::Millisecond, tz) => {
            Arc::new(TimestampMillisecondArray::from(vec![i64v()?]).with_timezone_opt(tz.clone()))
        }
        T::Timestamp(U::Microsecond, tz) => {
            Arc::new(TimestampMicrosecondArray::from(vec![i64v()?]).with_timezone_opt(tz.clone()))
        }
        T::Timestamp(U::Nanosecond, tz) => {
            Arc::new(TimestampNanosecondArray::from(vec![i64v()?]).with_timezone_opt(tz.clone()))
        }
        _ => return None,
    })
}

fn is_temporal(t: &DataType) -> bool {
    matches!(t, DataType::Date32 | DataType::Date64 | DataType::Timestamp(..))
}

/// A date or timestamp literal as a position among the unscaled values of `t` (days, or the timestamp's unit).
/// Read at nanosecond precision in the column's zone (UTC when it has none or the text gives an offset).
fn temporal_scaled(text: &str, t: &DataType) -> Result<Scaled, String> {
    use arrow::datatypes::TimeUnit as U;
    let (unit_ns, tz): (i128, Option<&str>) = match t {
        DataType::Date32 => (86_400_000_000_000, None),
        DataType::Date64 => (1_000_000, None),
        DataType::Timestamp(u, tz) => {
            let ns = match u {
                U::Second => 1_000_000_000,
                U::Millisecond => 1_000_000,
                U::Microsecond => 1_000,
                U::Nanosecond => 1,
            };
            (ns, tz.as_deref())
        }
        other => return Err(format!("{other} is not a date or timestamp")),
    };
    let zone: arrow::array::timezone::Tz = tz.unwrap_or("+00:00").parse().map_err(|e: ArrowError| e.to_string())?;
    let dt = arrow::compute::kernels::cast_utils::string_to_datetime(&zone, text.trim()).map_err(|e| e.to_string())?;
    let ns = i128::from(dt.timestamp()) * 1_000_000_000 + i128::from(dt.timestamp_subsec_nanos());
    let (v, rest) = (ns.div_euclid(unit_ns), ns.rem_euclid(unit_ns));
    Ok(if rest == 0 { Scaled::Exact(v) } else { Scaled::Between(v) })
}

/// `e op L` for an operand of integer, decimal, date or timestamp type `t`, with `s` the literal's position
/// among `t`'s unscaled values. A literal between two representable values or outside the type's range is
/// never rounded: the comparison becomes an equivalent one with a representable value, or one that holds for
/// every non-null value (`e >= MIN`) or for none (`e < MIN`), so NULL stays unknown (`NOT` keeps it out).
fn discrete_cmp(op: CmpOp, e: Expr, s: Scaled, t: &DataType) -> Result<Expr, String> {
    let (min, max) = int_range(t).ok_or_else(|| format!("{t} has no integer range"))?;
    let constant = |above: bool| -> bool {
        match op {
            CmpOp::Eq => false,
            CmpOp::NotEq => true,
            CmpOp::Lt | CmpOp::LtEq => above,
            CmpOp::Gt | CmpOp::GtEq => !above,
        }
    };
    let (op, v) = match s {
        Scaled::Exact(v) if v < min => return always(e, constant(false), min, t),
        Scaled::Exact(v) if v > max => return always(e, constant(true), min, t),
        Scaled::Below => return always(e, constant(false), min, t),
        Scaled::Above => return always(e, constant(true), min, t),
        Scaled::Exact(v) => (op, v),
        Scaled::Between(_) if matches!(op, CmpOp::Eq | CmpOp::NotEq) => return always(e, op == CmpOp::NotEq, min, t),
        // L in (f, f+1): x < L ⇔ x <= f, x > L ⇔ x >= f+1.
        Scaled::Between(f) if matches!(op, CmpOp::Lt | CmpOp::LtEq) => {
            if f < min {
                return always(e, false, min, t);
            } else if f >= max {
                return always(e, true, min, t);
            }
            (CmpOp::LtEq, f)
        }
        Scaled::Between(f) => {
            if f >= max {
                return always(e, false, min, t);
            } else if f < min {
                return always(e, true, min, t);
            }
            (CmpOp::GtEq, f + 1)
        }
    };
    let lit = int_lit(v, t).ok_or_else(|| format!("{v} does not fit {t}"))?;
    Ok(Expr::Cmp(op, Box::new(e), Box::new(Expr::Lit(lit))))
}

/// True (or false) for every non-null value of `e`, unknown for null: `e >= MIN` (or `e < MIN`).
fn always(e: Expr, holds: bool, min: i128, t: &DataType) -> Result<Expr, String> {
    let lit = int_lit(min, t).ok_or_else(|| format!("{min} does not fit {t}"))?;
    let op = if holds { CmpOp::GtEq } else { CmpOp::Lt };
    Ok(Expr::Cmp(op, Box::new(e), Box::new(Expr::Lit(lit))))
}

/// `e op L` for a typed operand `e` and a literal, comparing exactly as DuckDB does: integer and decimal
/// operands against numbers by exact value, dates and timestamps against their text at nanosecond precision,
/// floats against the literal rounded to the column's float type (or to float64 when written as a DOUBLE,
/// with an exponent).
fn cmp_lit(op: CmpOp, e: Expr, l: &Lit) -> Result<Expr, String> {
    let t = e.data_type();
    let what = e.describe();
    let plain = |e: Expr, a: ArrayRef| Ok(Expr::Cmp(op, Box::new(e), Box::new(Expr::Lit(a))));
    if matches!(l, Lit::Null) {
        return plain(e, new_null_array(&t, 1));
    }
    let number = match l {
        Lit::Int(s) | Lit::Num(s) => Some(s.as_str()),
        Lit::Str(s) if t.is_numeric() => Some(s.as_str()).filter(|s| Exact::parse(s).is_some()),
        _ => None,
    };
    if is_int(&t) || matches!(t, DataType::Decimal128(..)) {
        if let Some(text) = number {
            let x = Exact::parse(text).ok_or_else(|| format!("{what}: not a number: {text}"))?;
            let shift = if let DataType::Decimal128(_, s) = t { i64::from(s) } else { 0 };
            return discrete_cmp(op, e, x.scaled(shift), &t);
        }
    } else if is_temporal(&t) {
        if let Lit::Str(text) = l {
            let s = temporal_scaled(text, &t).map_err(|err| format!("{what}: cannot read '{text}' as {t}: {err}"))?;
            return discrete_cmp(op, e, s, &t);
        }
    } else if t.is_floating()
        && let Some(text) = number
    {
        let bad = |_| format!("{what}: cannot read '{text}' as a number");
        // -0.0 equals 0.0 in SQL, but not in the total order the comparison kernels use.
        if t == DataType::Float32 && !Exact::written_as_double(text) {
            let v: f32 = text.trim().parse().map_err(bad)?;
            let v = if v == 0.0 { 0.0 } else { v };
            return plain(e, Arc::new(arrow::array::Float32Array::from(vec![v])));
        }
        let v: f64 = text.trim().parse().map_err(bad)?;
        let v = if v == 0.0 { 0.0 } else { v };
        return plain(cast_to(e, &DataType::Float64), Arc::new(arrow::array::Float64Array::from(vec![v])));
    }
    let a = lit_array(l, &t).map_err(|err| format!("{what}: {err}"))?;
    plain(e, a)
}

/// Integer digits a value of integer or decimal type `t` can have.
fn int_digits(t: &DataType) -> Option<i16> {
    use DataType as T;
    Some(match t {
        T::Int8 | T::UInt8 => 3,
        T::Int16 | T::UInt16 => 5,
        T::Int32 | T::UInt32 => 10,
        T::Int64 => 19,
        T::UInt64 => 20,
        T::Decimal128(p, s) => i16::from(*p) - i16::from(*s),
        _ => return None,
    })
}

/// A common type for two typed operands: integers and decimals compare exactly (as a wide decimal where
/// needed), other numbers as float64, dates and timestamps at the finer unit.
fn coerce_pair(a: Expr, b: Expr) -> Result<(Expr, Expr), String> {
    use DataType as T;
    let (ta, tb) = (a.data_type(), b.data_type());
    if ta == tb {
        return Ok((a, b));
    }
    let exact = |t: &DataType| is_int(t) || matches!(t, T::Decimal128(..));
    let scale = |t: &DataType| if let T::Decimal128(_, s) = t { *s } else { 0 };
    let common = if is_int(&ta) && is_int(&tb) && ta.is_signed_integer() == tb.is_signed_integer() {
        if ta.is_signed_integer() { T::Int64 } else { T::UInt64 }
    } else if is_int(&ta) && is_int(&tb) && !matches!((&ta, &tb), (T::UInt64, _) | (_, T::UInt64)) {
        T::Int64
    } else if exact(&ta) && exact(&tb) {
        let s = scale(&ta).max(scale(&tb)).max(0);
        let fits = |t: &DataType| int_digits(t).is_some_and(|d| d + i16::from(s) <= 38);
        if fits(&ta) && fits(&tb) { T::Decimal128(38, s) } else { T::Float64 }
    } else if ta.is_numeric() && tb.is_numeric() {
        T::Float64
    } else if is_string(&ta) && is_string(&tb) {
        T::Utf8
    } else if is_temporal(&ta) && is_temporal(&tb) {
        use arrow::datatypes::TimeUnit as U;
        let rank = |t: &DataType| match t {
            T::Timestamp(U::Nanosecond, _) => 3,
            T::Timestamp(U::Microsecond, _) => 2,
            T::Timestamp(U::Millisecond, _) | T::Date64 => 1,
            _ => 0,
        };
        let unit = [U::Second, U::Millisecond, U::Microsecond, U::Nanosecond][rank(&ta).max(rank(&tb))];
        let tz = match (&ta, &tb) {
            (T::Timestamp(_, Some(z)), _) | (_, T::Timestamp(_, Some(z))) => Some(z.clone()),
            _ => None,
        };
        T::Timestamp(unit, tz)
    } else if arrow::compute::can_cast_types(&tb, &ta) && !is_string(&tb) {
        ta.clone()
    } else {
        return Err(format!("cannot compare {} ({ta}) with {} ({tb})", a.describe(), b.describe()));
    };
    Ok((cast_to(a, &common), cast_to(b, &common)))
}

/// What an evaluated expression produced.
enum Value {
    Array(ArrayRef),
    /// One element standing for every row.
    Scalar(ArrayRef),
}

impl Value {
    fn datum(&self) -> Box<dyn Datum + '_> {
        match self {
            Value::Array(a) => Box::new(a),
            Value::Scalar(s) => Box::new(Scalar::new(s)),
        }
    }
    /// Float -0.0 as 0.0: SQL compares them equal, the comparison kernels' total order does not.
    fn without_negative_zero(self) -> Result<Self, ArrowError> {
        use arrow::datatypes::{Float32Type, Float64Type};
        fn fix(a: &ArrayRef) -> Option<ArrayRef> {
            match a.data_type() {
                DataType::Float32 => Some(Arc::new(a.as_primitive::<Float32Type>().unary::<_, Float32Type>(|v| v + 0.0))),
                DataType::Float64 => Some(Arc::new(a.as_primitive::<Float64Type>().unary::<_, Float64Type>(|v| v + 0.0))),
                _ => None,
            }
        }
        Ok(match self {
            Value::Array(a) => Value::Array(fix(&a).unwrap_or(a)),
            Value::Scalar(s) => Value::Scalar(fix(&s).unwrap_or(s)),
        })
    }

    fn into_array(self, rows: usize) -> Result<ArrayRef, ArrowError> {
        match self {
            Value::Array(a) => Ok(a),
            Value::Scalar(s) => {
                let idx = UInt64Array::from(vec![0u64; rows]);
                arrow::compute::take(&s, &idx, None)
            }
        }
    }
}

impl Expr {
    pub fn data_type(&self) -> DataType {
        match self {
            Expr::Column { data_type, .. } => data_type.clone(),
            Expr::Cast(_, t) => t.clone(),
            Expr::Lit(a) => a.data_type().clone(),
            _ => DataType::Boolean,
        }
    }

    fn describe(&self) -> String {
        match self {
            Expr::Column { name, path, .. } if path.is_empty() => format!("column {name:?}"),
            Expr::Column { name, path, .. } => format!("column {:?}", format!("{name}.{}", path.join("."))),
            Expr::Cast(e, _) => e.describe(),
            _ => "the expression".into(),
        }
    }

    /// The top-level columns the expression reads.
    pub fn columns(&self) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        self.visit_columns(&mut out);
        out
    }

    fn visit_columns(&self, out: &mut BTreeSet<String>) {
        match self {
            Expr::Column { name, .. } => {
                out.insert(name.clone());
            }
            Expr::Lit(_) => {}
            Expr::Cast(e, _) | Expr::Not(e) | Expr::IsNull(e, _) | Expr::Like { expr: e, .. } => e.visit_columns(out),
            Expr::Cmp(_, a, b) | Expr::And(a, b) | Expr::Or(a, b) => {
                a.visit_columns(out);
                b.visit_columns(out);
            }
        }
    }

    /// Evaluates a boolean expression over `batch` (which holds at least the columns it reads).
    pub fn evaluate(&self, batch: &RecordBatch) -> Result<BooleanArray, ArrowError> {
        let v = self.eval(batch)?.into_array(batch.num_rows())?;
        Ok(v.as_boolean().clone())
    }

    fn eval(&self, batch: &RecordBatch) -> Result<Value, ArrowError> {
        Ok(match self {
            Expr::Column { name, path, .. } => {
                let col = batch
                    .column_by_name(name)
                    .ok_or_else(|| ArrowError::SchemaError(format!("column {name:?} missing from the batch")))?;
                Value::Array(extract_path(col.clone(), path)?)
            }
            Expr::Lit(a) => Value::Scalar(a.clone()),
            Expr::Cast(e, t) => match e.eval(batch)? {
                Value::Array(a) => Value::Array(cast_with_options(&a, t, &CastOptions::default())?),
                Value::Scalar(s) => Value::Scalar(cast_with_options(&s, t, &CastOptions::default())?),
            },
            Expr::Cmp(op, a, b) => {
                let (va, vb) = (a.eval(batch)?.without_negative_zero()?, b.eval(batch)?.without_negative_zero()?);
                let r = op.kernel(va.datum().as_ref(), vb.datum().as_ref())?;
                match (va, vb) {
                    (Value::Scalar(_), Value::Scalar(_)) => Value::Scalar(Arc::new(r)),
                    _ => Value::Array(Arc::new(r)),
                }
            }
            Expr::And(a, b) => {
                let (x, y) = (a.evaluate(batch)?, b.evaluate(batch)?);
                Value::Array(Arc::new(arrow::compute::and_kleene(&x, &y)?))
            }
            Expr::Or(a, b) => {
                let (x, y) = (a.evaluate(batch)?, b.evaluate(batch)?);
                Value::Array(Arc::new(arrow::compute::or_kleene(&x, &y)?))
            }
            Expr::Not(a) => Value::Array(Arc::new(arrow::compute::not(&a.evaluate(batch)?)?)),
            Expr::IsNull(e, negated) => {
                let a = e.eval(batch)?.into_array(batch.num_rows())?;
                let r = if *negated { arrow::compute::is_not_null(&a)? } else { arrow::compute::is_null(&a)? };
                Value::Array(Arc::new(r))
            }
            Expr::Like { expr, pattern, negated, case_insensitive } => {
                let a = expr.eval(batch)?.into_array(batch.num_rows())?;
                let a = if *a.data_type() == DataType::Utf8 { a } else { cast_with_options(&a, &DataType::Utf8, &CastOptions::default())? };
                let p = Scalar::new(StringArray::from(vec![pattern.as_str()]));
                let r = match (negated, case_insensitive) {
                    (false, false) => comparison::like(&a, &p)?,
                    (true, false) => comparison::nlike(&a, &p)?,
                    (false, true) => comparison::ilike(&a, &p)?,
                    (true, true) => comparison::nilike(&a, &p)?,
                };
                Value::Array(Arc::new(r))
            }
        })
    }
}

/// `col.a.b`: the struct fields along `path`, null wherever a parent is null.
pub fn extract_path(mut col: ArrayRef, path: &[String]) -> Result<ArrayRef, ArrowError> {
    for part in path {
        let s = col
            .as_struct_opt()
            .ok_or_else(|| ArrowError::SchemaError(format!("{part:?}: not a struct field")))?;
        let child = s
            .column_by_name(part)
            .ok_or_else(|| ArrowError::SchemaError(format!("no struct field {part:?}")))?
            .clone();
        let nulls = NullBuffer::union(s.nulls(), child.nulls());
        col = if nulls.as_ref() == child.nulls() {
            child
        } else {
            make_array(child.to_data().into_builder().nulls(nulls).build()?)
        };
    }
    Ok(col)
}

/// Statistics of one column over a sequence of containers (row groups or pages), all arrays of equal length.
pub struct ColumnStats {
    /// Null where unknown.
    pub mins: ArrayRef,
    pub maxes: ArrayRef,
    pub null_counts: Option<UInt64Array>,
    /// Whether the column is absent from the file (every value null).
    pub absent: bool,
}

/// Statistics of the containers a predicate is tested against.
pub trait StatsSource {
    /// How many containers.
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    fn row_counts(&self) -> Option<&UInt64Array>;
    /// Statistics for a top-level column, or None when unknown.
    fn column(&self, name: &str) -> Option<&ColumnStats>;
}

impl Expr {
    /// For each container, whether it may hold a row for which the expression is true. Conservative: any doubt
    /// (missing statistics, unsupported shapes, float NaN) answers "may".
    pub fn may_match(&self, stats: &dyn StatsSource) -> Vec<bool> {
        match self.prune(stats, false) {
            Some(b) => (0..b.len()).map(|i| !b.is_valid(i) || b.value(i)).collect(),
            None => vec![true; stats.len()],
        }
    }

    fn prune(&self, stats: &dyn StatsSource, negate: bool) -> Option<BooleanArray> {
        match self {
            Expr::And(a, b) | Expr::Or(a, b) => {
                let is_and = matches!(self, Expr::And(..)) != negate;
                let (pa, pb) = (a.prune(stats, negate), b.prune(stats, negate));
                if is_and {
                    match (pa, pb) {
                        (Some(x), Some(y)) => arrow::compute::and(&fill_true(&x), &fill_true(&y)).ok(),
                        (x, y) => x.or(y),
                    }
                } else {
                    match (pa, pb) {
                        (Some(x), Some(y)) => arrow::compute::or(&fill_true(&x), &fill_true(&y)).ok(),
                        _ => None,
                    }
                }
            }
            Expr::Not(a) => a.prune(stats, !negate),
            Expr::Lit(a) if a.data_type() == &DataType::Boolean => {
                let b = a.as_boolean();
                let v = b.is_valid(0) && (b.value(0) != negate);
                Some(BooleanArray::from(vec![v; stats.len()]))
            }
            Expr::IsNull(e, negated) => {
                let Expr::Column { name, path, .. } = e.as_ref() else { return None };
                if !path.is_empty() {
                    return None;
                }
                let c = stats.column(name)?;
                let want_null = *negated == negate;
                if c.absent {
                    return Some(BooleanArray::from(vec![want_null; stats.len()]));
                }
                let nulls = c.null_counts.as_ref()?;
                if want_null {
                    cmp::gt(nulls, &UInt64Array::new_scalar(0)).ok()
                } else {
                    let rows = stats.row_counts()?;
                    cmp::lt(nulls, rows).ok()
                }
            }
            Expr::Cmp(op, a, b) => {
                let (col, lit, op) = match (a.as_ref(), b.as_ref()) {
                    (c, Expr::Lit(l)) => (c, l, *op),
                    (Expr::Lit(l), c) => (c, l, op.flip()),
                    _ => return None,
                };
                let op = if negate { op.negate() } else { op };
                let (name, cast) = match col {
                    Expr::Column { name, path, .. } if path.is_empty() => (name, None),
                    Expr::Cast(inner, t) => match inner.as_ref() {
                        Expr::Column { name, path, .. } if path.is_empty() => (name, Some(t)),
                        _ => return None,
                    },
                    _ => return None,
                };
                let c = stats.column(name)?;
                if c.absent || lit.is_null(0) {
                    // Every value null (or a NULL literal): the comparison is never true.
                    return Some(BooleanArray::from(vec![false; stats.len()]));
                }
                let conv = |a: &ArrayRef| -> Option<ArrayRef> {
                    match cast {
                        Some(t) => cast_with_options(a, t, &CastOptions::default()).ok(),
                        None => Some(a.clone()),
                    }
                };
                let (mins, maxes) = (conv(&c.mins)?, conv(&c.maxes)?);
                if mins.data_type() != lit.data_type() {
                    return None;
                }
                // NaN sorts above every number but is left out of Parquet's max: never prune on a float max.
                let float = mins.data_type().is_floating();
                let l = Scalar::new(lit.clone());
                let r = match op {
                    CmpOp::Eq => {
                        let lo = cmp::lt_eq(&mins, &l).ok()?;
                        if float { lo } else { arrow::compute::and(&fill_true(&lo), &fill_true(&cmp::gt_eq(&maxes, &l).ok()?)).ok()? }
                    }
                    CmpOp::NotEq if float => return None,
                    CmpOp::NotEq => {
                        let a = cmp::neq(&mins, &l).ok()?;
                        let b = cmp::neq(&maxes, &l).ok()?;
                        arrow::compute::or(&fill_true(&a), &fill_true(&b)).ok()?
                    }
                    CmpOp::Lt => cmp::lt(&mins, &l).ok()?,
                    CmpOp::LtEq => cmp::lt_eq(&mins, &l).ok()?,
                    CmpOp::Gt | CmpOp::GtEq if float => return None,
                    CmpOp::Gt => cmp::gt(&maxes, &l).ok()?,
                    CmpOp::GtEq => cmp::gt_eq(&maxes, &l).ok()?,
                };
                Some(all_null_prunes(r, c, stats))
            }
            Expr::Like { expr, pattern, negated, case_insensitive } => {
                if *negated != negate || *case_insensitive {
                    return None;
                }
                let Expr::Column { name, path, data_type } = expr.as_ref() else { return None };
                if !path.is_empty() || *data_type != DataType::Utf8 {
                    return None;
                }
                let prefix: String = pattern.chars().take_while(|c| *c != '%' && *c != '_' && *c != '\\').collect();
                let c = stats.column(name)?;
                if c.absent {
                    return Some(BooleanArray::from(vec![false; stats.len()]));
                }
                if prefix.is_empty() || c.mins.data_type() != &DataType::Utf8 {
                    return None;
                }
                // Values starting with `prefix` lie in [prefix, prefix + U+10FFFF).
                let upper = format!("{prefix}\u{10FFFF}");
                let lo = cmp::gt_eq(&c.maxes, &Scalar::new(StringArray::from(vec![prefix.as_str()]))).ok()?;
                let hi = cmp::lt_eq(&c.mins, &Scalar::new(StringArray::from(vec![upper.as_str()]))).ok()?;
                Some(all_null_prunes(arrow::compute::and(&fill_true(&lo), &fill_true(&hi)).ok()?, c, stats))
            }
            _ => None,
        }
    }
}

/// Unknown (null) answers become "may match".
fn fill_true(b: &BooleanArray) -> BooleanArray {
    if b.null_count() == 0 {
        return b.clone();
    }
    (0..b.len()).map(|i| Some(!b.is_valid(i) || b.value(i))).collect()
}

/// A container whose values are all null holds no row where a comparison is true.
fn all_null_prunes(r: BooleanArray, c: &ColumnStats, stats: &dyn StatsSource) -> BooleanArray {
    let r = fill_true(&r);
    match (&c.null_counts, stats.row_counts()) {
        (Some(n), Some(rows)) => (0..r.len())
            .map(|i| {
                let all_null = n.is_valid(i) && rows.is_valid(i) && n.value(i) >= rows.value(i);
                Some(r.value(i) && !all_null)
            })
            .collect(),
        _ => r,
    }
}

/// The top-level `AND` terms of an expression.
pub fn conjuncts(e: &Expr) -> Vec<&Expr> {
    match e {
        Expr::And(a, b) => {
            let mut v = conjuncts(a);
            v.extend(conjuncts(b));
            v
        }
        other => vec![other],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int64Array, StringArray};
    use arrow::datatypes::Field;

    fn schema() -> Schema {
        Schema::new(vec![
            Field::new("id", DataType::Int64, true),
            Field::new("name", DataType::Utf8, true),
            Field::new("d", DataType::Date32, true),
        ])
    }

    fn batch() -> RecordBatch {
        RecordBatch::try_new(
            Arc::new(Schema::new(vec![Field::new("id", DataType::Int64, true), Field::new("name", DataType::Utf8, true)])),
            vec![
                Arc::new(Int64Array::from(vec![Some(1), Some(5), None, Some(9)])),
                Arc::new(StringArray::from(vec![Some("apple"), Some("banana"), Some("cherry"), None])),
            ],
        )
        .unwrap()
    }

    fn eval(text: &str) -> Vec<Option<bool>> {
        let e = bind(text, &schema()).unwrap();
        e.evaluate(&batch()).unwrap().iter().collect()
    }

    #[test]
    fn evaluates_sql_semantics() {
        assert_eq!(eval("id > 3"), vec![Some(false), Some(true), None, Some(true)]);
        assert_eq!(eval("id between 2 and 9 and name like 'b%'"), vec![Some(false), Some(true), Some(false), None]);
        assert_eq!(eval("id in (1, 9) or name is null"), vec![Some(true), Some(false), None, Some(true)]);
        assert_eq!(eval("not (id < 5)"), vec![Some(false), Some(true), None, Some(true)]);
        assert_eq!(eval("id > 4.5"), vec![Some(false), Some(true), None, Some(true)]);
        assert_eq!(eval("3 < id"), vec![Some(false), Some(true), None, Some(true)]);
    }

    #[test]
    fn rejects_bad_expressions() {
        assert!(bind("nope = 1", &schema()).unwrap_err().contains("no column"));
        assert!(bind("name = 3", &schema()).unwrap_err().contains("cannot compare"));
        assert!(bind("d = '2024-13-45'", &schema()).is_err());
        assert!(bind("id = 1 garbage", &schema()).is_err());
        assert!(bind("id + 1", &schema()).is_err());
    }

    #[test]
    fn exact_literals_scale_without_rounding() {
        let x = |t: &str| Exact::parse(t).unwrap();
        assert_eq!(x("50.05").scaled(1), Scaled::Between(500));
        assert_eq!(x("-50.05").scaled(1), Scaled::Between(-501));
        assert_eq!(x("50.10000").scaled(1), Scaled::Exact(501));
        assert_eq!(x("1e40").scaled(0), Scaled::Above);
        assert_eq!(x("-1e40").scaled(2), Scaled::Below);
        assert_eq!(x("0.0001").scaled(0), Scaled::Between(0));
        assert_eq!(x("-0.0001").scaled(0), Scaled::Between(-1));
        assert_eq!(x("-0").scaled(3), Scaled::Exact(0));
        assert_eq!(x("2.5e1").scaled(0), Scaled::Exact(25));
        assert_eq!(x("--3").scaled(0), Scaled::Exact(3));
        assert!(x("0.1").cmp_exact(&x("0.10")).is_eq() && x("-2").cmp_exact(&x("-1.5")).is_lt());
        assert!(x("12").cmp_exact(&x("1.2e1")).is_eq() && x("0.123").cmp_exact(&x("0.13")).is_lt());
        assert!(Exact::parse("1.2.3").is_none() && Exact::parse("abc").is_none() && Exact::parse("").is_none());
        assert!(Exact::written_as_double("1e2") && !Exact::written_as_double("340282366920938463463374607431768211455"));
        assert!(Exact::written_as_double("340282366920938463463374607431768211456"));
        assert!(Exact::written_as_double("-170141183460469231731687303715884105729"));
    }

    #[test]
    fn like_patterns_have_no_default_escape() {
        assert_eq!(like_pattern(r"a\b%", None).unwrap(), r"a\\b%");
        assert_eq!(like_pattern("a!%b!!", Some('!')).unwrap(), r"a\%b\!");
        assert!(like_pattern("a!", Some('!')).is_err());
    }

    struct Stats(ColumnStats, UInt64Array);
    impl StatsSource for Stats {
        fn len(&self) -> usize {
            self.1.len()
        }
        fn row_counts(&self) -> Option<&UInt64Array> {
            Some(&self.1)
        }
        fn column(&self, name: &str) -> Option<&ColumnStats> {
            (name == "id").then_some(&self.0)
        }
    }

    #[test]
    fn prunes_on_min_max() {
        // Three row groups: ids 0..10, 10..20, unknown.
        let s = Stats(
            ColumnStats {
                mins: Arc::new(Int64Array::from(vec![Some(0), Some(10), None])),
                maxes: Arc::new(Int64Array::from(vec![Some(9), Some(19), None])),
                null_counts: Some(UInt64Array::from(vec![0, 0, 0])),
                absent: false,
            },
            UInt64Array::from(vec![10, 10, 10]),
        );
        let m = |t: &str| bind(t, &schema()).unwrap().may_match(&s);
        assert_eq!(m("id = 12"), vec![false, true, true]);
        assert_eq!(m("id < 10"), vec![true, false, true]);
        assert_eq!(m("not (id >= 10)"), vec![true, false, true]);
        assert_eq!(m("id > 100 or id < 0"), vec![false, false, true]);
        assert_eq!(m("id is null"), vec![false, false, false]);
        assert_eq!(m("id in (3, 4)"), vec![true, false, true]);
        assert_eq!(m("name = 'x'"), vec![true, true, true]);
    }
}
