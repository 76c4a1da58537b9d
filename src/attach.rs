//! Turning a submitted field value into an [`S3File`] on the host's model.

use chrono::Utc;
use sea_orm::ConnectionTrait;

use crate::{
    FileMetadata, Joist,
    field::{Owner, S3File},
    models::{Upload, UploadStatus, uploads::Changes},
    signing::{Purpose, SigningError, UploadClaims},
};

/// Why a submitted field value was not accepted. The messages suit a form error.
#[derive(Debug, thiserror::Error)]
pub enum AttachError {
    /// Forged, tampered with, truncated or not a field value at all.
    #[error("the uploaded file could not be verified; please upload it again")]
    Invalid,
    /// Genuine, but too old.
    #[error("the upload has expired; please upload the file again")]
    Expired,
    /// Made for another field.
    #[error("the uploaded file belongs to another field")]
    WrongField,
    /// Made for another user.
    #[error("the uploaded file belongs to someone else")]
    WrongOwner,
    /// The upload is not (or no longer) finalized.
    #[error("the upload is not finished (it is {0:?})")]
    NotFinalized(UploadStatus),
    /// The database failed.
    #[error("could not record the upload: {0}")]
    Database(#[from] sea_orm::DbErr),
}

impl Joist {
    /// Verifies a field value submitted for `field` by `owner` and marks its upload `attached`;
    /// returns the [`S3File`] to store on the model. Submitting the same value again (a form
    /// re-posted after a validation error) returns the same file.
    ///
    /// ```no_run
    /// # use joist::{Joist, Owner, S3File};
    /// # use loco_rs::app::AppContext;
    /// # use sea_orm::ActiveValue::{self, Set};
    /// # struct Form { owners_manual: String }
    /// # struct Car { owners_manual: ActiveValue<Option<S3File>> }
    /// # async fn create(ctx: &AppContext, form: Form, mut car: Car) -> Result<(), Box<dyn std::error::Error>> {
    /// let joist = Joist::from_context(ctx)?;
    /// let file = joist.attach(&ctx.db, "car.owners_manual", &form.owners_manual, &Owner::Anonymous).await?;
    /// car.owners_manual = Set(Some(file));
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`AttachError`] when the value is not genuine, expired, for another field or owner, or its
    /// upload is not finalized.
    pub async fn attach(
        &self,
        db: &impl ConnectionTrait,
        field: &str,
        value: &str,
        owner: &Owner,
    ) -> Result<S3File, AttachError> {
        let claims = self.verify_field_value(field, value, owner)?;
        let upload = Upload::find(db, claims.upload)
            .await?
            .filter(|upload| upload.key == claims.key)
            .ok_or(AttachError::Invalid)?;
        let attached = match upload.status {
            UploadStatus::Attached => upload,
            UploadStatus::Finalized => {
                let changes = Changes {
                    attached: true,
                    ..Changes::default()
                };
                let moved = Upload::transition(
                    db,
                    upload.id,
                    &[UploadStatus::Finalized],
                    UploadStatus::Attached,
                    changes,
                )
                .await?;
                match moved {
                    Some(upload) => upload,
                    None => Upload::find(db, upload.id)
                        .await?
                        .filter(|upload| upload.status == UploadStatus::Attached)
                        .ok_or(AttachError::NotFinalized(upload.status))?,
                }
            }
            status => return Err(AttachError::NotFinalized(status)),
        };
        Ok(S3File::from_upload(&attached))
    }

    /// `file` (a value loaded from a model's column) with what its upload record says: its
    /// original filename, content type and metadata, variants included; unchanged when no
    /// record has its key (a file stored before joist recorded it).
    ///
    /// # Errors
    /// When the query fails.
    pub async fn load(
        &self,
        db: &impl ConnectionTrait,
        file: S3File,
    ) -> Result<S3File, sea_orm::DbErr> {
        Ok(Upload::find_by_key(db, file.key())
            .await?
            .map_or(file, |upload| S3File::from_upload(&upload)))
    }

    /// [`Self::load`] for many files at once (a gallery), in one query, in their order.
    ///
    /// # Errors
    /// When the query fails.
    pub async fn load_all(
        &self,
        db: &impl ConnectionTrait,
        files: Vec<S3File>,
    ) -> Result<Vec<S3File>, sea_orm::DbErr> {
        let keys: Vec<&str> = files.iter().map(S3File::key).collect();
        let uploads = Upload::find_all_by_key(db, &keys).await?;
        Ok(files
            .into_iter()
            .map(|file| {
                uploads
                    .iter()
                    .find(|upload| upload.key == file.key())
                    .map_or(file, S3File::from_upload)
            })
            .collect())
    }

    /// Checks a field value's signature, expiry, field and owner, without touching the database.
    /// `file` with what the engine found in it at finalize (its detected type; for images width,
    /// height and orientation), read from its upload record; `None` when no record has its key.
    ///
    /// # Errors
    /// When the query fails.
    pub async fn file_metadata(
        &self,
        db: &impl ConnectionTrait,
        file: &S3File,
    ) -> Result<Option<FileMetadata>, sea_orm::DbErr> {
        Ok(Upload::find_by_key(db, file.key())
            .await?
            .map(|upload| FileMetadata::of(&upload)))
    }

    pub(crate) fn verify_field_value(
        &self,
        field: &str,
        value: &str,
        owner: &Owner,
    ) -> Result<UploadClaims, AttachError> {
        let claims: UploadClaims = self
            .signer()
            .verify(Purpose::FieldValue, value.trim(), Utc::now().timestamp())
            .map_err(|error| match error {
                SigningError::Expired => AttachError::Expired,
                SigningError::Malformed | SigningError::BadSignature => AttachError::Invalid,
            })?;
        if claims.field != field {
            return Err(AttachError::WrongField);
        }
        if claims.owner.as_deref() != owner.id() {
            return Err(AttachError::WrongOwner);
        }
        Ok(claims)
    }
}
