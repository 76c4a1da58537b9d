//! s3s-fs, with `ListParts` reporting each part's ETag (s3s-fs leaves it out) and refusing an
//! unknown upload, so resuming and ETag checks work on the development endpoint as on a real
//! store.

use std::path::PathBuf;

use md5::{Digest, Md5};
use s3s::{
    S3, S3Request, S3Response, S3Result,
    dto::{
        AbortMultipartUploadInput, AbortMultipartUploadOutput, CompleteMultipartUploadInput,
        CompleteMultipartUploadOutput, CreateBucketInput, CreateBucketOutput,
        CreateMultipartUploadInput, CreateMultipartUploadOutput, DeleteObjectInput,
        DeleteObjectOutput, DeleteObjectsInput, DeleteObjectsOutput, ETag, GetObjectInput,
        GetObjectOutput, HeadBucketInput, HeadBucketOutput, HeadObjectInput, HeadObjectOutput,
        ListBucketsInput, ListBucketsOutput, ListObjectsV2Input, ListObjectsV2Output,
        ListPartsInput, ListPartsOutput, PutObjectInput, PutObjectOutput, UploadPartInput,
        UploadPartOutput,
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
                self.existing_upload(&request.input.upload_id)?;
                self.inner.abort_multipart_upload(request).await
            }
        }
    };
}

delegate_to_s3s_fs! {
    create_bucket(CreateBucketInput) -> CreateBucketOutput;
    head_bucket(HeadBucketInput) -> HeadBucketOutput;
    list_buckets(ListBucketsInput) -> ListBucketsOutput;
    list_objects_v2(ListObjectsV2Input) -> ListObjectsV2Output;
    put_object(PutObjectInput) -> PutObjectOutput;
    get_object(GetObjectInput) -> GetObjectOutput;
    head_object(HeadObjectInput) -> HeadObjectOutput;
    delete_object(DeleteObjectInput) -> DeleteObjectOutput;
    delete_objects(DeleteObjectsInput) -> DeleteObjectsOutput;
    create_multipart_upload(CreateMultipartUploadInput) -> CreateMultipartUploadOutput;
    upload_part(UploadPartInput) -> UploadPartOutput;
    complete_multipart_upload(CompleteMultipartUploadInput) -> CompleteMultipartUploadOutput;
}
