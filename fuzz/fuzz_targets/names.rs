//! Any text: name, path, tag, ARN and alias validation never panics, and an ARN
//! that validates prints back as itself.
#![no_main]

use iamctl_policy::{
    parse_tag, validate_account_alias, validate_arn, validate_name, validate_path, EntityKind,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|s: &str| {
    for kind in [
        EntityKind::User,
        EntityKind::Role,
        EntityKind::Policy,
        EntityKind::RoleSessionName,
    ] {
        let _ = validate_name(kind, s);
    }
    let _ = validate_path(s);
    let _ = parse_tag(s);
    let _ = validate_account_alias(s);
    if let Ok(arn) = validate_arn(s) {
        assert_eq!(arn.to_string(), s);
    }
});
