//! Builds (game server binaries) and Realtime scripts.
//!
//! The emulator stores no files. A build created with a `StorageLocation` (the caller's own S3
//! object) is `READY` at once; one created without it is `INITIALIZED` and stays so: its
//! upload location in GameLift's bucket and the upload credentials are local dummy values
//! (bucket [`UPLOAD_BUCKET`], key `<build-id>/build.zip`) that no S3 accepts. A script is
//! created from a `ZipFile` (its size becomes `SizeOnDisk`; the bytes are dropped) or from a
//! `StorageLocation` (`SizeOnDisk` 0, as the model documents).

use std::sync::Arc;

use super::{Now, World, ids, paging, wire_enum};
use crate::error::{ApiError, ApiResult};

/// Bucket of the (dummy) GameLift-owned upload location of builds.
pub const UPLOAD_BUCKET: &str = "gamelift-emulator-builds";
/// Bucket of the (dummy) GameLift-owned location of scripts uploaded as a `ZipFile`.
pub const SCRIPT_BUCKET: &str = "gamelift-emulator-scripts";
/// `ServerSdkVersion` of a build that does not name one (model documentation).
pub const DEFAULT_SERVER_SDK_VERSION: &str = "4.0.2";
/// `NodeJsVersion` of a script that does not name one (model documentation).
pub const DEFAULT_NODE_JS_VERSION: &str = "10.x";
/// The Node.js versions the model documents as valid for Realtime scripts.
pub const NODE_JS_VERSIONS: &[&str] = &["10.x", "24.x"];

wire_enum!(
    /// Status of a build.
    BuildStatus {
        Initialized = "INITIALIZED",
        Ready = "READY",
        Failed = "FAILED",
    }
);

/// An S3 object: where build or script files are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Location {
    /// Bucket name.
    pub bucket: String,
    /// Object key.
    pub key: String,
    /// Role GameLift assumes to read the object (absent for GameLift-owned locations).
    pub role_arn: Option<String>,
    /// Object version.
    pub object_version: Option<String>,
}

impl S3Location {
    /// A caller's own location: bucket, key and role ARN are required (model documentation of
    /// `StorageLocation`), and GameLift cannot read from buckets whose names contain a dot.
    pub fn from_caller(
        bucket: Option<String>,
        key: Option<String>,
        role_arn: Option<String>,
        object_version: Option<String>,
    ) -> ApiResult<Self> {
        let (Some(bucket), Some(key), Some(role_arn)) = (bucket, key, role_arn) else {
            return Err(ApiError::InvalidRequest(
                "A StorageLocation must specify a Bucket, a Key and a RoleArn.".into(),
            ));
        };
        if bucket.contains('.') {
            return Err(ApiError::InvalidRequest(format!(
                "S3 bucket {bucket} is not supported: Amazon GameLift cannot use buckets whose names contain a dot (.)."
            )));
        }
        Ok(Self { bucket, key, role_arn: Some(role_arn), object_version })
    }
}

/// The dummy temporary credentials for uploading to GameLift's bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadCredentials {
    /// Access key ID.
    pub access_key_id: String,
    /// Secret access key.
    pub secret_access_key: String,
    /// Session token.
    pub session_token: String,
}

impl UploadCredentials {
    /// Fixed, obviously fake credentials (the emulator has no S3).
    pub fn dummy() -> Self {
        Self {
            access_key_id: "ASIAGAMELIFTEMULATOR".into(),
            secret_access_key: "gamelift-emulator-dummy-secret-access-key".into(),
            session_token: "gamelift-emulator-dummy-session-token".into(),
        }
    }
}

/// What CreateBuild asks for.
#[derive(Debug, Clone)]
pub struct BuildSpec {
    /// Name.
    pub name: Option<String>,
    /// Version.
    pub version: Option<String>,
    /// Operating system (a model enum value).
    pub operating_system: String,
    /// Server SDK version ([`DEFAULT_SERVER_SDK_VERSION`] when absent).
    pub server_sdk_version: Option<String>,
    /// The caller's S3 object; `None` means "upload to GameLift's bucket".
    pub storage: Option<S3Location>,
}

/// A build.
#[derive(Debug, Clone)]
pub struct Build {
    /// `build-<uuid>`
    pub id: Arc<str>,
    /// `arn:aws:gamelift:<region>::build/<id>`
    pub arn: Arc<str>,
    /// Creation order.
    pub seq: u64,
    /// Name.
    pub name: Option<String>,
    /// Version.
    pub version: Option<String>,
    /// Status.
    pub status: BuildStatus,
    /// Size in bytes (0: nothing uploaded, or files in the caller's bucket).
    pub size_on_disk: i64,
    /// Operating system.
    pub operating_system: String,
    /// Server SDK version.
    pub server_sdk_version: String,
    /// Where the files are (the caller's object, or GameLift's upload location).
    pub storage: S3Location,
    /// Creation time (epoch ms).
    pub creation_time_ms: i64,
}

/// Where a script's files come from.
#[derive(Debug, Clone)]
pub enum ScriptContent {
    /// Uploaded inline as a zip file of this many bytes.
    Zip(usize),
    /// The caller's S3 object.
    S3(S3Location),
}

/// What CreateScript asks for.
#[derive(Debug, Clone)]
pub struct ScriptSpec {
    /// Name.
    pub name: Option<String>,
    /// Version.
    pub version: Option<String>,
    /// Node.js version ([`DEFAULT_NODE_JS_VERSION`] when absent).
    pub node_js_version: Option<String>,
    /// The files.
    pub content: ScriptContent,
}

/// What UpdateScript changes (absent members stay as they are).
#[derive(Debug, Clone, Default)]
pub struct ScriptUpdate {
    /// New name.
    pub name: Option<String>,
    /// New version.
    pub version: Option<String>,
    /// New files.
    pub content: Option<ScriptContent>,
}

/// A Realtime script.
#[derive(Debug, Clone)]
pub struct Script {
    /// `script-<uuid>`
    pub id: Arc<str>,
    /// `arn:aws:gamelift:<region>::script/<id>`
    pub arn: Arc<str>,
    /// Creation order.
    pub seq: u64,
    /// Name.
    pub name: Option<String>,
    /// Version.
    pub version: Option<String>,
    /// Size of the uploaded zip file (0 for files in the caller's bucket).
    pub size_on_disk: i64,
    /// Where the files are.
    pub storage: S3Location,
    /// Node.js version.
    pub node_js_version: String,
    /// Creation time (epoch ms).
    pub creation_time_ms: i64,
}

impl Script {
    fn apply(&mut self, content: ScriptContent) {
        match content {
            ScriptContent::Zip(len) => {
                self.size_on_disk = len as i64;
                self.storage = S3Location {
                    bucket: SCRIPT_BUCKET.into(),
                    key: format!("{}/script.zip", self.id),
                    role_arn: None,
                    object_version: None,
                };
            }
            ScriptContent::S3(loc) => {
                self.size_on_disk = 0;
                self.storage = loc;
            }
        }
    }
}

/// GameLift's (dummy) upload location of a build.
pub fn upload_location(settings_account: &str, build_id: &str) -> S3Location {
    S3Location {
        bucket: UPLOAD_BUCKET.into(),
        key: format!("{build_id}/build.zip"),
        role_arn: Some(format!("arn:aws:iam::{settings_account}:role/gamelift-emulator-build-upload")),
        object_version: None,
    }
}

/// Which builds one ListBuilds page shows.
#[derive(Debug, Clone, Copy, Default)]
pub struct BuildQuery {
    /// Only builds in this status.
    pub status: Option<BuildStatus>,
    /// Resume after this creation sequence number.
    pub after: Option<u64>,
    /// Page size.
    pub limit: usize,
}

fn build_not_found(id: &str) -> ApiError {
    ApiError::NotFound(format!("Build {id} not found."))
}

fn script_not_found(id: &str) -> ApiError {
    ApiError::NotFound(format!("Script {id} not found."))
}

impl World {
    /// CreateBuild (see the module documentation for the status it starts in).
    pub fn create_build(
        &mut self,
        spec: BuildSpec,
        tags: Vec<(String, String)>,
        now: Now,
    ) -> ApiResult<&Build> {
        super::tags::check_tags(&tags)?;
        let id = ids::new_id("build");
        let arn: Arc<str> = ids::resource_arn(&self.settings.region, "build", &id).into();
        let (status, storage) = match spec.storage {
            Some(loc) => (BuildStatus::Ready, loc),
            None => (BuildStatus::Initialized, upload_location(&self.settings.account_id, &id)),
        };
        let seq = self.next_seq();
        let build = Build {
            id: id.as_str().into(),
            arn: arn.clone(),
            seq,
            name: spec.name,
            version: spec.version,
            status,
            size_on_disk: 0,
            operating_system: spec.operating_system,
            server_sdk_version: spec.server_sdk_version.unwrap_or_else(|| DEFAULT_SERVER_SDK_VERSION.into()),
            storage,
            creation_time_ms: now.wall_ms,
        };
        let key = build.id.clone();
        self.builds.insert(key.clone(), build);
        self.put_tags(&arn, tags)?;
        self.builds.get(&key).ok_or_else(|| build_not_found(&key))
    }

    /// A build by ID or ARN.
    pub fn build(&self, id_or_arn: &str) -> ApiResult<&Build> {
        let id = ids::id_from_id_or_arn(id_or_arn, "build");
        self.builds.get(id).ok_or_else(|| build_not_found(id))
    }

    /// One page of builds in creation order, and the cursor for the next page.
    pub fn list_builds(&self, q: &BuildQuery) -> (Vec<&Build>, Option<u64>) {
        let after = q.after.unwrap_or(0);
        let mut matching: Vec<&Build> = self
            .builds
            .values()
            .filter(|b| b.seq > after && q.status.is_none_or(|s| b.status == s))
            .collect();
        matching.sort_unstable_by_key(|b| b.seq);
        paging::page(matching.into_iter().map(|b| (b.seq, b)), q.limit)
    }

    /// UpdateBuild: name and version.
    pub fn update_build(
        &mut self,
        id_or_arn: &str,
        name: Option<String>,
        version: Option<String>,
    ) -> ApiResult<&Build> {
        let id = ids::id_from_id_or_arn(id_or_arn, "build");
        let build = self.builds.get_mut(id).ok_or_else(|| build_not_found(id))?;
        if name.is_some() {
            build.name = name;
        }
        if version.is_some() {
            build.version = version;
        }
        Ok(build)
    }

    /// DeleteBuild: removes the build and its tags. Fleets built from it keep running (model
    /// documentation).
    pub fn delete_build(&mut self, id_or_arn: &str) -> ApiResult<()> {
        let id = ids::id_from_id_or_arn(id_or_arn, "build");
        let build = self.builds.remove(id).ok_or_else(|| build_not_found(id))?;
        self.drop_tags(&build.arn);
        Ok(())
    }

    /// CreateScript.
    pub fn create_script(
        &mut self,
        spec: ScriptSpec,
        tags: Vec<(String, String)>,
        now: Now,
    ) -> ApiResult<&Script> {
        if let Some(v) = spec.node_js_version.as_deref()
            && !NODE_JS_VERSIONS.contains(&v)
        {
            return Err(ApiError::InvalidRequest(format!(
                "NodeJsVersion {v} is not supported; valid values are {}.",
                NODE_JS_VERSIONS.join(" and ")
            )));
        }
        super::tags::check_tags(&tags)?;
        let id = ids::new_id("script");
        let arn: Arc<str> = ids::resource_arn(&self.settings.region, "script", &id).into();
        let seq = self.next_seq();
        let mut script = Script {
            id: id.as_str().into(),
            arn: arn.clone(),
            seq,
            name: spec.name,
            version: spec.version,
            size_on_disk: 0,
            storage: S3Location {
                bucket: String::new(),
                key: String::new(),
                role_arn: None,
                object_version: None,
            },
            node_js_version: spec.node_js_version.unwrap_or_else(|| DEFAULT_NODE_JS_VERSION.into()),
            creation_time_ms: now.wall_ms,
        };
        script.apply(spec.content);
        let key = script.id.clone();
        self.scripts.insert(key.clone(), script);
        self.put_tags(&arn, tags)?;
        self.scripts.get(&key).ok_or_else(|| script_not_found(&key))
    }

    /// A script by ID or ARN.
    pub fn script(&self, id_or_arn: &str) -> ApiResult<&Script> {
        let id = ids::id_from_id_or_arn(id_or_arn, "script");
        self.scripts.get(id).ok_or_else(|| script_not_found(id))
    }

    /// One page of scripts in creation order, and the cursor for the next page.
    pub fn list_scripts(&self, after: Option<u64>, limit: usize) -> (Vec<&Script>, Option<u64>) {
        let after = after.unwrap_or(0);
        let mut matching: Vec<&Script> = self.scripts.values().filter(|s| s.seq > after).collect();
        matching.sort_unstable_by_key(|s| s.seq);
        paging::page(matching.into_iter().map(|s| (s.seq, s)), limit)
    }

    /// UpdateScript: name, version and files.
    pub fn update_script(&mut self, id_or_arn: &str, update: ScriptUpdate) -> ApiResult<&Script> {
        let id = ids::id_from_id_or_arn(id_or_arn, "script");
        let script = self.scripts.get_mut(id).ok_or_else(|| script_not_found(id))?;
        if update.name.is_some() {
            script.name = update.name;
        }
        if update.version.is_some() {
            script.version = update.version;
        }
        if let Some(content) = update.content {
            script.apply(content);
        }
        Ok(script)
    }

    /// DeleteScript: removes the script and its tags.
    pub fn delete_script(&mut self, id_or_arn: &str) -> ApiResult<()> {
        let id = ids::id_from_id_or_arn(id_or_arn, "script");
        let script = self.scripts.remove(id).ok_or_else(|| script_not_found(id))?;
        self.drop_tags(&script.arn);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::Settings;
    use super::*;

    fn now() -> Now {
        Now { at: tokio::time::Instant::now(), wall_ms: 1_700_000_000_000 }
    }

    fn spec(storage: Option<S3Location>) -> BuildSpec {
        BuildSpec {
            name: Some("b".into()),
            version: None,
            operating_system: "AMAZON_LINUX_2023".into(),
            server_sdk_version: None,
            storage,
        }
    }

    #[test]
    fn a_build_without_storage_waits_for_an_upload_and_one_with_storage_is_ready() {
        let mut w = World::new(Settings::for_tests());
        let b = w.create_build(spec(None), vec![], now()).unwrap();
        assert_eq!(b.status, BuildStatus::Initialized);
        assert_eq!(b.storage.bucket, UPLOAD_BUCKET);
        assert_eq!(b.storage.key, format!("{}/build.zip", b.id));
        assert_eq!(b.server_sdk_version, DEFAULT_SERVER_SDK_VERSION);
        assert_eq!(&*b.arn, format!("arn:aws:gamelift:us-east-1::build/{}", b.id));
        let loc =
            S3Location::from_caller(Some("bkt".into()), Some("k.zip".into()), Some("arn:r".into()), None);
        let b = w.create_build(spec(Some(loc.unwrap())), vec![], now()).unwrap();
        assert_eq!(b.status, BuildStatus::Ready);
        assert_eq!(b.storage.bucket, "bkt");
        w.check_invariants().unwrap();
    }

    #[test]
    fn storage_locations_need_bucket_key_and_role_and_no_dotted_bucket() {
        let s = |b: &str| Some(b.to_string());
        assert!(S3Location::from_caller(s("b"), s("k"), None, None).is_err());
        assert!(S3Location::from_caller(s("my.bucket"), s("k"), s("r"), None).is_err());
        assert!(S3Location::from_caller(s("b"), s("k"), s("r"), None).is_ok());
    }

    #[test]
    fn a_script_zip_sets_its_size_and_a_new_s3_location_resets_it() {
        let mut w = World::new(Settings::for_tests());
        let spec =
            ScriptSpec { name: None, version: None, node_js_version: None, content: ScriptContent::Zip(42) };
        let id = w.create_script(spec, vec![], now()).unwrap().id.clone();
        assert_eq!(w.script(&id).unwrap().size_on_disk, 42);
        assert_eq!(w.script(&id).unwrap().node_js_version, "10.x");
        let loc = S3Location {
            bucket: "b".into(),
            key: "k".into(),
            role_arn: Some("r".into()),
            object_version: None,
        };
        let update = ScriptUpdate { content: Some(ScriptContent::S3(loc)), ..Default::default() };
        assert_eq!(w.update_script(&id, update).unwrap().size_on_disk, 0);
        w.check_invariants().unwrap();
    }
}
