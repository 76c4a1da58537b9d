//! What an upload field's hidden input submits, and turning it into the model's value.
//!
//! The input (rendered by `joist_field`, filled by joist.js) holds:
//! - `""`: keep the current file (or none);
//! - `remove`: remove the current file;
//! - a field value from `/finalize`: the new file;
//! - on a field declared [`crate::Field::multiple`]: field values separated by spaces.

use sea_orm::ConnectionTrait;

use crate::{AttachError, Joist, Owner, S3File};

/// The value that asks to remove the current file.
pub const REMOVE: &str = "remove";

/// What a submitted single-file input asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormValue<'a> {
    /// Keep the current file.
    Keep,
    /// Remove the current file.
    Remove,
    /// Attach this field value.
    Upload(&'a str),
}

impl<'a> FormValue<'a> {
    /// Reads a submitted input.
    #[must_use]
    pub fn parse(raw: &'a str) -> Self {
        match raw.trim() {
            "" => Self::Keep,
            REMOVE => Self::Remove,
            value => Self::Upload(value),
        }
    }
}

impl Joist {
    /// Applies a submitted single-file input to the model's `current` value: keeps it, removes
    /// it, or attaches the new upload (see [`Joist::attach`]).
    ///
    /// ```no_run
    /// # use axum::http::request::Parts;
    /// # use joist::{Joist, S3File};
    /// # use loco_rs::app::AppContext;
    /// # use sea_orm::ActiveValue::{self, Set};
    /// # struct Form { owners_manual: String }
    /// # struct Car { owners_manual: ActiveValue<Option<S3File>> }
    /// # async fn update(ctx: &AppContext, request: &Parts, form: Form, current: Option<S3File>, mut car: Car) -> Result<(), Box<dyn std::error::Error>> {
    /// let joist = Joist::from_context(ctx)?;
    /// let owner = joist.owner(ctx, request, "car.owners_manual").await?;
    /// car.owners_manual = Set(joist.apply(&ctx.db, "car.owners_manual", &form.owners_manual, &owner, current).await?);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`AttachError`] when a new value is not genuine, expired, or not this field's or owner's.
    pub async fn apply(
        &self,
        db: &impl ConnectionTrait,
        field: &str,
        raw: &str,
        owner: &Owner,
        current: Option<S3File>,
    ) -> Result<Option<S3File>, AttachError> {
        match FormValue::parse(raw) {
            FormValue::Keep => Ok(current),
            FormValue::Remove => Ok(None),
            FormValue::Upload(value) => self.attach(db, field, value, owner).await.map(Some),
        }
    }

    /// Attaches every field value of a multi-file input, in order; nothing is attached unless
    /// all of them verify.
    ///
    /// # Errors
    /// The first value that is refused, as [`AttachError`].
    pub async fn attach_all(
        &self,
        db: &impl ConnectionTrait,
        field: &str,
        raw: &str,
        owner: &Owner,
    ) -> Result<Vec<S3File>, AttachError> {
        let values: Vec<&str> = raw
            .split_whitespace()
            .filter(|value| *value != REMOVE)
            .collect();
        for value in &values {
            self.verify_field_value(field, value, owner)?;
        }
        let mut files = Vec::with_capacity(values.len());
        for value in values {
            files.push(self.attach(db, field, value, owner).await?);
        }
        Ok(files)
    }
}

#[cfg(test)]
mod tests {
    use super::FormValue;

    #[test]
    fn reads_keep_remove_and_values() {
        assert_eq!(FormValue::parse(""), FormValue::Keep);
        assert_eq!(FormValue::parse("  "), FormValue::Keep);
        assert_eq!(FormValue::parse("remove"), FormValue::Remove);
        assert_eq!(FormValue::parse(" abc.def "), FormValue::Upload("abc.def"));
    }
}
