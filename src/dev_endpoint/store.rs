//! s3s-fs, with what it lacks of S3 filled in: `ListParts` reports each part's ETag and refuses an
//! unknown upload, aborting an unknown upload is `NoSuchUpload`, `ListMultipartUploads` exists
//! (the wrapper notes each upload's bucket, key and start beside s3s-fs's own records), and a PUT
//! refused for its checksum leaves no object. It does not check per-part checksums.
//! So resuming, ETag checks and cleanup work on the development endpoint as on a real store.

use std::path::PathBuf;

use md5::{Digest, Md5};
use s3s::{
    S3, S3Request, S3Response, S3Result,
    dto::{
        AbortMultipartUploadInput, AbortMultipartUploadOutput, CompleteMultipartUploadInput,
        CompleteMultipartUploadOutput, CopyObjectInput, CopyObjectOutput, CreateBucketInput,
        CreateBucketOutput, CreateMultipartUploadInput, CreateMultipartUploadOutput,
        DeleteObjectInput, DeleteObjectOutput, DeleteObjectsInput, DeleteObjectsOutput, ETag,
        GetObjectInput, GetObjectOutput, HeadBucketInput, HeadBucketOutput, HeadObjectInput,
        HeadObjectOutput, ListBucketsInput, ListBucketsOutput, ListMultipartUploadsInput,
        ListMultipartUploadsOutput, ListObjectsV2Input, ListObjectsV2Output, ListPartsInput,
        ListPartsOutput, MultipartUpload, PutObjectInput, PutObjectOutput, Timestamp,
        UploadPartCopyInput, UploadPartCopyOutput, UploadPartInput, UploadPartOutput,
    },
    s3_error,
};
use s3s_fs::FileSystem;
use uuid::Uuid;

/// s3s-fs plus part ETags.
pub struct DevStore {
    inner: FileSystem,
    root: PathBuf,
}

impl std::fmt::Debug for DevStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DevStore")
            .field("root", &self.root)
            .finish_non_exhaustive()
    }
}

impl DevStore {
    pub const fn new(inner: FileSystem, root: PathBuf) -> Self {
        Self { inner, root }
    }

    /// s3s-fs lists no parts for an upload that does not exist, and refuses to abort one as
    /// "access denied"; S3 answers `NoSuchUpload` to both.
    fn existing_upload(&self, upload_id: &str) -> S3Result<Uuid> {
        let upload_id = Uuid::parse_str(upload_id).map_err(|_| s3_error!(NoSuchUpload))?;
        if self.root.join(format!(".upload-{upload_id}.json")).exists() {
            Ok(upload_id)
        } else {
            Err(s3_error!(NoSuchUpload))
        }
    }

    fn note_path(&self, upload_id: &str) -> PathBuf {
        self.root.join(format!(".joist-mpu-{upload_id}.json"))
    }

    async fn create_noted(
        &self,
        request: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
        let (bucket, key) = (request.input.bucket.clone(), request.input.key.clone());
        let response = self.inner.create_multipart_upload(request).await?;
        if let Some(upload_id) = &response.output.upload_id {
            let initiated = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |since| since.as_secs());
            let note = serde_json::json!({"bucket": bucket, "key": key, "initiated": initiated});
            tokio::fs::write(self.note_path(upload_id), note.to_string())
                .await
                .map_err(|error| s3_error!(InternalError, "cannot note the upload: {error}"))?;
        }
        Ok(response)
    }

    async fn list_noted(
        &self,
        request: S3Request<ListMultipartUploadsInput>,
    ) -> S3Result<S3Response<ListMultipartUploadsOutput>> {
        let input = request.input;
        let prefix = input.prefix.unwrap_or_default();
        let mut uploads = Vec::new();
        let mut entries = tokio::fs::read_dir(&self.root)
            .await
            .map_err(|error| s3_error!(InternalError, "{error}"))?;
        while let Ok(Some(entry)) = entries.next_entry().await {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(upload_id) = name
                .strip_prefix(".joist-mpu-")
                .and_then(|rest| rest.strip_suffix(".json"))
            else {
                continue;
            };
            let Ok(note) = tokio::fs::read(entry.path()).await else {
                continue;
            };
            let Ok(note) = serde_json::from_slice::<serde_json::Value>(&note) else {
                continue;
            };
            let (Some(bucket), Some(key)) = (note["bucket"].as_str(), note["key"].as_str()) else {
                continue;
            };
            if bucket != input.bucket
                || !key.starts_with(&prefix)
                || self.existing_upload(upload_id).is_err()
            {
                continue;
            }
            let initiated = std::time::UNIX_EPOCH
                + std::time::Duration::from_secs(note["initiated"].as_u64().unwrap_or(0));
            uploads.push(MultipartUpload {
                key: Some(key.to_string()),
                upload_id: Some(upload_id.to_string()),
                initiated: Some(Timestamp::from(initiated)),
                ..Default::default()
            });
        }
        uploads.sort_by(|a, b| (&a.key, &a.upload_id).cmp(&(&b.key, &b.upload_id)));
        Ok(S3Response::new(ListMultipartUploadsOutput {
            bucket: Some(input.bucket),
            prefix: Some(prefix),
            is_truncated: Some(false),
            uploads: Some(uploads),
            ..Default::default()
        }))
    }

    /// s3s-fs checks a PUT's checksum only after the object is in place; a refused PUT of a new
    /// key must leave nothing behind, as on S3.
    async fn put_checked(
        &self,
        request: S3Request<PutObjectInput>,
    ) -> S3Result<S3Response<PutObjectOutput>> {
        let path = self
            .root
            .join(&request.input.bucket)
            .join(&request.input.key);
        let existed = path.exists();
        let outcome = self.inner.put_object(request).await;
        if outcome.is_err() && !existed {
            let _ = tokio::fs::remove_file(&path).await;
        }
        outcome
    }

    async fn part_etag(&self, upload_id: &Uuid, number: i32) -> Option<ETag> {
        let path = self
            .root
            .join(format!(".upload_id-{upload_id}.part-{number}"));
        let bytes = tokio::fs::read(path).await.ok()?;
        Some(ETag::Strong(crate::hex::encode(&Md5::digest(&bytes))))
    }

    async fn list_parts_with_etags(
        &self,
        request: S3Request<ListPartsInput>,
    ) -> S3Result<S3Response<ListPartsOutput>> {
        let upload_id = self.existing_upload(&request.input.upload_id)?;
        let mut response = self.inner.list_parts(request).await?;
        for part in response.output.parts.iter_mut().flatten() {
            if let Some(number) = part.part_number {
                part.e_tag = self.part_etag(&upload_id, number).await;
            }
        }
        Ok(response)
    }
}

impl DevStore {
    /// GET, answering with the `response-content-disposition` and `response-content-type` a
    /// presigned URL asks for, as S3 does.
    async fn get_with_overrides(
        &self,
        request: S3Request<GetObjectInput>,
    ) -> S3Result<S3Response<GetObjectOutput>> {
        let disposition = request.input.response_content_disposition.clone();
        let content_type = request.input.response_content_type.clone();
        let mut response = self.inner.get_object(request).await?;
        if disposition.is_some() {
            response.output.content_disposition = disposition;
        }
        if content_type.is_some() {
            response.output.content_type = content_type;
        }
        Ok(response)
    }
}

macro_rules! delegate_to_s3s_fs {
    ($($operation:ident($input:ident) -> $output:ident;)*) => {
        #[async_trait::async_trait]
        impl S3 for DevStore {
            $(
                async fn $operation(&self, request: S3Request<$input>) -> S3Result<S3Response<$output>> {
                    self.inner.$operation(request).await
                }
            )*

            async fn list_parts(&self, request: S3Request<ListPartsInput>) -> S3Result<S3Response<ListPartsOutput>> {
                self.list_parts_with_etags(request).await
            }

            async fn abort_multipart_upload(
                &self,
                request: S3Request<AbortMultipartUploadInput>,
            ) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
                let upload_id = self.existing_upload(&request.input.upload_id)?;
                let response = self.inner.abort_multipart_upload(request).await?;
                let _ = tokio::fs::remove_file(self.note_path(&upload_id.to_string())).await;
                Ok(response)
            }

            async fn complete_multipart_upload(
                &self,
                request: S3Request<CompleteMultipartUploadInput>,
            ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
                let note = self.note_path(&request.input.upload_id);
                let response = self.inner.complete_multipart_upload(request).await?;
                let _ = tokio::fs::remove_file(note).await;
                Ok(response)
            }

            async fn create_multipart_upload(
                &self,
                request: S3Request<CreateMultipartUploadInput>,
            ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
                self.create_noted(request).await
            }

            async fn get_object(&self, request: S3Request<GetObjectInput>) -> S3Result<S3Response<GetObjectOutput>> {
                self.get_with_overrides(request).await
            }

            async fn put_object(&self, request: S3Request<PutObjectInput>) -> S3Result<S3Response<PutObjectOutput>> {
                self.put_checked(request).await
            }

            async fn list_multipart_uploads(
                &self,
                request: S3Request<ListMultipartUploadsInput>,
            ) -> S3Result<S3Response<ListMultipartUploadsOutput>> {
                self.list_noted(request).await
            }
        }
    };
}

delegate_to_s3s_fs! {
    create_bucket(CreateBucketInput) -> CreateBucketOutput;
    head_bucket(HeadBucketInput) -> HeadBucketOutput;
    list_buckets(ListBucketsInput) -> ListBucketsOutput;
    list_objects_v2(ListObjectsV2Input) -> ListObjectsV2Output;
    head_object(HeadObjectInput) -> HeadObjectOutput;
    delete_object(DeleteObjectInput) -> DeleteObjectOutput;
    delete_objects(DeleteObjectsInput) -> DeleteObjectsOutput;
    upload_part(UploadPartInput) -> UploadPartOutput;
    copy_object(CopyObjectInput) -> CopyObjectOutput;
    upload_part_copy(UploadPartCopyInput) -> UploadPartCopyOutput;
}
