//! What an operator can do to an upload: delete it, abort it, re-run its finalize event,
//! regenerate its image variants. Each
//! runs once per confirmed form and upload, and is logged in `joist_admin_actions` and to the
//! `joist::admin` tracing target.

use loco_rs::app::AppContext;
use uuid::Uuid;

use super::Admin;
use crate::{
    Joist, Result,
    events::{self, UploadEventKind},
    lifecycle::{self, AbortOutcome},
    models::{AdminActionRecord, Upload, UploadStatus},
};

/// An admin action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminAction {
    /// Deletes the object (aborting an unfinished multipart upload) and the record.
    Delete,
    /// Gives an unfinished upload up, as the client's abort would.
    Abort,
    /// Raises the upload's `finalized` event again, so its handlers run again.
    RerunFinalize,
    /// Makes every variant of the upload's field again, now (a changed declaration, a
    /// failed variant).
    RegenerateVariants,
}

const UNFINISHED: [UploadStatus; 2] = [UploadStatus::Prepared, UploadStatus::Uploading];

impl AdminAction {
    /// Every action.
    pub const ALL: [Self; 4] = [
        Self::Delete,
        Self::Abort,
        Self::RerunFinalize,
        Self::RegenerateVariants,
    ];

    /// The name in forms and the log.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Delete => "delete",
            Self::Abort => "abort",
            Self::RerunFinalize => "rerun_finalize",
            Self::RegenerateVariants => "regenerate_variants",
        }
    }

    /// The action a form names.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|action| action.name() == name)
    }

    /// The button's text.
    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::Delete => "Delete",
            Self::Abort => "Abort upload",
            Self::RerunFinalize => "Re-run finalize event",
            Self::RegenerateVariants => "Regenerate variants",
        }
    }

    /// What it does, as the confirmation says.
    #[must_use]
    pub const fn explanation(self) -> &'static str {
        match self {
            Self::Delete => {
                "Deletes the object from the store (aborting an unfinished multipart upload) and \
                 the upload's record. This cannot be undone."
            }
            Self::Abort => {
                "Gives the unfinished upload up: the store discards its parts, the client can no \
                 longer finish it, and the finalize event reports it aborted."
            }
            Self::RerunFinalize => {
                "Raises the finalize event again: every finalize handler of the field runs again \
                 for this upload, as a background job."
            }
            Self::RegenerateVariants => {
                "Makes every image variant the field declares again from the original, now, \
                 replacing the ones in the store."
            }
        }
    }

    /// Whether it makes sense for `upload` (its status; for variants, its field's).
    #[must_use]
    pub fn applies(self, joist: &Joist, upload: &Upload) -> bool {
        self.applies_to(upload.status)
            && (self != Self::RegenerateVariants
                || joist
                    .fields()
                    .get(&upload.field)
                    .is_some_and(|field| field.variants().next().is_some()))
    }

    /// Whether it makes sense for an upload in `status`.
    #[must_use]
    pub const fn applies_to(self, status: UploadStatus) -> bool {
        match self {
            Self::RegenerateVariants => {
                matches!(status, UploadStatus::Finalized | UploadStatus::Attached)
            }
            Self::Delete => true,
            Self::Abort => matches!(status, UploadStatus::Prepared | UploadStatus::Uploading),
            Self::RerunFinalize => matches!(
                status,
                UploadStatus::Finalized
                    | UploadStatus::Attached
                    | UploadStatus::Failed
                    | UploadStatus::Rejected
                    | UploadStatus::Aborted
            ),
        }
    }
}

/// Performs `action` on upload `upload_id` for `admin`, once per form `nonce`, and returns what
/// happened in words. A repeated call (a resubmitted form, a second click) changes nothing.
///
/// # Errors
/// When the database or the store fails; the log keeps the failure and a new confirmation
/// retries it.
pub async fn perform(
    ctx: &AppContext,
    joist: &Joist,
    admin: &Admin,
    action: AdminAction,
    nonce: Uuid,
    upload_id: Uuid,
) -> Result<String> {
    let Some(upload) = Upload::find(&ctx.db, upload_id).await? else {
        return Ok("nothing to do: the upload no longer exists".to_string());
    };
    let Some(entry) =
        AdminActionRecord::claim(&ctx.db, nonce, &upload, action.name(), &admin.0).await?
    else {
        return Ok("already done: this confirmation was submitted before".to_string());
    };
    let outcome = match run(ctx, joist, action, &upload).await {
        Ok(outcome) => outcome,
        Err(error) => {
            let failure = format!("failed: {error}");
            AdminActionRecord::finish(&ctx.db, entry, &failure).await?;
            log(admin, action, &upload, &failure);
            return Err(error);
        }
    };
    AdminActionRecord::finish(&ctx.db, entry, &outcome).await?;
    log(admin, action, &upload, &outcome);
    Ok(outcome)
}

async fn run(
    ctx: &AppContext,
    joist: &Joist,
    action: AdminAction,
    upload: &Upload,
) -> Result<String> {
    if !action.applies_to(upload.status) {
        return Ok(format!("not done: the upload is {}", upload.status.name()));
    }
    if !action.applies(joist, upload) {
        return Ok("nothing to do: the field declares no variants".to_string());
    }
    Ok(match action {
        AdminAction::Delete => {
            if lifecycle::delete(ctx, joist, upload).await? {
                "deleted the object and the record".to_string()
            } else {
                "nothing to do: the upload no longer exists".to_string()
            }
        }
        AdminAction::Abort => {
            match lifecycle::abort(ctx, joist, upload, &UNFINISHED, "aborted by an admin").await? {
                AbortOutcome::Aborted => "aborted".to_string(),
                AbortOutcome::AlreadyAborted => {
                    "already aborted; the store was cleaned again".to_string()
                }
                AbortOutcome::Attached => "not done: the upload is attached".to_string(),
                AbortOutcome::NotAbortable(status) => {
                    format!("not done: the upload is {}", status.name())
                }
            }
        }
        AdminAction::RegenerateVariants => regenerate(ctx, joist, upload).await?,
        AdminAction::RerunFinalize => {
            if joist
                .handlers()
                .any(UploadEventKind::Finalized, &upload.field)
            {
                events::outbox::record(&ctx.db, upload.id, UploadEventKind::Finalized).await?;
                events::raise(ctx, joist, upload.id, Some(UploadEventKind::Finalized)).await;
                "finalize event raised".to_string()
            } else {
                "nothing to run: no finalize handler listens to this field".to_string()
            }
        }
    })
}

/// Makes the upload's variants again and says how each went.
#[cfg(feature = "variants")]
async fn regenerate(ctx: &AppContext, joist: &Joist, upload: &Upload) -> Result<String> {
    let generated = crate::variants::generate(ctx, joist, upload, true).await?;
    if generated.is_empty() {
        return Ok("nothing to do: the upload is not an image".to_string());
    }
    let outcomes: Vec<String> = generated
        .iter()
        .map(
            |(name, record)| match (&record.error, record.width.zip(record.height)) {
                (Some(error), _) => format!("{name} failed: {error}"),
                (None, Some((width, height))) => format!("{name} {width} × {height}"),
                (None, None) => name.clone(),
            },
        )
        .collect();
    Ok(format!("regenerated: {}", outcomes.join("; ")))
}

/// Built without variants: nothing can make them.
#[cfg(not(feature = "variants"))]
#[allow(clippy::unused_async)]
async fn regenerate(_ctx: &AppContext, _joist: &Joist, _upload: &Upload) -> Result<String> {
    Ok("not done: joist was built without its `variants` feature".to_string())
}

fn log(admin: &Admin, action: AdminAction, upload: &Upload, outcome: &str) {
    tracing::info!(
        target: "joist::admin",
        admin = %admin.0,
        action = action.name(),
        upload = %upload.id,
        key = %upload.key,
        outcome,
        "joist admin action"
    );
}
