//! Amazon Resource Names of the three resources `CreateSession` names: trust anchor, profile
//! and role.
//!
//! Checked before anything is signed, so a typo fails here with the field's name rather than at
//! AWS as a `ValidationException`. The shapes follow the Roles Anywhere API reference
//! (`CreateSession` parameters `trustAnchorArn`, `profileArn`, `roleArn`: pattern
//! `arn:aws(-[^:]+)?:rolesanywhere(:.*){2}(:trust-anchor.*)`, `…(:profile.*)`, and
//! `arn:aws(-[^:]+)?:iam(:.*){2}(:role.*)`, 1 to 1011 characters) and the IAM user guide
//! ("IAM identifiers": role names of `[\w+=,.@-]`, 1 to 64 characters, paths of printable ASCII).

use alloc::string::String;

use crate::error::Piece;

/// Which ARN of the request a problem is about; displays as the JSON field name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArnField {
    /// `trustAnchorArn`.
    TrustAnchor,
    /// `profileArn`.
    Profile,
    /// `roleArn`.
    Role,
}

impl Piece for ArnField {
    fn push_to(&self, out: &mut String) {
        out.push_str(match self {
            ArnField::TrustAnchor => "trustAnchorArn",
            ArnField::Profile => "profileArn",
            ArnField::Role => "roleArn",
        })
    }
}

/// A parsed ARN: `arn:partition:service:region:account:resource`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arn<'a> {
    /// The whole ARN as given.
    pub text: &'a str,
    /// `aws`, `aws-cn`, `aws-us-gov`, …
    pub partition: &'a str,
    /// `rolesanywhere` or `iam`.
    pub service: &'a str,
    /// The region; empty for IAM.
    pub region: &'a str,
    /// The 12-digit account ID.
    pub account: &'a str,
    /// `trust-anchor/ID`, `profile/ID` or `role/PATH/NAME`.
    pub resource: &'a str,
}

/// Longest ARN AWS takes for these fields.
const MAX_ARN_LEN: usize = 1011;

impl<'a> Arn<'a> {
    /// Parses and checks `text` as the ARN that `field` must hold; `reason` in the error says
    /// which part is wrong.
    pub fn parse(field: ArnField, text: &'a str) -> Result<Self, &'static str> {
        if text.is_empty() {
            return Err("is empty");
        }
        if text.len() > MAX_ARN_LEN {
            return Err("is longer than 1011 characters");
        }
        if !text.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
            return Err("contains spaces, control or non-ASCII characters");
        }
        let mut parts = text.splitn(6, ':');
        let (Some("arn"), Some(partition), Some(service), Some(region), Some(account), Some(resource)) =
            (parts.next(), parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err("is not of the form arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE");
        };
        if !is_partition(partition) {
            return Err("has an invalid partition (expected aws, aws-cn, aws-us-gov, ...)");
        }
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return Err("has an invalid account ID (expected 12 digits)");
        }
        let arn = Arn { text, partition, service, region, account, resource };
        match field {
            ArnField::TrustAnchor | ArnField::Profile => {
                if service != "rolesanywhere" {
                    return Err("is not a Roles Anywhere ARN (service must be rolesanywhere)");
                }
                if Region::parse(region).is_none() {
                    return Err("has an invalid region");
                }
                let prefix = if field == ArnField::TrustAnchor { "trust-anchor/" } else { "profile/" };
                let id = resource.strip_prefix(prefix).ok_or(if field == ArnField::TrustAnchor {
                    "is not a trust anchor (resource must be trust-anchor/ID)"
                } else {
                    "is not a profile (resource must be profile/ID)"
                })?;
                if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
                    return Err("has an invalid resource ID");
                }
            }
            ArnField::Role => {
                if service != "iam" {
                    return Err("is not an IAM ARN (service must be iam)");
                }
                if !region.is_empty() {
                    return Err("has a region, but IAM ARNs have none");
                }
                let path_and_name =
                    resource.strip_prefix("role/").ok_or("is not a role (resource must be role/NAME)")?;
                let name = path_and_name.rsplit('/').next().unwrap_or_default();
                let name_ok = (1..=64).contains(&name.len())
                    && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b));
                if !name_ok || path_and_name.contains("//") || path_and_name.len() > 512 + 64 {
                    return Err("has an invalid role name or path");
                }
            }
        }
        Ok(arn)
    }
}

fn is_partition(p: &str) -> bool {
    p == "aws"
        || p.strip_prefix("aws-").is_some_and(|rest| {
            !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_lowercase() || b == b'-') && !rest.ends_with('-')
        })
}

/// An AWS region and the partition it belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region<'a> {
    /// The region name, e.g. `us-west-2`.
    pub name: &'a str,
    /// Its partition: `aws`, `aws-cn`, `aws-us-gov`, …
    pub partition: &'static str,
    /// The partition's DNS suffix: `amazonaws.com`, `amazonaws.com.cn`, …
    pub dns_suffix: &'static str,
}

impl<'a> Region<'a> {
    /// `name` as a region, when it looks like one: lower-case letters, digits and hyphens,
    /// starting with a letter and ending with a digit (`us-east-1`, `us-gov-west-1`,
    /// `eusc-de-east-1`). Its partition comes from its prefix (AWS SDKs' `partitions.json`).
    pub fn parse(name: &'a str) -> Option<Self> {
        let b = name.as_bytes();
        let looks_like_region = (4..=32).contains(&b.len())
            && b[0].is_ascii_lowercase()
            && b[b.len() - 1].is_ascii_digit()
            && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
            && !name.contains("--")
            && name.contains('-');
        if !looks_like_region {
            return None;
        }
        const TABLE: &[(&str, &str, &str)] = &[
            ("cn-", "aws-cn", "amazonaws.com.cn"),
            ("us-gov-", "aws-us-gov", "amazonaws.com"),
            ("us-isob-", "aws-iso-b", "sc2s.sgov.gov"),
            ("us-isof-", "aws-iso-f", "csp.hci.ic.gov"),
            ("us-iso-", "aws-iso", "c2s.ic.gov"),
            ("eu-isoe-", "aws-iso-e", "cloud.adc-e.uk"),
            ("eusc-", "aws-eusc", "amazonaws.eu"),
        ];
        let (partition, dns_suffix) = TABLE
            .iter()
            .find(|(prefix, ..)| name.starts_with(prefix))
            .map_or(("aws", "amazonaws.com"), |(_, partition, suffix)| (*partition, *suffix));
        Some(Region { name, partition, dns_suffix })
    }

    /// The default endpoint of `service` in this region: `https://{service}.{region}.{suffix}`
    /// (\[C\]), or `{service}-fips.` when `fips` is set (as AWS's credential helper builds it).
    pub fn default_endpoint(&self, service: &str, fips: bool) -> String {
        let fips = if fips { "-fips" } else { "" };
        ["https://", service, fips, ".", self.name, ".", self.dns_suffix].concat()
    }
}

impl Arn<'_> {
    /// Checks that this ARN (the request's `field`) can be used in `region`: in its partition,
    /// and for Roles Anywhere resources in the region itself (IAM ARNs have no region).
    pub fn check_in(&self, field: ArnField, region: &Region<'_>) -> Result<(), crate::request::RequestError> {
        use crate::request::RequestError;
        if self.partition != region.partition {
            return Err(RequestError::PartitionMismatch {
                field,
                arn_partition: self.partition.into(),
                partition: region.partition.into(),
            });
        }
        if field != ArnField::Role && self.region != region.name {
            return Err(RequestError::RegionMismatch {
                field,
                arn_region: self.region.into(),
                region: region.name.into(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANCHOR: &str =
        "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/a1b2c3d4-5678-90ab-cdef-EXAMPLE11111";
    const PROFILE: &str = "arn:aws:rolesanywhere:us-east-1:123456789012:profile/a1b2c3d4-5678-90ab-cdef-EXAMPLE22222";
    const ROLE: &str = "arn:aws:iam::123456789012:role/path/to/MyRole+=,.@-_";

    #[test]
    fn accepts_good_arns() {
        let a = Arn::parse(ArnField::TrustAnchor, ANCHOR).unwrap();
        assert_eq!((a.partition, a.region, a.account), ("aws", "us-east-1", "123456789012"));
        Arn::parse(ArnField::Profile, PROFILE).unwrap();
        Arn::parse(ArnField::Role, ROLE).unwrap();
        Arn::parse(ArnField::Role, "arn:aws-us-gov:iam::123456789012:role/r").unwrap();
    }

    #[test]
    fn refuses_bad_arns() {
        let cases: &[(ArnField, &str)] = &[
            (ArnField::TrustAnchor, ""),
            (ArnField::TrustAnchor, "arn:aws:rolesanywhere:us-east-1:123456789012"),
            (ArnField::TrustAnchor, PROFILE),
            (ArnField::Profile, ANCHOR),
            (ArnField::TrustAnchor, "arn:aws:iam:us-east-1:123456789012:trust-anchor/x"),
            (ArnField::TrustAnchor, "arn:aws:rolesanywhere::123456789012:trust-anchor/x"),
            (ArnField::TrustAnchor, "arn:aws:rolesanywhere:us-east-1:12345:trust-anchor/x"),
            (ArnField::TrustAnchor, "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/"),
            (ArnField::TrustAnchor, "arn:amazon:rolesanywhere:us-east-1:123456789012:trust-anchor/x"),
            (ArnField::TrustAnchor, "arn:aws:rolesanywhere:US-EAST-1:123456789012:trust-anchor/x"),
            (ArnField::TrustAnchor, "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/x y"),
            (ArnField::Role, "arn:aws:iam:us-east-1:123456789012:role/r"),
            (ArnField::Role, "arn:aws:iam::123456789012:user/r"),
            (ArnField::Role, "arn:aws:iam::123456789012:role/"),
            (ArnField::Role, "arn:aws:iam::123456789012:role/a b"),
            (ArnField::Role, "arn:aws:sts::123456789012:role/r"),
        ];
        for (field, text) in cases {
            assert!(Arn::parse(*field, text).is_err(), "{field} {text}");
        }
    }

    #[test]
    fn partitions_and_endpoints() {
        let endpoint = |region, fips| Region::parse(region).unwrap().default_endpoint("rolesanywhere", fips);
        assert_eq!(endpoint("us-west-2", false), "https://rolesanywhere.us-west-2.amazonaws.com");
        assert_eq!(endpoint("us-east-1", true), "https://rolesanywhere-fips.us-east-1.amazonaws.com");
        assert_eq!(endpoint("cn-north-1", false), "https://rolesanywhere.cn-north-1.amazonaws.com.cn");
        assert_eq!(Region::parse("us-gov-west-1").unwrap().partition, "aws-us-gov");
        assert_eq!(Region::parse("us-isob-east-1").unwrap().partition, "aws-iso-b");
        assert!(Region::parse("eusc-de-east-1").is_some());
        assert!(Region::parse("us-east-").is_none());
        assert!(Region::parse("useast1").is_none());
    }
}
