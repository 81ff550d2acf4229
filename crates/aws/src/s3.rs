//! S3: what the prefix-scoped users of `s3-user` and the master copy of
//! IAM as code need.

use crate::error::{classify, AwsError, Entity};
use crate::types::ObjectRef;
use crate::Aws;
use aws_sdk_s3::types::{Delete, ObjectIdentifier};

/// A bucket and a client for the region it lives in.
#[derive(Debug, Clone)]
pub struct Bucket {
    pub name: String,
    pub region: Option<String>,
    client: aws_sdk_s3::Client,
}

impl Aws {
    /// Open a bucket: HeadBucket, which fails with "bucket `b` does not exist" when
    /// it does not. A bucket in another region than the configured one answers 301
    /// with `x-amz-bucket-region`; the returned client then talks to that region.
    pub async fn open_bucket(&self, bucket: &str) -> Result<Bucket, AwsError> {
        let region = match self.s3.head_bucket().bucket(bucket).send().await {
            Ok(out) => out.bucket_region().map(str::to_string),
            Err(err) => {
                let moved = err
                    .raw_response()
                    .filter(|r| r.status().as_u16() == 301)
                    .and_then(|r| r.headers().get("x-amz-bucket-region"))
                    .map(str::to_string);
                match moved {
                    Some(r) => Some(r),
                    None => {
                        return Err(classify(
                            "s3:ListBucket",
                            Entity::new("bucket", bucket),
                            err,
                        ))
                    }
                }
            }
        };
        let current = self.s3.config().region().map(|r| r.as_ref().to_string());
        let client = match &region {
            Some(r) if Some(r) != current.as_ref() => {
                tracing::info!("bucket `{bucket}` is in `{r}`; using that region for S3");
                let conf = self
                    .s3
                    .config()
                    .to_builder()
                    .region(aws_sdk_s3::config::Region::new(r.clone()))
                    .build();
                aws_sdk_s3::Client::from_conf(conf)
            }
            _ => self.s3.clone(),
        };
        Ok(Bucket {
            name: bucket.to_string(),
            region,
            client,
        })
    }
}

impl Aws {
    /// Opens a bucket, creating it first when it does not exist, private:
    /// Block Public Access on (all four settings), default encryption
    /// (SSE-S3), versioning enabled, and `tags`. An existing bucket is opened
    /// as it is, its settings untouched. Returns the bucket and whether it was
    /// created.
    pub async fn create_private_bucket(
        &self,
        bucket: &str,
        tags: &[(String, String)],
    ) -> Result<(Bucket, bool), AwsError> {
        match self.open_bucket(bucket).await {
            Ok(b) => return Ok((b, false)),
            Err(e) if e.kind() == crate::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        use aws_sdk_s3::types::{
            BucketLocationConstraint, BucketVersioningStatus, CreateBucketConfiguration,
            PublicAccessBlockConfiguration, ServerSideEncryption, ServerSideEncryptionByDefault,
            ServerSideEncryptionConfiguration, ServerSideEncryptionRule, Tag, Tagging,
            VersioningConfiguration,
        };
        let b = || Entity::new("bucket", bucket);
        let region = self.s3.config().region().map(|r| r.as_ref().to_string());
        let mut create = self.s3.create_bucket().bucket(bucket);
        // us-east-1 takes no location constraint (and refuses one).
        if let Some(r) = region.as_deref().filter(|r| *r != "us-east-1") {
            create = create.create_bucket_configuration(
                CreateBucketConfiguration::builder()
                    .location_constraint(BucketLocationConstraint::from(r))
                    .build(),
            );
        }
        match create.send().await {
            Ok(_) => {}
            Err(err) => {
                let owned = err
                    .as_service_error()
                    .is_some_and(|e| e.is_bucket_already_owned_by_you());
                if !owned {
                    return Err(classify("s3:CreateBucket", b(), err));
                }
            }
        }
        let invalid = |message: String| AwsError::Other {
            entity: b(),
            action: "s3:CreateBucket",
            message,
        };
        self.s3
            .put_public_access_block()
            .bucket(bucket)
            .public_access_block_configuration(
                PublicAccessBlockConfiguration::builder()
                    .block_public_acls(true)
                    .ignore_public_acls(true)
                    .block_public_policy(true)
                    .restrict_public_buckets(true)
                    .build(),
            )
            .send()
            .await
            .map_err(|err| classify("s3:PutBucketPublicAccessBlock", b(), err))?;
        let rule = ServerSideEncryptionRule::builder()
            .apply_server_side_encryption_by_default(
                ServerSideEncryptionByDefault::builder()
                    .sse_algorithm(ServerSideEncryption::Aes256)
                    .build()
                    .map_err(|e| invalid(e.to_string()))?,
            )
            .build();
        self.s3
            .put_bucket_encryption()
            .bucket(bucket)
            .server_side_encryption_configuration(
                ServerSideEncryptionConfiguration::builder()
                    .rules(rule)
                    .build()
                    .map_err(|e| invalid(e.to_string()))?,
            )
            .send()
            .await
            .map_err(|err| classify("s3:PutEncryptionConfiguration", b(), err))?;
        self.s3
            .put_bucket_versioning()
            .bucket(bucket)
            .versioning_configuration(
                VersioningConfiguration::builder()
                    .status(BucketVersioningStatus::Enabled)
                    .build(),
            )
            .send()
            .await
            .map_err(|err| classify("s3:PutBucketVersioning", b(), err))?;
        if !tags.is_empty() {
            let mut tagging = Tagging::builder();
            for (k, v) in tags {
                tagging = tagging.tag_set(
                    Tag::builder()
                        .key(k)
                        .value(v)
                        .build()
                        .map_err(|e| invalid(e.to_string()))?,
                );
            }
            self.s3
                .put_bucket_tagging()
                .bucket(bucket)
                .tagging(tagging.build().map_err(|e| invalid(e.to_string()))?)
                .send()
                .await
                .map_err(|err| classify("s3:PutBucketTagging", b(), err))?;
        }
        Ok((self.open_bucket(bucket).await?, true))
    }
}

impl Bucket {
    /// The region the bucket's client talks to.
    pub fn client_region(&self) -> Option<String> {
        self.client
            .config()
            .region()
            .map(|r| r.as_ref().to_string())
    }

    /// Every object version and delete marker whose key starts with `prefix`, all
    /// pages. ListObjectVersions also answers for buckets that were never
    /// versioned (each object then has the version `null`), so one listing
    /// serves both kinds of bucket.
    pub async fn list_objects_under(&self, prefix: &str) -> Result<Vec<ObjectRef>, AwsError> {
        let bucket = self.name.as_str();
        let b = || Entity::new("bucket", bucket);
        let mut out = Vec::new();
        let mut key_marker: Option<String> = None;
        let mut version_marker: Option<String> = None;
        loop {
            let page = self
                .client
                .list_object_versions()
                .bucket(bucket)
                .prefix(prefix)
                .set_key_marker(key_marker.clone())
                .set_version_id_marker(version_marker.clone())
                .send()
                .await
                .map_err(|err| classify("s3:ListBucketVersions", b(), err))?;
            for v in page.versions() {
                if let Some(k) = v.key() {
                    out.push(ObjectRef {
                        key: k.to_string(),
                        version_id: v.version_id().map(str::to_string),
                    });
                }
            }
            for m in page.delete_markers() {
                if let Some(k) = m.key() {
                    out.push(ObjectRef {
                        key: k.to_string(),
                        version_id: m.version_id().map(str::to_string),
                    });
                }
            }
            if page.is_truncated() != Some(true) {
                break;
            }
            key_marker = page.next_key_marker().map(str::to_string);
            version_marker = page.next_version_id_marker().map(str::to_string);
            if key_marker.is_none() && version_marker.is_none() {
                break;
            }
        }
        Ok(out)
    }

    /// Store one object.
    pub async fn put_object(
        &self,
        key: &str,
        body: Vec<u8>,
        content_type: &str,
    ) -> Result<(), AwsError> {
        self.client
            .put_object()
            .bucket(&self.name)
            .key(key)
            .content_type(content_type)
            .body(body.into())
            .send()
            .await
            .map_err(|err| {
                crate::error::classify(
                    "s3:PutObject",
                    Entity::new("object", format!("s3://{}/{key}", self.name)),
                    err,
                )
            })?;
        Ok(())
    }

    /// Stores `body` at `key` only when no object is there (a conditional
    /// write, `If-None-Match: *`): `Ok(true)` when written, `Ok(false)` when
    /// the key was taken (412, or 409 when another conditional write raced).
    pub async fn put_if_absent(
        &self,
        key: &str,
        body: Vec<u8>,
        content_type: &str,
    ) -> Result<bool, AwsError> {
        match self
            .client
            .put_object()
            .bucket(&self.name)
            .key(key)
            .if_none_match("*")
            .content_type(content_type)
            .body(body.into())
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(err) => {
                let status = err.raw_response().map(|r| r.status().as_u16());
                if matches!(status, Some(412) | Some(409)) {
                    Ok(false)
                } else {
                    Err(classify(
                        "s3:PutObject",
                        Entity::new("object", format!("s3://{}/{key}", self.name)),
                        err,
                    ))
                }
            }
        }
    }

    /// The object at `key` as text, `None` when there is none.
    pub async fn get_text(&self, key: &str) -> Result<Option<String>, AwsError> {
        let out = match self
            .client
            .get_object()
            .bucket(&self.name)
            .key(key)
            .send()
            .await
        {
            Ok(o) => o,
            Err(err) => {
                let e = classify(
                    "s3:GetObject",
                    Entity::new("object", format!("s3://{}/{key}", self.name)),
                    err,
                );
                return if e.kind() == crate::ErrorKind::NotFound {
                    Ok(None)
                } else {
                    Err(e)
                };
            }
        };
        let bytes = out.body.collect().await.map_err(|e| AwsError::Other {
            entity: Entity::new("object", format!("s3://{}/{key}", self.name)),
            action: "s3:GetObject",
            message: e.to_string(),
        })?;
        Ok(Some(
            String::from_utf8_lossy(&bytes.into_bytes()).into_owned(),
        ))
    }

    /// Deletes the object at `key` (its current version; a versioned bucket
    /// keeps the history).
    pub async fn delete_key(&self, key: &str) -> Result<(), AwsError> {
        self.client
            .delete_object()
            .bucket(&self.name)
            .key(key)
            .send()
            .await
            .map_err(|err| {
                classify(
                    "s3:DeleteObject",
                    Entity::new("object", format!("s3://{}/{key}", self.name)),
                    err,
                )
            })?;
        Ok(())
    }

    /// Delete objects in batches of 1000 (the `DeleteObjects` limit).
    pub async fn delete_objects(&self, objects: &[ObjectRef]) -> Result<usize, AwsError> {
        let bucket = self.name.as_str();
        let b = || Entity::new("bucket", bucket);
        let mut deleted = 0;
        for chunk in objects.chunks(1000) {
            let ids: Vec<ObjectIdentifier> = chunk
                .iter()
                .filter_map(|o| {
                    ObjectIdentifier::builder()
                        .key(&o.key)
                        .set_version_id(o.version_id.clone())
                        .build()
                        .ok()
                })
                .collect();
            let delete = Delete::builder()
                .set_objects(Some(ids))
                .quiet(true)
                .build()
                .map_err(|err| AwsError::Other {
                    entity: b(),
                    action: "s3:DeleteObject",
                    message: err.to_string(),
                })?;
            let out = self
                .client
                .delete_objects()
                .bucket(bucket)
                .delete(delete)
                .send()
                .await
                .map_err(|err| classify("s3:DeleteObject", b(), err))?;
            if let Some(first) = out.errors().first() {
                return Err(crate::error::from_code(
                    "s3:DeleteObject",
                    Entity::new("object", first.key().unwrap_or_default()),
                    first.code().unwrap_or("Unknown"),
                    first.message().unwrap_or_default().to_string(),
                ));
            }
            deleted += chunk.len();
        }
        Ok(deleted)
    }
}
