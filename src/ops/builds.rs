//! Build and Realtime script operations.

use super::Unit;
use super::tags::tags_from_dto;
use crate::dto;
use crate::error::{ApiError, ApiResult};
use crate::model::build::{
    Build, BuildQuery, BuildSpec, BuildStatus, S3Location, Script, ScriptContent, ScriptSpec, ScriptUpdate,
    UploadCredentials, upload_location,
};
use crate::model::paging;
use crate::state::Emulator;

const BUILDS_TOKEN: &str = "build";
const SCRIPTS_TOKEN: &str = "script";

fn s3_dto(loc: &S3Location) -> dto::S3Location {
    dto::S3Location {
        bucket: Some(loc.bucket.clone()),
        key: Some(loc.key.clone()),
        role_arn: loc.role_arn.clone(),
        object_version: loc.object_version.clone(),
    }
}

fn s3_from_dto(loc: dto::S3Location) -> ApiResult<S3Location> {
    S3Location::from_caller(loc.bucket, loc.key, loc.role_arn, loc.object_version)
}

fn credentials_dto(c: UploadCredentials) -> dto::AwsCredentials {
    dto::AwsCredentials {
        access_key_id: Some(c.access_key_id),
        secret_access_key: Some(c.secret_access_key),
        session_token: Some(c.session_token),
    }
}

/// The wire shape of a build.
pub(crate) fn build_dto(b: &Build) -> dto::Build {
    dto::Build {
        build_id: Some(b.id.to_string()),
        build_arn: Some(b.arn.to_string()),
        name: b.name.clone(),
        version: b.version.clone(),
        status: Some(dto::BuildStatus::from_wire(b.status.as_str())),
        size_on_disk: Some(b.size_on_disk),
        operating_system: Some(dto::OperatingSystem::from_wire(&b.operating_system)),
        creation_time: Some(dto::Timestamp(b.creation_time_ms)),
        server_sdk_version: Some(b.server_sdk_version.clone()),
    }
}

/// The wire shape of a script.
pub(crate) fn script_dto(s: &Script) -> dto::Script {
    dto::Script {
        script_id: Some(s.id.to_string()),
        script_arn: Some(s.arn.to_string()),
        name: s.name.clone(),
        version: s.version.clone(),
        size_on_disk: Some(s.size_on_disk),
        creation_time: Some(dto::Timestamp(s.creation_time_ms)),
        storage_location: Some(s3_dto(&s.storage)),
        node_js_version: Some(s.node_js_version.clone()),
    }
}

/// CreateBuild.
pub(crate) fn create_build(em: &Emulator, input: dto::CreateBuildInput) -> ApiResult<dto::CreateBuildOutput> {
    // "You must specify a valid operating system in this request. There is no default value."
    let operating_system = input
        .operating_system
        .map(|os| os.as_str().to_owned())
        .ok_or_else(|| ApiError::InvalidRequest("CreateBuild must specify an OperatingSystem.".into()))?;
    let spec = BuildSpec {
        name: input.name,
        version: input.version,
        operating_system,
        server_sdk_version: input.server_sdk_version,
        storage: input.storage_location.map(s3_from_dto).transpose()?,
    };
    let tags = tags_from_dto(input.tags);
    em.with_world(|w, now| {
        let b = w.create_build(spec, tags, now)?;
        let waiting_for_upload = b.status == BuildStatus::Initialized;
        Ok(dto::CreateBuildOutput {
            build: Some(build_dto(b)),
            upload_credentials: waiting_for_upload.then(|| credentials_dto(UploadCredentials::dummy())),
            storage_location: Some(s3_dto(&b.storage)),
        })
    })
}

/// DescribeBuild.
pub(crate) fn describe_build(
    em: &Emulator,
    input: dto::DescribeBuildInput,
) -> ApiResult<dto::DescribeBuildOutput> {
    let id = input.build_id.unwrap_or_default();
    em.with_world(|w, _| Ok(dto::DescribeBuildOutput { build: Some(build_dto(w.build(&id)?)) }))
}

/// ListBuilds.
pub(crate) fn list_builds(em: &Emulator, input: dto::ListBuildsInput) -> ApiResult<dto::ListBuildsOutput> {
    let after = input.next_token.as_deref().map(|t| paging::decode(BUILDS_TOKEN, t)).transpose()?;
    let q = BuildQuery {
        status: input.status.as_ref().and_then(|s| BuildStatus::parse(s.as_str())),
        after,
        limit: super::page_size(input.limit),
    };
    em.with_world(|w, _| {
        let (page, next) = w.list_builds(&q);
        Ok(dto::ListBuildsOutput {
            builds: Some(page.into_iter().map(build_dto).collect()),
            next_token: next.map(|n| paging::encode(BUILDS_TOKEN, n)),
        })
    })
}

/// UpdateBuild.
pub(crate) fn update_build(em: &Emulator, input: dto::UpdateBuildInput) -> ApiResult<dto::UpdateBuildOutput> {
    let id = input.build_id.unwrap_or_default();
    em.with_world(|w, _| {
        let b = w.update_build(&id, input.name, input.version)?;
        Ok(dto::UpdateBuildOutput { build: Some(build_dto(b)) })
    })
}

/// DeleteBuild.
pub(crate) fn delete_build(em: &Emulator, input: dto::DeleteBuildInput) -> ApiResult<Unit> {
    let id = input.build_id.unwrap_or_default();
    em.with_world(|w, _| w.delete_build(&id))?;
    Ok(Unit)
}

/// RequestUploadCredentials: fresh (dummy) credentials and the build's upload location in
/// GameLift's bucket.
pub(crate) fn request_upload_credentials(
    em: &Emulator,
    input: dto::RequestUploadCredentialsInput,
) -> ApiResult<dto::RequestUploadCredentialsOutput> {
    let id = input.build_id.unwrap_or_default();
    em.with_world(|w, _| {
        let b = w.build(&id)?;
        Ok(dto::RequestUploadCredentialsOutput {
            upload_credentials: Some(credentials_dto(UploadCredentials::dummy())),
            storage_location: Some(s3_dto(&upload_location(&w.settings.account_id, &b.id))),
        })
    })
}

/// The files of CreateScript/UpdateScript: a ZipFile or a StorageLocation, not both.
fn script_content(
    zip: Option<dto::Blob>,
    storage: Option<dto::S3Location>,
) -> ApiResult<Option<ScriptContent>> {
    match (zip, storage) {
        (Some(_), Some(_)) => Err(ApiError::InvalidRequest(
            "Specify either a ZipFile or a StorageLocation for the script files, not both.".into(),
        )),
        (Some(zip), None) => Ok(Some(ScriptContent::Zip(zip.0.len()))),
        (None, Some(loc)) => Ok(Some(ScriptContent::S3(s3_from_dto(loc)?))),
        (None, None) => Ok(None),
    }
}

/// CreateScript.
pub(crate) fn create_script(
    em: &Emulator,
    input: dto::CreateScriptInput,
) -> ApiResult<dto::CreateScriptOutput> {
    let content = script_content(input.zip_file, input.storage_location)?.ok_or_else(|| {
        ApiError::InvalidRequest(
            "CreateScript must specify the script files: a ZipFile or a StorageLocation.".into(),
        )
    })?;
    let spec = ScriptSpec {
        name: input.name,
        version: input.version,
        node_js_version: input.node_js_version,
        content,
    };
    let tags = tags_from_dto(input.tags);
    em.with_world(|w, now| {
        let s = w.create_script(spec, tags, now)?;
        Ok(dto::CreateScriptOutput { script: Some(script_dto(s)) })
    })
}

/// DescribeScript.
pub(crate) fn describe_script(
    em: &Emulator,
    input: dto::DescribeScriptInput,
) -> ApiResult<dto::DescribeScriptOutput> {
    let id = input.script_id.unwrap_or_default();
    em.with_world(|w, _| Ok(dto::DescribeScriptOutput { script: Some(script_dto(w.script(&id)?)) }))
}

/// ListScripts.
pub(crate) fn list_scripts(em: &Emulator, input: dto::ListScriptsInput) -> ApiResult<dto::ListScriptsOutput> {
    let after = input.next_token.as_deref().map(|t| paging::decode(SCRIPTS_TOKEN, t)).transpose()?;
    let limit = super::page_size(input.limit);
    em.with_world(|w, _| {
        let (page, next) = w.list_scripts(after, limit);
        Ok(dto::ListScriptsOutput {
            scripts: Some(page.into_iter().map(script_dto).collect()),
            next_token: next.map(|n| paging::encode(SCRIPTS_TOKEN, n)),
        })
    })
}

/// UpdateScript.
pub(crate) fn update_script(
    em: &Emulator,
    input: dto::UpdateScriptInput,
) -> ApiResult<dto::UpdateScriptOutput> {
    let id = input.script_id.unwrap_or_default();
    let update = ScriptUpdate {
        name: input.name,
        version: input.version,
        content: script_content(input.zip_file, input.storage_location)?,
    };
    em.with_world(|w, _| {
        let s = w.update_script(&id, update)?;
        Ok(dto::UpdateScriptOutput { script: Some(script_dto(s)) })
    })
}

/// DeleteScript.
pub(crate) fn delete_script(em: &Emulator, input: dto::DeleteScriptInput) -> ApiResult<Unit> {
    let id = input.script_id.unwrap_or_default();
    em.with_world(|w, _| w.delete_script(&id))?;
    Ok(Unit)
}
