//! The AWS Regions a fleet location may name.
//!
//! A `Location` that is one of these but not a location of the fleet is an
//! `InvalidRequestException`; a name that is no AWS Region at all (and no custom location) is an
//! `UnsupportedRegionException` (docs/architecture.md, "Locations").

/// AWS Region codes (commercial, China and GovCloud partitions).
pub const AWS_REGIONS: &[&str] = &[
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "cn-north-1",
    "cn-northwest-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-gov-east-1",
    "us-gov-west-1",
    "us-west-1",
    "us-west-2",
];

/// Whether `name` is an AWS Region code.
pub fn is_aws_region(name: &str) -> bool {
    AWS_REGIONS.contains(&name)
}

/// Whether `name` has the shape of a custom (Anywhere) location name.
pub fn is_custom_location_name(name: &str) -> bool {
    name.starts_with("custom-")
}
