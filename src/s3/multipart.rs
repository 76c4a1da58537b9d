//! The multipart calls the server makes: create, list parts, complete, abort, list uploads.

use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};

use reqwest::Method;

use super::{
    Store, StoreError,
    signed::{Call, bounded_body, child_text},
    store::classify,
};

/// A CreateMultipartUpload answer is a few hundred bytes; a store that sends more is cut here.
const MAX_ANSWER: usize = 64 << 10;

/// A part the store holds for an unfinished multipart upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPart {
    /// 1-based part number.
    pub number: u32,
    /// The part's ETag, when the store reports it.
    pub etag: Option<String>,
    /// The part's size.
    pub size: u64,
}

/// An unfinished multipart upload the store lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedUpload {
    /// Its object key.
    pub key: String,
    /// The store's upload id.
    pub upload_id: String,
    /// When it was started, when the store says.
    pub initiated: Option<std::time::SystemTime>,
}

impl Store {
    /// Starts a multipart upload and returns its id.
    ///
    /// # Errors
    /// When the store refuses or cannot be reached.
    pub async fn create_multipart(
        &self,
        key: &str,
        content_type: &str,
    ) -> Result<String, StoreError> {
        let call = Call {
            method: Method::POST,
            key,
            params: vec![("uploads", String::new())],
            headers: vec![("content-type", content_type.to_string())],
        };
        let response = self.send_signed(&call).await?;
        let body = bounded_body(response, MAX_ANSWER).await?;
        child_text(&String::from_utf8_lossy(&body), "UploadId").ok_or_else(|| {
            StoreError::Unavailable("CreateMultipartUpload returned no upload id".into())
        })
    }

    /// Every part the store holds for `upload_id`, ordered by number.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when the upload is gone.
    pub async fn list_parts(
        &self,
        key: &str,
        upload_id: &str,
    ) -> Result<Vec<StoredPart>, StoreError> {
        let mut parts = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let page = self
                .client
                .list_parts()
                .bucket(&self.bucket)
                .key(key)
                .upload_id(upload_id)
                .set_part_number_marker(marker.take())
                .send()
                .await
                .map_err(|error| classify(&error))?;
            parts.extend(page.parts().iter().filter_map(|part| {
                Some(StoredPart {
                    number: u32::try_from(part.part_number?).ok()?,
                    etag: part.e_tag.clone(),
                    size: u64::try_from(part.size.unwrap_or_default()).ok()?,
                })
            }));
            match page.next_part_number_marker {
                Some(next) if page.is_truncated == Some(true) => marker = Some(next),
                _ => break,
            }
        }
        parts.sort_unstable_by_key(|part| part.number);
        parts.dedup_by_key(|part| part.number);
        Ok(parts)
    }

    /// Assembles the parts `(number, etag)` into the object; returns the object's ETag.
    ///
    /// # Errors
    /// [`StoreError::InvalidParts`] when the store refuses the parts.
    pub async fn complete(
        &self,
        key: &str,
        upload_id: &str,
        parts: &[(u32, String)],
    ) -> Result<Option<String>, StoreError> {
        let completed = parts
            .iter()
            .map(|(number, etag)| {
                CompletedPart::builder()
                    .part_number(i32::try_from(*number).unwrap_or(i32::MAX))
                    .e_tag(etag)
                    .build()
            })
            .collect();
        let output = self
            .client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(completed))
                    .build(),
            )
            .send()
            .await
            .map_err(|error| classify(&error))?;
        Ok(output.e_tag)
    }

    /// Every unfinished multipart upload under `prefix`.
    ///
    /// # Errors
    /// When the store cannot be reached.
    pub async fn list_multipart_uploads(
        &self,
        prefix: &str,
    ) -> Result<Vec<ListedUpload>, StoreError> {
        let mut listed = Vec::new();
        let (mut key_marker, mut upload_marker) = (None, None);
        loop {
            let page = self
                .client
                .list_multipart_uploads()
                .bucket(&self.bucket)
                .prefix(prefix)
                .set_key_marker(key_marker.take())
                .set_upload_id_marker(upload_marker.take())
                .send()
                .await
                .map_err(|error| classify(&error))?;
            listed.extend(page.uploads().iter().filter_map(|upload| {
                Some(ListedUpload {
                    key: upload.key.clone()?,
                    upload_id: upload.upload_id.clone()?,
                    initiated: upload
                        .initiated
                        .and_then(|at| std::time::SystemTime::try_from(at).ok()),
                })
            }));
            if page.is_truncated != Some(true) {
                break;
            }
            key_marker = page.next_key_marker;
            upload_marker = page.next_upload_id_marker;
            if key_marker.is_none() && upload_marker.is_none() {
                break;
            }
        }
        Ok(listed)
    }

    /// Aborts a multipart upload; one already gone counts as aborted.
    ///
    /// # Errors
    /// When the store cannot be reached.
    pub async fn abort(&self, key: &str, upload_id: &str) -> Result<(), StoreError> {
        match self
            .client
            .abort_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .send()
            .await
            .map_err(|error| classify(&error))
        {
            Ok(_) | Err(StoreError::NotFound) => Ok(()),
            Err(error) => Err(error),
        }
    }
}
