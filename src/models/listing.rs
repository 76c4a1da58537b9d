//! The admin list of uploads: filters, sort and keyset pagination, so the thousandth page of a
//! table of millions costs what the first does.

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, FixedOffset};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, Order, QueryFilter, QueryOrder,
    QuerySelect,
    sea_query::{Expr, ExprTrait, Func, LikeExpr},
};
use uuid::Uuid;

use super::_entities::joist_uploads::{Column, Entity, Model, Status};

/// How the list is ordered; every order ends on the id, so it is total.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    /// Newest first (the default).
    #[default]
    NewestFirst,
    /// Oldest first.
    OldestFirst,
    /// Largest first.
    LargestFirst,
    /// Smallest first.
    SmallestFirst,
}

impl Sort {
    /// Every order, as the list's sort menu shows them.
    pub const ALL: [Self; 4] = [
        Self::NewestFirst,
        Self::OldestFirst,
        Self::LargestFirst,
        Self::SmallestFirst,
    ];

    /// The name in URLs.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::NewestFirst => "newest",
            Self::OldestFirst => "oldest",
            Self::LargestFirst => "largest",
            Self::SmallestFirst => "smallest",
        }
    }

    /// The order a URL names.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|sort| sort.name() == name)
    }

    const fn by_size(self) -> bool {
        matches!(self, Self::LargestFirst | Self::SmallestFirst)
    }

    const fn order(self) -> Order {
        match self {
            Self::NewestFirst | Self::LargestFirst => Order::Desc,
            Self::OldestFirst | Self::SmallestFirst => Order::Asc,
        }
    }

    const fn column(self) -> Column {
        if self.by_size() {
            Column::Size
        } else {
            Column::CreatedAt
        }
    }
}

/// Why a cursor was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ListingError {
    /// The `after` value is not a cursor this list made for this order.
    #[error("the page cursor is not valid for this list; start again from the first page")]
    BadCursor,
}

/// Where a page ends: the sort value and id of its last upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    value: CursorValue,
    id: Uuid,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum CursorValue {
    Created(DateTime<FixedOffset>),
    Size(i64),
}

impl Cursor {
    /// The cursor of the page that follows `upload` in `sort` order.
    #[must_use]
    pub fn after(upload: &Model, sort: Sort) -> Self {
        let value = if sort.by_size() {
            CursorValue::Size(upload.size)
        } else {
            CursorValue::Created(upload.created_at)
        };
        Self {
            value,
            id: upload.id,
        }
    }

    /// The cursor as a URL-safe string.
    #[must_use]
    pub fn encode(&self) -> String {
        let value = match &self.value {
            CursorValue::Created(at) => format!("t{}", at.to_rfc3339()),
            CursorValue::Size(size) => format!("s{size}"),
        };
        URL_SAFE_NO_PAD.encode(format!("{value}|{}", self.id))
    }

    /// The cursor `encoded` stands for, if it was made for `sort`.
    ///
    /// # Errors
    /// [`ListingError::BadCursor`] when it does not decode or belongs to another order.
    pub fn decode(encoded: &str, sort: Sort) -> Result<Self, ListingError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(encoded)
            .map_err(|_| ListingError::BadCursor)?;
        let text = String::from_utf8(bytes).map_err(|_| ListingError::BadCursor)?;
        let (value, id) = text.split_once('|').ok_or(ListingError::BadCursor)?;
        let id = Uuid::parse_str(id).map_err(|_| ListingError::BadCursor)?;
        let value = match (value.split_at_checked(1), sort.by_size()) {
            (Some(("t", at)), false) => CursorValue::Created(
                DateTime::parse_from_rfc3339(at).map_err(|_| ListingError::BadCursor)?,
            ),
            (Some(("s", size)), true) => {
                CursorValue::Size(size.parse().map_err(|_| ListingError::BadCursor)?)
            }
            _ => return Err(ListingError::BadCursor),
        };
        Ok(Self { value, id })
    }

    fn condition(&self, sort: Sort) -> Expr {
        let value = match &self.value {
            CursorValue::Created(at) => Expr::value(*at),
            CursorValue::Size(size) => Expr::value(*size),
        };
        let rows = Expr::tuple([Expr::col(sort.column()), Expr::col(Column::Id)]);
        let cursor = Expr::tuple([value, Expr::value(self.id)]);
        match sort.order() {
            Order::Asc => rows.gt(cursor),
            _ => rows.lt(cursor),
        }
    }
}

/// What the admin list shows: its filters, order and page.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    /// Only uploads in this state.
    pub status: Option<Status>,
    /// Only uploads to this field.
    pub field: Option<String>,
    /// Only uploads by this owner.
    pub owner: Option<String>,
    /// Only uploads created at or after this.
    pub created_from: Option<DateTime<FixedOffset>>,
    /// Only uploads created before this.
    pub created_before: Option<DateTime<FixedOffset>>,
    /// Only uploads whose filename contains this (case-insensitive for ASCII).
    pub filename: Option<String>,
    /// The order.
    pub sort: Sort,
    /// Start after this cursor (the previous page's `next`).
    pub after: Option<Cursor>,
}

/// One page of the list.
#[derive(Debug, Clone)]
pub struct Page {
    /// The uploads on it.
    pub uploads: Vec<Model>,
    /// The cursor of the next page, when there is one.
    pub next: Option<Cursor>,
}

/// `text` as a LIKE pattern matching it anywhere, its wildcards escaped with `\`.
fn contains_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

impl Listing {
    fn condition(&self) -> Condition {
        let mut condition = Condition::all();
        if let Some(status) = self.status {
            condition = condition.add(Column::Status.eq(status));
        }
        if let Some(field) = &self.field {
            condition = condition.add(Column::Field.eq(field));
        }
        if let Some(owner) = &self.owner {
            condition = condition.add(Column::Owner.eq(owner));
        }
        if let Some(from) = self.created_from {
            condition = condition.add(Column::CreatedAt.gte(from));
        }
        if let Some(before) = self.created_before {
            condition = condition.add(Column::CreatedAt.lt(before));
        }
        if let Some(filename) = &self.filename {
            condition = condition.add(
                Expr::expr(Func::lower(Expr::col(Column::Filename)))
                    .like(LikeExpr::new(contains_pattern(filename)).escape('\\')),
            );
        }
        if let Some(after) = &self.after {
            condition = condition.add(after.condition(self.sort));
        }
        condition
    }

    /// The page of `size` uploads this listing selects.
    ///
    /// # Errors
    /// When the query fails.
    pub async fn page(&self, db: &impl ConnectionTrait, size: u64) -> Result<Page, DbErr> {
        let order = self.sort.order();
        let mut uploads = Entity::find()
            .filter(self.condition())
            .order_by(self.sort.column(), order.clone())
            .order_by(Column::Id, order)
            .limit(size + 1)
            .all(db)
            .await?;
        let more = uploads.len() > usize::try_from(size).unwrap_or(usize::MAX);
        uploads.truncate(usize::try_from(size).unwrap_or(usize::MAX));
        let next = more
            .then(|| uploads.last().map(|last| Cursor::after(last, self.sort)))
            .flatten();
        Ok(Page { uploads, next })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_belong_to_their_order() {
        let cursor = Cursor {
            value: CursorValue::Size(5 << 40),
            id: Uuid::from_u128(7),
        };
        let encoded = cursor.encode();
        assert_eq!(Cursor::decode(&encoded, Sort::LargestFirst), Ok(cursor));
        assert_eq!(
            Cursor::decode(&encoded, Sort::NewestFirst),
            Err(ListingError::BadCursor)
        );
        assert_eq!(
            Cursor::decode("not a cursor", Sort::NewestFirst),
            Err(ListingError::BadCursor)
        );
    }

    #[test]
    fn filename_patterns_escape_wildcards() {
        assert_eq!(contains_pattern("100%_A\\b"), "%100\\%\\_a\\\\b%");
    }
}
