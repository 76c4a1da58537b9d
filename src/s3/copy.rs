//! Server-side copies, for promoting a quarantined object to its final key: one `CopyObject` up
//! to 5 GiB, `UploadPartCopy` in parallel above (S3's limit for a single copy).

use percent_encoding::utf8_percent_encode;
use tokio::task::JoinSet;

use super::{Store, StoreError, presign::PATH, store::classify};

/// The largest object one `CopyObject` may copy.
pub const COPY_OBJECT_LIMIT: u64 = 5 << 30;

/// Parts copied at once by [`Store::copy_in_parts`].
const PARALLEL_PARTS: usize = 4;

/// The part size for copying `size` bytes: 512 MiB, raised to stay within 10,000 parts.
#[must_use]
pub const fn copy_part_size(size: u64) -> u64 {
    let least = size.div_ceil(10_000);
    if least > 512 << 20 { least } else { 512 << 20 }
}

impl Store {
    fn copy_source(&self, key: &str) -> String {
        format!("{}/{}", self.bucket, utf8_percent_encode(key, PATH))
    }

    /// Copies the object at `from` (of `size` bytes) to `to` in the store.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when `from` is absent; unavailable when the store fails.
    pub async fn copy(&self, from: &str, to: &str, size: u64) -> Result<(), StoreError> {
        if size > COPY_OBJECT_LIMIT {
            return self
                .copy_in_parts(from, to, size, copy_part_size(size))
                .await;
        }
        self.client
            .copy_object()
            .bucket(&self.bucket)
            .copy_source(self.copy_source(from))
            .key(to)
            .send()
            .await
            .map_err(|error| classify(&error))?;
        Ok(())
    }

    /// Copies `from` to `to` as a multipart upload of `part_size` parts (`UploadPartCopy`, a few
    /// at once); a failed copy aborts its multipart upload.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when `from` is absent; unavailable when the store fails.
    pub async fn copy_in_parts(
        &self,
        from: &str,
        to: &str,
        size: u64,
        part_size: u64,
    ) -> Result<(), StoreError> {
        let content_type = self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(from)
            .send()
            .await
            .map_err(|error| classify(&error))?
            .content_type
            .unwrap_or_else(|| "application/octet-stream".into());
        let upload_id = self.create_multipart(to, &content_type).await?;
        match self.copy_parts(from, to, &upload_id, size, part_size).await {
            Ok(parts) => match self.complete(to, &upload_id, &parts).await {
                Ok(_) => Ok(()),
                Err(error) => {
                    let _ = self.abort(to, &upload_id).await;
                    Err(error)
                }
            },
            Err(error) => {
                let _ = self.abort(to, &upload_id).await;
                Err(error)
            }
        }
    }

    async fn copy_parts(
        &self,
        from: &str,
        to: &str,
        upload_id: &str,
        size: u64,
        part_size: u64,
    ) -> Result<Vec<(u32, String)>, StoreError> {
        let count = size.div_ceil(part_size.max(1)).max(1);
        let mut tasks = JoinSet::new();
        let mut parts = Vec::new();
        for number in 1..=count {
            let start = (number - 1) * part_size;
            let end = (start + part_size).min(size).saturating_sub(1);
            let request = self
                .client
                .upload_part_copy()
                .bucket(&self.bucket)
                .key(to)
                .upload_id(upload_id)
                .part_number(i32::try_from(number).unwrap_or(i32::MAX))
                .copy_source(self.copy_source(from))
                .copy_source_range(format!("bytes={start}-{end}"));
            tasks.spawn(async move {
                let output = request.send().await.map_err(|error| classify(&error))?;
                let etag = output.copy_part_result.and_then(|result| result.e_tag);
                let etag = etag.ok_or_else(|| {
                    StoreError::Unavailable(format!("part {number} of the copy has no ETag"))
                })?;
                Ok::<_, StoreError>((u32::try_from(number).unwrap_or(u32::MAX), etag))
            });
            while tasks.len() >= PARALLEL_PARTS || (number == count && !tasks.is_empty()) {
                match tasks.join_next().await {
                    Some(Ok(part)) => parts.push(part?),
                    Some(Err(error)) => return Err(StoreError::Unavailable(error.to_string())),
                    None => break,
                }
            }
        }
        parts.sort_unstable_by_key(|(number, _)| *number);
        Ok(parts)
    }
}
